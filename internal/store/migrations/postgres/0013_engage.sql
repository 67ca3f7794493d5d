-- +goose Up
-- Engagement with published datasets (internal/engage): view and download
-- counts (statistics, flushed in batches), ratings, comments, error reports
-- (数据纠错) with the provider's reply, and follows.
CREATE TABLE engage_counts (
    resource_id TEXT PRIMARY KEY,
    views       BIGINT NOT NULL DEFAULT 0,
    downloads   BIGINT NOT NULL DEFAULT 0,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX engage_counts_views ON engage_counts(views DESC, resource_id);

-- Per day (Beijing date, YYYY-MM-DD), for the platform's statistics. The
-- count tables name resources without a foreign key: a batch of counts is
-- never refused for one of its ids.
CREATE TABLE engage_daily (
    day         TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    views       BIGINT NOT NULL DEFAULT 0,
    downloads   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, resource_id)
);

CREATE TABLE ratings (
    resource_id TEXT NOT NULL REFERENCES resources(id),
    user_id     TEXT NOT NULL REFERENCES users(id),
    stars       INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (resource_id, user_id)
);

CREATE TABLE comments (
    id            TEXT PRIMARY KEY,
    resource_id   TEXT NOT NULL REFERENCES resources(id),
    user_id       TEXT NOT NULL REFERENCES users(id),
    body          TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    hidden_at     TIMESTAMPTZ,
    hidden_by     TEXT NOT NULL DEFAULT '',
    hidden_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX comments_resource ON comments(resource_id, id);

CREATE TABLE error_reports (
    id          TEXT PRIMARY KEY,
    resource_id TEXT NOT NULL REFERENCES resources(id),
    user_id     TEXT NOT NULL REFERENCES users(id),
    column_name TEXT NOT NULL DEFAULT '',
    row_ref     TEXT NOT NULL DEFAULT '',
    value       TEXT NOT NULL DEFAULT '',
    problem     TEXT NOT NULL,
    status      TEXT NOT NULL,
    reply       TEXT NOT NULL DEFAULT '',
    replied_by  TEXT NOT NULL DEFAULT '',
    replied_at  TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX error_reports_resource ON error_reports(resource_id, id);
CREATE INDEX error_reports_user ON error_reports(user_id, id);

CREATE TABLE follows (
    resource_id TEXT NOT NULL REFERENCES resources(id),
    user_id     TEXT NOT NULL REFERENCES users(id),
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (resource_id, user_id)
);
CREATE INDEX follows_user ON follows(user_id);

-- The events the followers were told of (one row per event, so a run that
-- reads an event again tells no one twice), and how far runs have read.
CREATE TABLE follow_dispatches (
    event_id TEXT PRIMARY KEY,
    seq      BIGINT NOT NULL,
    at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX follow_dispatches_seq ON follow_dispatches(seq);

-- +goose Down
DROP TABLE follow_dispatches;
DROP TABLE follows;
DROP TABLE error_reports;
DROP TABLE comments;
DROP TABLE ratings;
DROP TABLE engage_daily;
DROP TABLE engage_counts;
