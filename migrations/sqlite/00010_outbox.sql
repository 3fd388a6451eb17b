-- +goose Up
-- Domain events, appended in the same transaction as the change they record (the
-- transactional outbox): an event exists if and only if its change committed. In-process
-- subscribers (usage counters, caches) hear of it after the commit; deliveries to the
-- outside (webhooks) read this table.
CREATE TABLE outbox_events (
    id          TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    team_id     TEXT NOT NULL DEFAULT '',
    project_id  TEXT NOT NULL DEFAULT '',
    subject_id  TEXT NOT NULL DEFAULT '',
    data        TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX outbox_events_team ON outbox_events (team_id, created_at, id);

-- +goose Down
DROP TABLE outbox_events;
