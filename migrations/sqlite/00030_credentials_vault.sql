-- +goose Up
-- The credentials vault: users' offline access kept inside Gatehouse.
--
-- A project in vault mode never hands its users' refresh tokens out: when a user allows
-- offline access, the refresh family is recorded (vault = TRUE) and the token itself is
-- thrown away, so nobody holds it. Services of the project's own team that hold a
-- credentials grant get short-lived access tokens for the user by token exchange, each
-- time under the same checks as a refresh (consent, grant, delegable scopes, who may
-- delegate, idle and absolute lifetimes).
ALTER TABLE projects ADD COLUMN vault BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE refresh_tokens ADD COLUMN vault BOOLEAN NOT NULL DEFAULT FALSE;

-- Which service (a project of the same team as the app, service_id) may use the app's
-- (project_id) vaulted delegations for one API, and with which scopes at most. Set by
-- the app's team's admins; deleting either project or the API removes it.
CREATE TABLE credential_grants (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    service_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    api_id     TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    scopes     TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    UNIQUE (project_id, service_id, api_id)
);
CREATE INDEX credential_grants_service ON credential_grants (service_id);

-- The last use of a delegation (a vaulted refresh family) through a credentials grant:
-- what the user sees under Connected apps. Every use is also an audit event.
CREATE TABLE vault_uses (
    family_id    TEXT NOT NULL,
    grant_id     TEXT NOT NULL REFERENCES credential_grants (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scopes       TEXT NOT NULL DEFAULT '',
    uses         INTEGER NOT NULL DEFAULT 0,
    last_used_at TIMESTAMP NOT NULL,
    PRIMARY KEY (family_id, grant_id)
);
CREATE INDEX vault_uses_user ON vault_uses (user_id);

-- +goose Down
DROP TABLE vault_uses;
DROP TABLE credential_grants;
ALTER TABLE refresh_tokens DROP COLUMN vault;
ALTER TABLE projects DROP COLUMN vault;
