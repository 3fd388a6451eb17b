-- +goose Up
-- What the portal does when a secret scanner (GitHub's secret-scanning partner
-- programme) reports one of the team's credentials leaked: 'revoke' it at once (the
-- default), or only 'notify' (an audit event and a leak.reported webhook event).
ALTER TABLE teams ADD COLUMN leak_policy TEXT NOT NULL DEFAULT 'revoke' CHECK (leak_policy IN ('revoke', 'notify'));

-- +goose Down
ALTER TABLE teams DROP COLUMN leak_policy;
