-- +goose Up
-- The portal's signing keys. The private half is encrypted under the master key.
CREATE TABLE signing_keys (
    kid          TEXT PRIMARY KEY,
    alg          TEXT NOT NULL CHECK (alg IN ('ES256', 'EdDSA', 'RS256')),
    state        TEXT NOT NULL CHECK (state IN ('next', 'active', 'retired')),
    public_jwk   TEXT NOT NULL,
    private_enc  TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    activates_at TIMESTAMP NOT NULL,
    activated_at TIMESTAMP,
    retired_at   TIMESTAMP
);
-- At most one key signs and at most one waits to: two instances rotating at once
-- cannot both win.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (state) WHERE state = 'active';
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (state) WHERE state = 'next';

-- Token status lists: every API key owns one index in one list, never reused.
CREATE TABLE status_lists (
    id         TEXT PRIMARY KEY,
    size       INTEGER NOT NULL,
    next_idx   INTEGER NOT NULL DEFAULT 0,
    version    INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (next_idx <= size)
);

-- Issued API keys (metadata only; the key itself is never stored). Rows outlive their
-- project: a deleted project's keys stay here, revoked, so their status bits stay set.
CREATE TABLE api_keys (
    id             TEXT PRIMARY KEY,
    project_id     TEXT REFERENCES projects (id) ON DELETE SET NULL,
    team_id        TEXT NOT NULL,
    name           TEXT NOT NULL,
    scopes         TEXT NOT NULL DEFAULT '',
    audiences      TEXT NOT NULL,
    kid            TEXT NOT NULL,
    status_list_id TEXT NOT NULL REFERENCES status_lists (id),
    status_idx     INTEGER NOT NULL,
    key_hash       TEXT NOT NULL UNIQUE,
    created_by     TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at     TIMESTAMP NOT NULL,
    expires_at     TIMESTAMP NOT NULL,
    revoked_at     TIMESTAMP,
    UNIQUE (status_list_id, status_idx)
);
CREATE INDEX api_keys_project ON api_keys (project_id, created_at);
CREATE INDEX api_keys_kid ON api_keys (kid, expires_at);
CREATE INDEX api_keys_revoked ON api_keys (status_list_id) WHERE revoked_at IS NOT NULL;

-- +goose Down
DROP TABLE api_keys;
DROP TABLE status_lists;
DROP TABLE signing_keys;
