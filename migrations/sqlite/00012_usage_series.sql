-- +goose Up
-- Daily usage per project and per API, for the usage charts: besides issued access
-- tokens and revocations, API keys created and verifications (an API introspecting an
-- API key). An access token or a key with several audiences counts once for each API.
-- Written in batches from memory like usage_counts; rows of a deleted API are kept.
ALTER TABLE usage_counts ADD COLUMN keys_created INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_counts ADD COLUMN verifications INTEGER NOT NULL DEFAULT 0;
CREATE TABLE api_usage_counts (
    api_id        TEXT NOT NULL,
    day           TEXT NOT NULL,
    tokens        INTEGER NOT NULL DEFAULT 0,
    keys_created  INTEGER NOT NULL DEFAULT 0,
    revocations   INTEGER NOT NULL DEFAULT 0,
    verifications INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (api_id, day)
);

-- +goose Down
DROP TABLE api_usage_counts;
ALTER TABLE usage_counts DROP COLUMN verifications;
ALTER TABLE usage_counts DROP COLUMN keys_created;
