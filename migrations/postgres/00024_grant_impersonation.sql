-- +goose Up
-- Token exchange (RFC 8693): whether the project holding the grant may impersonate the
-- subject of a token it received when it exchanges it for a token for this API (no act
-- claim naming it). Set by the API's owners and admins; off by default (delegation).
ALTER TABLE api_grants ADD COLUMN impersonation BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE api_grants DROP COLUMN impersonation;
