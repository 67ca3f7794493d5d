-- +goose Up
-- Statistics (article 7): one snapshot per day (Beijing time), computed from
-- the platform's own records as they stood at the day's end, and its values
-- per institution and city-wide (org_id '' is the city). A value keeps its
-- numerator and denominator, so that a period's percentages and means are
-- recomputed from the sums rather than averaged.
CREATE TABLE stats_snapshots (
    day        TEXT PRIMARY KEY, -- YYYY-MM-DD
    hash       TEXT NOT NULL,    -- SHA-256 of the canonical JSON of its values
    orgs       INTEGER NOT NULL,
    "values"   INTEGER NOT NULL,
    backfilled BOOLEAN NOT NULL DEFAULT FALSE,
    taken_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE stats_values (
    day       TEXT NOT NULL REFERENCES stats_snapshots(day),
    org_id    TEXT NOT NULL,
    indicator TEXT NOT NULL,
    value     DOUBLE PRECISION NOT NULL,
    num       DOUBLE PRECISION NOT NULL,
    den       DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (day, org_id, indicator)
);
-- The city's daily series (the page's trend lines); an index over every
-- institution's series would be written all over at each day's insert.
CREATE INDEX stats_values_city ON stats_values(indicator, day) WHERE org_id = '';

-- The rows served per day and resource, as the access service reports them
-- to its observers (stats/served.go): the decision log keeps no rows.
CREATE TABLE stats_rows_served (
    day         TEXT NOT NULL, -- YYYY-MM-DD, the decision's day in Beijing
    resource_id TEXT NOT NULL,
    rows_served BIGINT NOT NULL,
    PRIMARY KEY (day, resource_id)
);

-- +goose Down
DROP TABLE stats_rows_served;
DROP TABLE stats_values;
DROP TABLE stats_snapshots;
