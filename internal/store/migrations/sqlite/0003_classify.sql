-- +goose Up
-- The grade of each resource under GB/T 43697, from the last scan of its data
-- (classify), with the reasons, and a person's override with its written reason.
CREATE TABLE resource_gradings (
    resource_id             TEXT PRIMARY KEY REFERENCES resources(id) ON DELETE CASCADE,
    classification          TEXT NOT NULL,
    level                   INTEGER NOT NULL,
    personal_info           INTEGER NOT NULL DEFAULT 0,
    sensitive_personal_info INTEGER NOT NULL DEFAULT 0,
    persons                 INTEGER NOT NULL DEFAULT 0,
    computed_classification TEXT NOT NULL,
    computed_level          INTEGER NOT NULL,
    rules                   TEXT NOT NULL,
    reasons                 TEXT NOT NULL DEFAULT '[]',
    columns                 TEXT NOT NULL DEFAULT '[]',
    rows_scanned            INTEGER NOT NULL DEFAULT 0,
    source                  TEXT NOT NULL DEFAULT '',
    override_reason         TEXT NOT NULL DEFAULT '',
    overridden_by           TEXT NOT NULL DEFAULT '',
    overridden_at           TEXT,
    graded_by               TEXT NOT NULL,
    graded_at               TEXT NOT NULL,
    version                 INTEGER NOT NULL
);

-- De-identification profiles (deid) per resource; secret keys the pseudonyms
-- and date shifts of the profile and never leaves the server.
CREATE TABLE deid_profiles (
    id          TEXT PRIMARY KEY,
    resource_id TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    paths       TEXT NOT NULL DEFAULT '[]',
    spec        TEXT NOT NULL,
    secret      TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (resource_id, name)
);

-- +goose Down
DROP TABLE deid_profiles;
DROP TABLE resource_gradings;
