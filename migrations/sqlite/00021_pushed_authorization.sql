-- +goose Up
-- Pushed authorization requests (RFC 9126).
--
-- Whether a project must push its authorization requests to /oauth/par first: a plain
-- request to /oauth/authorize is then refused.
ALTER TABLE projects ADD COLUMN require_pushed_authorization BOOLEAN NOT NULL DEFAULT FALSE;

-- A pushed request, validated, waiting for the browser to bring its request_uri to
-- /oauth/authorize: stored only as the SHA-256 of the request_uri's random part, with
-- the client and the request's parameters (form-encoded). Single use, 60 seconds.
CREATE TABLE pushed_authorizations (
    hash       TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    params     TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX pushed_authorizations_expires ON pushed_authorizations (expires_at);
CREATE INDEX pushed_authorizations_project ON pushed_authorizations (project_id);

-- +goose Down
DROP TABLE pushed_authorizations;
ALTER TABLE projects DROP COLUMN require_pushed_authorization;
