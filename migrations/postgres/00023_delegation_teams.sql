-- +goose Up
-- Who may delegate an API's delegable scopes to apps acting for them: any signed-in user
-- (empty), or members of the named teams (team ids, space-separated). Set by the API's
-- owners and admins, naming only teams they belong to.
ALTER TABLE apis ADD COLUMN delegation_teams TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE apis DROP COLUMN delegation_teams;
