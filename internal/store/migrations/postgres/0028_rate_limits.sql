-- +goose Up
-- Rate limits shared by every process on the database (internal/access,
-- internal/web/uploadgate, internal/identity): a client spreading its
-- requests over several replicas meets one limit, not one per replica.
-- The tables are UNLOGGED: their rows are short-lived counts, written on
-- most requests, that need no write-ahead log (a transaction writing only
-- to them commits without waiting for a disk flush) and no copy on a
-- standby. A database crash empties them, which forgives what was counted:
-- the same as restarting a process whose limits are held in memory.

-- One token bucket per client key ("ip:…", "u:…", "k:…", "g:…",
-- "upload:…"): tokens left at time at, refilled at rate a second up to
-- burst; took says whether the last request took a token. A bucket absent
-- is full; rows that have refilled completely are deleted now and then.
CREATE UNLOGGED TABLE rate_buckets (
    key    TEXT PRIMARY KEY,
    tokens DOUBLE PRECISION NOT NULL,
    at     TIMESTAMPTZ NOT NULL,
    rate   DOUBLE PRECISION NOT NULL,
    burst  DOUBLE PRECISION NOT NULL,
    took   BOOLEAN NOT NULL
);

-- The uploads running for each account: a lease per upload, renewed while
-- it runs, so that the uploads of a replica that died free themselves when
-- their leases expire.
CREATE UNLOGGED TABLE upload_leases (
    id      TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    expires TIMESTAMPTZ NOT NULL
);
CREATE INDEX upload_leases_user ON upload_leases (user_id, expires);

-- Failed sign-ins and self-service actions (registrations, mailed codes)
-- within the throttle's window, by key: a (username, address) pair, a
-- username, an address, or a self-service limit's key.
CREATE UNLOGGED TABLE throttle_marks (
    key TEXT NOT NULL,
    at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX throttle_marks_key ON throttle_marks (key, at);
CREATE INDEX throttle_marks_at ON throttle_marks (at);

-- +goose Down
DROP TABLE throttle_marks;
DROP TABLE upload_leases;
DROP TABLE rate_buckets;
