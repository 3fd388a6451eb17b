-- +goose Up
-- Dynamic client registration (RFC 7591, RFC 7592).
--
-- A team's policy: 'off' (the default: no registration), 'token' (with one of the
-- team's initial access tokens) or 'open' (with a token, or without one when the
-- operator also named the team in GATEHOUSE_OPEN_REGISTRATION_TEAM).
ALTER TABLE teams ADD COLUMN registration_policy TEXT NOT NULL DEFAULT 'off' CHECK (registration_policy IN ('off', 'token', 'open'));

-- Initial access tokens: stored only as the SHA-256 of the token (256 random bits); the
-- hint is its prefix and last 4 characters. max_uses NULL: no bound on registrations.
CREATE TABLE initial_access_tokens (
    id           TEXT PRIMARY KEY,
    team_id      TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    label        TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    hint         TEXT NOT NULL,
    max_uses     INTEGER,
    uses         INTEGER NOT NULL DEFAULT 0,
    created_by   TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    revoked_at   TIMESTAMP,
    last_used_at TIMESTAMP
);
CREATE INDEX initial_access_tokens_team ON initial_access_tokens (team_id);

-- Projects registered dynamically: the SHA-256 of the registration access token, how
-- the client was registered (via, as the audit log names it) and its client metadata as
-- registered (JSON). The row goes with its project, and the token with it.
CREATE TABLE client_registrations (
    project_id       TEXT PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    token_hash       TEXT NOT NULL UNIQUE,
    initial_token_id TEXT REFERENCES initial_access_tokens (id) ON DELETE SET NULL,
    via              TEXT NOT NULL,
    metadata         TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE client_registrations;
DROP TABLE initial_access_tokens;
ALTER TABLE teams DROP COLUMN registration_policy;
