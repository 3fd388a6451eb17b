-- +goose Up
-- Phantom tokens: a project may be issued reference access tokens (opaque, "ghat_"
-- prefixed) instead of JWTs, for clients outside the trust boundary. A reference token
-- is stored by its SHA-256 with the claims of the JWT it stands for, which a gateway
-- gets by token exchange or introspection; revoking the row ends it at once.
ALTER TABLE projects ADD COLUMN access_token_format TEXT NOT NULL DEFAULT 'jwt';

CREATE TABLE reference_tokens (
    hash       TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    claims     TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX reference_tokens_expires ON reference_tokens (expires_at);
CREATE INDEX reference_tokens_project ON reference_tokens (project_id);

-- +goose Down
DROP TABLE reference_tokens;
ALTER TABLE projects DROP COLUMN access_token_format;
