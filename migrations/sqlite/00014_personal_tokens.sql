-- +goose Up
-- Personal access tokens: a person's credential for /api/v1. Stored only as the
-- SHA-256 of the token (256 random bits); the hint is its prefix and last 4 characters.
-- scope is 'read' or 'write'; team_id, when set, limits the token to that team.
CREATE TABLE personal_access_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    hint         TEXT NOT NULL,
    scope        TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    team_id      TEXT REFERENCES teams (id) ON DELETE CASCADE,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    revoked_at   TIMESTAMP,
    last_used_at TIMESTAMP
);
CREATE INDEX personal_access_tokens_user ON personal_access_tokens (user_id);

-- +goose Down
DROP TABLE personal_access_tokens;
