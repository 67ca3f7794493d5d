-- +goose Up
-- Node leases (see the PostgreSQL migration). One process owns a SQLite
-- file, but its lease still keeps a second process on the same data dir
-- from starting as the same node.
CREATE TABLE cluster_nodes (
    node       TEXT PRIMARY KEY,
    instance   TEXT NOT NULL,
    started_at TEXT NOT NULL,
    seen_at    TEXT NOT NULL
);

-- +goose Down
DROP TABLE cluster_nodes;
