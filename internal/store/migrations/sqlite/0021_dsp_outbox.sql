-- +goose Up
-- The Dataspace Protocol provider's callbacks: each message to a
-- consumer's callbackAddress is queued in the transaction of the state
-- change it reports and sent after commit, in order per process, tried
-- again with a growing backoff until its last attempt. A message that
-- carries a secret (the data address of a transfer start) is stored
-- without it: with_address says to issue the address when sending. A
-- message is claimed (claimed_by, until claimed_until) by the server that
-- sends it: at first the one that queued it.
CREATE TABLE dsp_outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    process_kind    TEXT NOT NULL,
    process_id      TEXT NOT NULL,
    message_type    TEXT NOT NULL,
    url             TEXT NOT NULL,
    body            TEXT NOT NULL,
    with_address    INTEGER NOT NULL DEFAULT 0,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_until   TEXT,
    claimed_by      TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX dsp_outbox_due ON dsp_outbox(next_attempt_at, seq) WHERE status = 'pending';
CREATE INDEX dsp_outbox_process ON dsp_outbox(process_id, seq);

-- +goose Down
DROP TABLE dsp_outbox;
