-- +goose Up
-- Service accounts: a team's machine members. Each has a users row of kind 'service'
-- (issuer 'gatehouse:service-account', subject = its id), so membership, roles and the
-- one permission check work for it as for a person; it never signs in to the portal.
ALTER TABLE users ADD COLUMN kind TEXT NOT NULL DEFAULT 'person';

CREATE TABLE service_accounts (
    id          TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    team_id     TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_by  TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (team_id, name)
);

-- How a service account authenticates, one row per credential:
--   key:      a public key for private_key_jwt (a JWK, or a jwks_uri the portal fetches);
--   workload: a trusted external issuer (issuer, jwks_uri) with conditions on the
--             workload token's aud (exact), sub and other claims (exact or glob);
--   secret:   the fallback, stored as the SHA-256 of a high-entropy secret.
CREATE TABLE service_account_credentials (
    id                 TEXT PRIMARY KEY,
    service_account_id TEXT NOT NULL REFERENCES service_accounts (id) ON DELETE CASCADE,
    kind               TEXT NOT NULL CHECK (kind IN ('key', 'workload', 'secret')),
    name               TEXT NOT NULL,
    kid                TEXT NOT NULL DEFAULT '',
    alg                TEXT NOT NULL DEFAULT '',
    jwk                TEXT NOT NULL DEFAULT '',
    jwks_uri           TEXT NOT NULL DEFAULT '',
    issuer             TEXT NOT NULL DEFAULT '',
    audience           TEXT NOT NULL DEFAULT '',
    subject            TEXT NOT NULL DEFAULT '',
    claims             TEXT NOT NULL DEFAULT '',
    hash               TEXT UNIQUE,
    hint               TEXT NOT NULL DEFAULT '',
    created_by         TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    expires_at         TIMESTAMPTZ,
    revoked_at         TIMESTAMPTZ,
    last_used_at       TIMESTAMPTZ
);
CREATE INDEX service_account_credentials_account ON service_account_credentials (service_account_id);

-- +goose Down
DROP TABLE service_account_credentials;
DROP TABLE service_accounts;
DELETE FROM users WHERE kind = 'service';
ALTER TABLE users DROP COLUMN kind;
