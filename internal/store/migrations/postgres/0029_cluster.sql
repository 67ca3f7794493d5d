-- +goose Up
-- Replicas (issue 18): each process sharing the database holds a lease on
-- its node name, renewed every few seconds. A process refuses to start as a
-- node whose lease another live process holds, and the jobs a node was
-- running when its lease ran out (the process died) are run again by the
-- others.
CREATE TABLE cluster_nodes (
    node       TEXT PRIMARY KEY,
    instance   TEXT NOT NULL,        -- random per process start
    started_at TIMESTAMPTZ NOT NULL,
    seen_at    TIMESTAMPTZ NOT NULL  -- the lease's last renewal
);

-- Every transaction that writes events tells the processes listening on
-- dataport_events when it commits (NOTIFY is delivered at commit and
-- folded per transaction), so each replica's search index, the ledger's
-- sequencer and the monitor look at once rather than at their next poll.
-- +goose StatementBegin
CREATE FUNCTION events_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('dataport_events', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

CREATE TRIGGER events_notify AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_notify();

-- +goose Down
DROP TRIGGER events_notify ON events;
DROP FUNCTION events_notify();
DROP TABLE cluster_nodes;
