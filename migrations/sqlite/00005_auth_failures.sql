-- +goose Up
-- Failed client authentications per key ("client:…", "ip:…") in fixed windows, shared
-- by every instance, so N instances do not give an attacker N times the guesses.
CREATE TABLE auth_failures (
    key          TEXT PRIMARY KEY,
    window_start TIMESTAMP NOT NULL,
    failures     INTEGER NOT NULL
);
CREATE INDEX auth_failures_window ON auth_failures (window_start);

-- +goose Down
DROP TABLE auth_failures;
