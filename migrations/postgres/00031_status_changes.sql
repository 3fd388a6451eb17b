-- +goose Up
-- The revocation feed's change log: one row per status bit set, written in the same
-- transaction as the revocation. Its id is the feed's seq (GET /statuslists/events),
-- the same on every instance; each instance tails it to push events to its subscribers
-- and to flip the bits of the lists it holds in memory. Writers take a transaction-level
-- advisory lock before inserting, so ids commit in order and a tail reading
-- "id > last" never skips a row that commits late; they NOTIFY gatehouse_status_changes
-- so that every instance reads the log at once. Pruned after a retention (the newest
-- row always stays).
CREATE TABLE status_changes (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    status_list_id TEXT NOT NULL,
    status_idx     INTEGER NOT NULL,
    status         SMALLINT NOT NULL,
    version        BIGINT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX status_changes_created ON status_changes (created_at);

-- +goose Down
DROP TABLE status_changes;
