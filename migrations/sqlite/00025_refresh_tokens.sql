-- +goose Up
-- Refresh tokens for apps acting for a user.
--
-- A project's policy: refresh_tokens is 'off', 'offline_access' (issued when the user
-- allowed the scope offline_access; the default) or 'always'; a token unused for the
-- idle lifetime expires, and a family (a first token and every one rotated from it)
-- ends at the absolute lifetime whatever its use. Both in seconds.
ALTER TABLE projects ADD COLUMN refresh_tokens TEXT NOT NULL DEFAULT 'offline_access';
ALTER TABLE projects ADD COLUMN refresh_idle_ttl INTEGER NOT NULL DEFAULT 1209600;
ALTER TABLE projects ADD COLUMN refresh_absolute_ttl INTEGER NOT NULL DEFAULT 7776000;

-- Refresh tokens: stored only as the SHA-256 of the token. Each use rotates it
-- (used_at) into a new row of the same family; a rotated token presented again revokes
-- the family (revoked_at, revoked_reason on every row). What the tokens carry is
-- copied from the code they came from (code_hash): the API (none for the user's
-- identity alone), the scopes, and how the user authenticated.
CREATE TABLE refresh_tokens (
    hash              TEXT PRIMARY KEY,
    family_id         TEXT NOT NULL,
    project_id        TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    api_id            TEXT REFERENCES apis (id) ON DELETE CASCADE,
    scopes            TEXT NOT NULL DEFAULT '',
    identity_scopes   TEXT NOT NULL DEFAULT '',
    auth_time         TIMESTAMP NOT NULL,
    acr               TEXT NOT NULL DEFAULT '',
    amr               TEXT NOT NULL DEFAULT '',
    code_hash         TEXT NOT NULL DEFAULT '',
    family_created_at TIMESTAMP NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    last_used_at      TIMESTAMP,
    expires_at        TIMESTAMP NOT NULL,
    family_expires_at TIMESTAMP NOT NULL,
    used_at           TIMESTAMP,
    revoked_at        TIMESTAMP,
    revoked_reason    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_project ON refresh_tokens (project_id, user_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_code ON refresh_tokens (code_hash);
CREATE INDEX refresh_tokens_family_expires ON refresh_tokens (family_expires_at);

-- +goose Down
DROP TABLE refresh_tokens;
ALTER TABLE projects DROP COLUMN refresh_absolute_ttl;
ALTER TABLE projects DROP COLUMN refresh_idle_ttl;
ALTER TABLE projects DROP COLUMN refresh_tokens;
