-- +goose Up
-- Harvest sources: another portal's catalog registered for an institution,
-- harvested on a schedule (or when asked) by the job runner. The id is the
-- key the runs' harvest.completed events already carry as their subject.
CREATE TABLE harvest_sources (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    kind            TEXT NOT NULL,
    url             TEXT NOT NULL,
    subject         TEXT NOT NULL DEFAULT '',
    frequency       TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    next_run_at     TIMESTAMPTZ,
    run_status      TEXT NOT NULL DEFAULT '',
    run_error       TEXT NOT NULL DEFAULT '',
    last_report     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX harvest_sources_org ON harvest_sources(organization_id);
CREATE INDEX harvest_sources_due ON harvest_sources(next_run_at);

-- +goose Down
DROP TABLE harvest_sources;
