-- +goose Up
-- The revocation feed's change log: one row per status bit set, written in the same
-- transaction as the revocation. Its id is the feed's seq (GET /statuslists/events),
-- the same on every instance; each instance tails it to push events to its subscribers
-- and to flip the bits of the lists it holds in memory. Pruned after a retention (the
-- newest row always stays, so the sequence never goes back).
CREATE TABLE status_changes (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    status_list_id TEXT NOT NULL,
    status_idx     INTEGER NOT NULL,
    status         INTEGER NOT NULL,
    version        INTEGER NOT NULL,
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX status_changes_created ON status_changes (created_at);

-- +goose Down
DROP TABLE status_changes;
