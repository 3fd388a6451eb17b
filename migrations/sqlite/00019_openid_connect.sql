-- +goose Up
-- OpenID Connect for apps, and the step-up context of a user's tokens.
--
-- An authorization may be for the user's identity alone (scope openid, no API): its
-- code and its consent then name no API, so api_id becomes nullable. A code also keeps
-- the identity scopes asked for (openid, profile, email, offline_access), the client's
-- nonce for the ID token, and how the user authenticated as the upstream provider
-- asserted it (acr, amr), so the tokens can say so.
--
-- Codes live 60 seconds: the table is recreated rather than copied (a code issued in
-- the instant of the upgrade must be asked for again).
DROP TABLE authorization_codes;
CREATE TABLE authorization_codes (
    hash            TEXT PRIMARY KEY,
    project_id      TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    api_id          TEXT REFERENCES apis (id) ON DELETE CASCADE,
    scopes          TEXT NOT NULL DEFAULT '',
    identity_scopes TEXT NOT NULL DEFAULT '',
    nonce           TEXT NOT NULL DEFAULT '',
    acr             TEXT NOT NULL DEFAULT '',
    amr             TEXT NOT NULL DEFAULT '',
    redirect_uri    TEXT NOT NULL,
    code_challenge  TEXT NOT NULL,
    auth_time       TIMESTAMP NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    expires_at      TIMESTAMP NOT NULL,
    used_at         TIMESTAMP,
    replayed_at     TIMESTAMP
);
CREATE INDEX authorization_codes_expires ON authorization_codes (expires_at);

-- Consents keep every row; a consent with no API is for the user's identity.
CREATE TABLE consents_new (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    api_id     TEXT REFERENCES apis (id) ON DELETE CASCADE,
    scopes     TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO consents_new (user_id, project_id, api_id, scopes, created_at, updated_at)
    SELECT user_id, project_id, api_id, scopes, created_at, updated_at FROM consents;
DROP TABLE consents;
ALTER TABLE consents_new RENAME TO consents;
CREATE UNIQUE INDEX consents_key ON consents (user_id, project_id, COALESCE(api_id, ''));
CREATE INDEX consents_project ON consents (project_id);

-- +goose Down
DELETE FROM consents WHERE api_id IS NULL;
CREATE TABLE consents_old (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    api_id     TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    scopes     TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, project_id, api_id)
);
INSERT INTO consents_old SELECT user_id, project_id, api_id, scopes, created_at, updated_at FROM consents;
DROP TABLE consents;
ALTER TABLE consents_old RENAME TO consents;
CREATE INDEX consents_project ON consents (project_id);
DROP TABLE authorization_codes;
CREATE TABLE authorization_codes (
    hash           TEXT PRIMARY KEY,
    project_id     TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    api_id         TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    scopes         TEXT NOT NULL DEFAULT '',
    redirect_uri   TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    auth_time      TIMESTAMP NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    expires_at     TIMESTAMP NOT NULL,
    used_at        TIMESTAMP,
    replayed_at    TIMESTAMP
);
CREATE INDEX authorization_codes_expires ON authorization_codes (expires_at);
