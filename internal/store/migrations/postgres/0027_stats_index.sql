-- +goose Up
-- The composite index of the digital economy (article 7): one immutable
-- release per year, holding everything needed to recompute it — the method
-- (normalisation, aggregation, weights, sensitivity runs), the input values
-- as canonical text (one line "org_id TAB indicator TAB %.17g value" per
-- value, sorted), the institutions and indicators as they were named, and
-- the result (scores, ranks, rank ranges) — each with its SHA-256, which
-- the stats.index.published event carries. A trigger refuses any change.
CREATE TABLE stats_index_releases (
    id            TEXT PRIMARY KEY,
    period        TEXT NOT NULL UNIQUE, -- YYYY
    method        TEXT NOT NULL,        -- JSON composite.Method
    method_sha256 TEXT NOT NULL,
    inputs        TEXT NOT NULL,        -- canonical text of the values
    inputs_sha256 TEXT NOT NULL,
    result        TEXT NOT NULL,        -- JSON composite.Result
    result_sha256 TEXT NOT NULL,
    orgs          TEXT NOT NULL,        -- JSON []stats.Org
    indicators    TEXT NOT NULL,        -- JSON []stats.Indicator (the method's)
    published_by  TEXT NOT NULL,
    published_at  TIMESTAMPTZ NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION stats_index_releases_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'stats_index_releases: a published index is immutable';
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

CREATE TRIGGER stats_index_releases_immutable BEFORE UPDATE OR DELETE ON stats_index_releases
    FOR EACH ROW EXECUTE FUNCTION stats_index_releases_immutable();

-- +goose Down
DROP TRIGGER stats_index_releases_immutable ON stats_index_releases;
DROP FUNCTION stats_index_releases_immutable();
DROP TABLE stats_index_releases;
