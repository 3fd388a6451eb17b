-- +goose Up
-- Per-project daily counts of issued access tokens and revocations. Written in batches
-- from memory (never a write per token), added with an upsert so instances can share rows.
CREATE TABLE usage_counts (
    project_id  TEXT NOT NULL,
    day         TEXT NOT NULL,
    tokens      INTEGER NOT NULL DEFAULT 0,
    revocations INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, day)
);

-- +goose Down
DROP TABLE usage_counts;
