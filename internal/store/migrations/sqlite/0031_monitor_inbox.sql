-- +goose Up
-- Decisions and sign-ins observed by a replica that does not evaluate the
-- monitoring rules, relayed to the one that does (internal/monitor/relay.go).
-- A single SQLite process always evaluates them itself; the table keeps the
-- two schemas alike.
CREATE TABLE monitor_inbox (
    seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    at    TEXT NOT NULL,
    body  TEXT NOT NULL
);

-- +goose Down
DROP TABLE monitor_inbox;
