-- +goose Up
-- Decisions and sign-ins observed by a replica that does not evaluate the
-- monitoring rules, relayed to the one that does (internal/monitor/relay.go).
-- Rows live until that replica's next poll, which deletes what it reads.
CREATE TABLE monitor_inbox (
    seq   BIGSERIAL PRIMARY KEY,
    at    TIMESTAMPTZ NOT NULL,
    body  TEXT NOT NULL
);

-- +goose Down
DROP TABLE monitor_inbox;
