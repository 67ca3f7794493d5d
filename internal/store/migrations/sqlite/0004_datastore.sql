-- +goose Up
-- The datastore: every load of a resource's rows becomes an immutable version
-- held in its own table (ds_*); datastore_current points readers at one of
-- them and is switched in the same transaction as the version row and its event.

-- Per-resource loading settings: what to do with bad rows, how many versions
-- to keep, CEL quality rules and extra indexes.
CREATE TABLE datastore_settings (
    resource_id   TEXT PRIMARY KEY REFERENCES resources(id) ON DELETE CASCADE,
    on_error      TEXT NOT NULL DEFAULT 'refuse',
    keep_versions INTEGER NOT NULL DEFAULT 5,
    rules         TEXT NOT NULL DEFAULT '[]',
    indexes       TEXT NOT NULL DEFAULT '[]',
    updated_at    TEXT NOT NULL
);

-- A load in progress or finished. A load whose heartbeat stopped (the process
-- died) is failed and its table dropped by the next load or start.
CREATE TABLE datastore_loads (
    id           TEXT PRIMARY KEY,
    resource_id  TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    table_name   TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    file_name    TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL,
    rows_read    INTEGER NOT NULL DEFAULT 0,
    bytes_read   INTEGER NOT NULL DEFAULT 0,
    total_bytes  INTEGER NOT NULL DEFAULT 0,
    message      TEXT NOT NULL DEFAULT '',
    version      INTEGER NOT NULL DEFAULT 0,
    started_at   TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL,
    finished_at  TEXT
);
CREATE INDEX datastore_loads_resource ON datastore_loads(resource_id, started_at);
CREATE INDEX datastore_loads_state ON datastore_loads(state);

CREATE TABLE datastore_versions (
    resource_id      TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    version          INTEGER NOT NULL,
    status           TEXT NOT NULL,
    table_name       TEXT NOT NULL,
    quarantine_table TEXT NOT NULL DEFAULT '',
    row_count        INTEGER NOT NULL,
    rejected_count   INTEGER NOT NULL DEFAULT 0,
    items            TEXT NOT NULL,
    report           TEXT NOT NULL,
    file_name        TEXT NOT NULL DEFAULT '',
    file_sha256      TEXT NOT NULL DEFAULT '',
    file_bytes       INTEGER NOT NULL DEFAULT 0,
    load_id          TEXT NOT NULL DEFAULT '',
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    PRIMARY KEY (resource_id, version)
);

CREATE TABLE datastore_current (
    resource_id TEXT PRIMARY KEY REFERENCES resources(id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    table_name  TEXT NOT NULL,
    row_count   INTEGER NOT NULL,
    switched_at TEXT NOT NULL
);

-- Resources whose newest version is older than their update frequency allows,
-- as flagged by the timeliness monitor.
CREATE TABLE datastore_stale (
    resource_id TEXT PRIMARY KEY REFERENCES resources(id) ON DELETE CASCADE,
    newest_at   TEXT,
    due_at      TEXT NOT NULL,
    flagged_at  TEXT NOT NULL
);

-- +goose Down
DROP TABLE datastore_stale;
DROP TABLE datastore_current;
DROP TABLE datastore_versions;
DROP TABLE datastore_loads;
DROP TABLE datastore_settings;
