-- +goose Up
-- How a project's clients may authenticate: client secrets and/or private_key_jwt.
ALTER TABLE projects ADD COLUMN auth_methods TEXT NOT NULL DEFAULT 'client_secret';

-- Public keys a project registers for private_key_jwt and the JWT bearer grant: a JWK
-- pasted in (or converted from PEM), or a jwks_uri the portal fetches.
CREATE TABLE client_keys (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    kid        TEXT NOT NULL DEFAULT '',
    alg        TEXT NOT NULL DEFAULT '',
    jwk        TEXT NOT NULL DEFAULT '',
    jwks_uri   TEXT NOT NULL DEFAULT '',
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ,
    CHECK ((jwk = '') <> (jwks_uri = ''))
);
CREATE INDEX client_keys_project ON client_keys (project_id);

-- Assertion ids already used, until the assertion expires: one use per jti and client,
-- shared by every instance.
CREATE TABLE used_assertions (
    client_id  TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX used_assertions_expires ON used_assertions (expires_at);

-- +goose Down
DROP TABLE used_assertions;
DROP TABLE client_keys;
ALTER TABLE projects DROP COLUMN auth_methods;
