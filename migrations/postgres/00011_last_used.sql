-- +goose Up
-- When each credential was last used, so its owners know what is safe to revoke. Kept
-- in memory and written in batches (never a write per request): a client secret's and
-- a client key's at the token endpoint, an API key's at introspection.
ALTER TABLE client_secrets ADD COLUMN last_used_at TIMESTAMPTZ;
ALTER TABLE client_keys ADD COLUMN last_used_at TIMESTAMPTZ;
ALTER TABLE api_keys ADD COLUMN last_used_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE api_keys DROP COLUMN last_used_at;
ALTER TABLE client_keys DROP COLUMN last_used_at;
ALTER TABLE client_secrets DROP COLUMN last_used_at;
