-- +goose Up
-- Nothing to create: on SQLite, datastore_search_sql runs on a read-only
-- connection of its own whose authorizer permits reading the statement's
-- version tables only (internal/datastore/sqlrun.go). This file keeps the
-- version numbers of both dialects in step.
SELECT 1;

-- +goose Down
SELECT 1;
