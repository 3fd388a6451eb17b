-- +goose Up
-- A project's audiences and scopes were free text its own admins typed; they now come
-- from grants (migration 8 turned them into APIs, grants and access requests).
ALTER TABLE projects DROP COLUMN scopes;
ALTER TABLE projects DROP COLUMN audiences;

-- +goose Down
ALTER TABLE projects ADD COLUMN scopes TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN audiences TEXT NOT NULL DEFAULT '';
