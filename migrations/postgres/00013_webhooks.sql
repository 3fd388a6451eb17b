-- +goose Up
-- Webhooks: a team's endpoints, the deliveries fanned out to them from the outbox, and
-- the expiry notices already announced.
CREATE TABLE webhook_endpoints (
    id                TEXT PRIMARY KEY,
    team_id           TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    url               TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    -- space-separated event types it subscribes to
    events            TEXT NOT NULL,
    enabled           BOOLEAN NOT NULL DEFAULT TRUE,
    -- the signing secret (whsec_…), sealed under the master key; during a rotation the
    -- previous one keeps signing too until previous_until
    secret_enc        TEXT NOT NULL,
    previous_enc      TEXT NOT NULL DEFAULT '',
    previous_until    TIMESTAMPTZ,
    -- failing_since is the first failed attempt since the last success; an endpoint
    -- that fails for 24 h is disabled, with disabled_reason saying why
    failing_since     TIMESTAMPTZ,
    disabled_reason   TEXT NOT NULL DEFAULT '',
    disabled_at       TIMESTAMPTZ,
    -- the instance sending to it now, until lease_until (one sender per endpoint keeps
    -- its deliveries in order)
    lease_owner       TEXT NOT NULL DEFAULT '',
    lease_until       TIMESTAMPTZ,
    created_by        TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_endpoints_team ON webhook_endpoints (team_id, created_at);

-- One event (or test, or redelivery) for one endpoint. seq orders an endpoint's
-- deliveries: the next waits until the previous one succeeded or gave up.
CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    seq              BIGINT NOT NULL,
    event_id         TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending',
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    first_attempt_at TIMESTAMPTZ,
    last_attempt_at  TIMESTAMPTZ,
    response_code    INTEGER NOT NULL DEFAULT 0,
    latency_ms       INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX webhook_deliveries_seq ON webhook_deliveries (seq);
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (endpoint_id, status, seq);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);

-- The dispatcher's one row: locked while it fans events out, and the next seq.
CREATE TABLE webhook_dispatch (
    id       INTEGER PRIMARY KEY,
    next_seq BIGINT NOT NULL
);
INSERT INTO webhook_dispatch (id, next_seq) VALUES (1, 1);

-- Outbox events the dispatcher has fanned out. An event is marked rather than passed by
-- a cursor: one that commits after a later id was read is still delivered.
ALTER TABLE outbox_events ADD COLUMN webhooks_done BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE outbox_events SET webhooks_done = TRUE;
CREATE INDEX outbox_events_webhooks_pending ON outbox_events (id) WHERE NOT webhooks_done;

-- Expiry notices sent: one per credential and threshold (30, 7, 1 days), so every
-- instance running the job announces each once.
CREATE TABLE expiry_notices (
    subject_id TEXT NOT NULL,
    days       INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (subject_id, days)
);

-- +goose Down
DROP TABLE expiry_notices;
DROP INDEX outbox_events_webhooks_pending;
ALTER TABLE outbox_events DROP COLUMN webhooks_done;
DROP TABLE webhook_dispatch;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
