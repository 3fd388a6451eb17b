-- +goose Up
-- User-delegated access (the authorization code grant).
--
-- A project's registered redirect URIs (one per line, matched exactly, except that a
-- loopback http URI matches on any port, RFC 8252 §7.3) and whether it is a public
-- client (no secret: the PKCE verifier is the proof at the token endpoint).
ALTER TABLE projects ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN public_client BOOLEAN NOT NULL DEFAULT FALSE;

-- Which of an API's scopes users may delegate to apps acting for them. Set by the
-- API's owners and admins; off by default, so no app acts for a user on an API
-- until its team said so.
ALTER TABLE api_scopes ADD COLUMN delegable BOOLEAN NOT NULL DEFAULT FALSE;

-- Authorization codes: stored only as the SHA-256 of the code, single use (used_at),
-- 60 seconds. replayed_at records a second redemption.
CREATE TABLE authorization_codes (
    hash           TEXT PRIMARY KEY,
    project_id     TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    api_id         TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    scopes         TEXT NOT NULL DEFAULT '',
    redirect_uri   TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    auth_time      TIMESTAMPTZ NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    used_at        TIMESTAMPTZ,
    replayed_at    TIMESTAMPTZ
);
CREATE INDEX authorization_codes_expires ON authorization_codes (expires_at);

-- Consents: what a user allowed a project to do on an API for them (the union of
-- every consent given), so the consent page is not shown again for those scopes.
CREATE TABLE consents (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    api_id     TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    scopes     TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, project_id, api_id)
);
CREATE INDEX consents_project ON consents (project_id);

-- +goose Down
DROP TABLE consents;
DROP TABLE authorization_codes;
ALTER TABLE api_scopes DROP COLUMN delegable;
ALTER TABLE projects DROP COLUMN public_client;
ALTER TABLE projects DROP COLUMN redirect_uris;
