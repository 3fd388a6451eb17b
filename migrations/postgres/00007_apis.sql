-- +goose Up
-- APIs (resource servers) owned by teams. The identifier is the aud of every credential
-- for the API, exactly as credentials carry it; identifier_key is its normalized form
-- (case, trailing slash, percent-encoding, default port folded), unique portal-wide, so
-- no team can claim another's API by spelling it differently.
CREATE TABLE apis (
    id                    TEXT PRIMARY KEY,
    team_id               TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name                  TEXT NOT NULL,
    description           TEXT NOT NULL DEFAULT '',
    identifier            TEXT NOT NULL,
    identifier_key        TEXT NOT NULL UNIQUE,
    docs_url              TEXT NOT NULL DEFAULT '',
    accepts_api_keys      BOOLEAN NOT NULL DEFAULT TRUE,
    accepts_access_tokens BOOLEAN NOT NULL DEFAULT TRUE,
    max_token_ttl         INTEGER NOT NULL DEFAULT 0,
    max_key_ttl           INTEGER NOT NULL DEFAULT 0,
    listed                BOOLEAN NOT NULL DEFAULT FALSE,
    locked_at             TIMESTAMPTZ,
    created_by            TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL,
    CHECK (accepts_api_keys OR accepts_access_tokens)
);
CREATE INDEX apis_team ON apis (team_id);
CREATE INDEX apis_listed ON apis (listed, name);

-- The scopes an API defines. Credentials carry only these, and only as granted.
CREATE TABLE api_scopes (
    api_id      TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (api_id, name)
);

-- Requests by a project (of any team) for access to an API, decided by the API's team.
CREATE TABLE access_requests (
    id             TEXT PRIMARY KEY,
    api_id         TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    project_id     TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    team_id        TEXT NOT NULL,
    scopes         TEXT NOT NULL DEFAULT '',
    reason         TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'withdrawn')),
    origin         TEXT NOT NULL DEFAULT 'user' CHECK (origin IN ('user', 'migration')),
    requested_by   TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    decided_by     TEXT REFERENCES users (id) ON DELETE SET NULL,
    decided_at     TIMESTAMPTZ,
    decision_note  TEXT NOT NULL DEFAULT '',
    granted_scopes TEXT NOT NULL DEFAULT ''
);
CREATE INDEX access_requests_api ON access_requests (api_id, status, created_at);
CREATE INDEX access_requests_project ON access_requests (project_id, created_at);
-- At most one open request per project and API.
CREATE UNIQUE INDEX access_requests_one_pending ON access_requests (api_id, project_id) WHERE status = 'pending';

-- Grants: project P may obtain credentials for API A with these scopes (a subset of
-- A's). Provisional grants keep pre-existing credentials working until A's team decides
-- the access request they came with.
CREATE TABLE api_grants (
    id          TEXT PRIMARY KEY,
    api_id      TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    scopes      TEXT NOT NULL DEFAULT '',
    provisional BOOLEAN NOT NULL DEFAULT FALSE,
    request_id  TEXT REFERENCES access_requests (id) ON DELETE SET NULL,
    created_by  TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (api_id, project_id)
);
CREATE INDEX api_grants_project ON api_grants (project_id);

-- Why a key was revoked when the portal revoked it (grant narrowed or revoked, API
-- deleted), so its owner knows to reissue.
ALTER TABLE api_keys ADD COLUMN revoked_reason TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE api_keys DROP COLUMN revoked_reason;
DROP TABLE api_grants;
DROP TABLE access_requests;
DROP TABLE api_scopes;
DROP TABLE apis;
