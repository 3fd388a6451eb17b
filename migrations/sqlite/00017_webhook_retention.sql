-- +goose Up
-- Pruning old webhook deliveries and outbox events (GATEHOUSE_WEBHOOK_RETENTION) reads
-- them by age, a batch at a time.
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);
CREATE INDEX outbox_events_created ON outbox_events (created_at) WHERE webhooks_done;

-- Periodic jobs that should run on one instance per period: an instance runs the job
-- only when it moves next_at forward from a time already past (a conditional update
-- that one instance wins).
CREATE TABLE job_claims (
    name    TEXT PRIMARY KEY,
    next_at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE job_claims;
DROP INDEX outbox_events_created;
DROP INDEX webhook_deliveries_created;
