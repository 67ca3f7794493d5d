-- +goose Up
-- Public data zones (专区, article 19): zones with their steward institution,
-- member resources with the role of each item (key, attribute, free text)
-- and the zone's disclosure rules; operators' applications (reviewed by the
-- steward and the platform operator through the review workflow) and the
-- authorisations they become (each backed by access grants of origin
-- "zone"); the epsilon budget of each operator on each resource, charged
-- atomically in micro-epsilon; sandbox queries with their plan, outcome,
-- released result and meter; and outputs kept as derived datasets.
-- Events carry identifiers and hashes, never statements' results.
CREATE TABLE zones (
    id             TEXT PRIMARY KEY,
    code           TEXT NOT NULL UNIQUE,
    name_zh        TEXT NOT NULL,
    name_en        TEXT NOT NULL DEFAULT '',
    domain         TEXT NOT NULL,
    steward_org_id TEXT NOT NULL,
    description_zh TEXT NOT NULL DEFAULT '',
    description_en TEXT NOT NULL DEFAULT '',
    rules          TEXT NOT NULL, -- JSON zones.Rules
    status         TEXT NOT NULL, -- active | closed
    created_by     TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX zones_steward ON zones(steward_org_id, id);

CREATE TABLE zone_resources (
    zone_id     TEXT NOT NULL REFERENCES zones(id),
    resource_id TEXT NOT NULL,
    items       TEXT NOT NULL, -- JSON []zones.ItemRule
    added_by    TEXT NOT NULL,
    added_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (zone_id, resource_id)
);
CREATE INDEX zone_resources_resource ON zone_resources(resource_id);

CREATE TABLE zone_applications (
    id                 TEXT PRIMARY KEY,
    zone_id            TEXT NOT NULL REFERENCES zones(id),
    operator_org_id    TEXT NOT NULL,
    scenario           TEXT NOT NULL,
    document_no        TEXT NOT NULL,
    document_title     TEXT NOT NULL DEFAULT '',
    resource_ids       TEXT NOT NULL, -- JSON []string
    epsilon_micro      BIGINT NOT NULL, -- the budget asked per resource
    valid_from         TIMESTAMPTZ NOT NULL,
    valid_until        TIMESTAMPTZ NOT NULL,
    authorisation_id   TEXT NOT NULL DEFAULT '',
    created_by         TEXT NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX zone_applications_zone ON zone_applications(zone_id, id);
CREATE INDEX zone_applications_operator ON zone_applications(operator_org_id, id);

CREATE TABLE zone_authorisations (
    id              TEXT PRIMARY KEY,
    zone_id         TEXT NOT NULL REFERENCES zones(id),
    application_id  TEXT NOT NULL,
    operator_org_id TEXT NOT NULL,
    scenario        TEXT NOT NULL,
    resource_ids    TEXT NOT NULL, -- JSON []string
    grant_ids       TEXT NOT NULL, -- JSON []string: access grants of origin zone
    valid_from      TIMESTAMPTZ NOT NULL,
    valid_until     TIMESTAMPTZ NOT NULL,
    revoked_at      TIMESTAMPTZ,
    revoked_by      TEXT NOT NULL DEFAULT '',
    revoke_reason   TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX zone_authorisations_zone ON zone_authorisations(zone_id, operator_org_id);
CREATE INDEX zone_authorisations_operator ON zone_authorisations(operator_org_id, id);

-- One budget per operator and resource in a zone, whatever authorisation
-- it runs under: a renewed authorisation does not refill it.
CREATE TABLE zone_budgets (
    zone_id         TEXT NOT NULL,
    operator_org_id TEXT NOT NULL,
    resource_id     TEXT NOT NULL,
    total_micro     BIGINT NOT NULL,
    spent_micro     BIGINT NOT NULL DEFAULT 0,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (zone_id, operator_org_id, resource_id),
    CHECK (spent_micro <= total_micro)
);

CREATE TABLE zone_queries (
    id               TEXT PRIMARY KEY,
    zone_id          TEXT NOT NULL REFERENCES zones(id),
    authorisation_id TEXT NOT NULL DEFAULT '',
    operator_org_id  TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    sql_text         TEXT NOT NULL,
    sql_sha256       TEXT NOT NULL,
    mechanism        TEXT NOT NULL, -- sdc | dp
    epsilon_micro    BIGINT NOT NULL DEFAULT 0,
    status           TEXT NOT NULL, -- queued, running, released, refused, review, failed
    reason           TEXT NOT NULL DEFAULT '',
    plan             TEXT NOT NULL DEFAULT '', -- JSON zsql.Plan (what the difference check compares)
    result           TEXT NOT NULL DEFAULT '', -- JSON: columns, rows, suppressed cells
    cells            TEXT NOT NULL DEFAULT '', -- JSON: released cells' group values and person counts
    resource_ids     TEXT NOT NULL DEFAULT '[]',
    suppressed_cells BIGINT NOT NULL DEFAULT 0,
    released_cells   BIGINT NOT NULL DEFAULT 0,
    epsilon_spent_micro BIGINT NOT NULL DEFAULT 0,
    rows_scanned     BIGINT NOT NULL DEFAULT 0,
    compute_ms       BIGINT NOT NULL DEFAULT 0,
    progress         BIGINT NOT NULL DEFAULT 0, -- percent
    job_id           BIGINT NOT NULL DEFAULT 0,
    created_at       TIMESTAMPTZ NOT NULL,
    started_at       TIMESTAMPTZ,
    finished_at      TIMESTAMPTZ
);
CREATE INDEX zone_queries_zone ON zone_queries(zone_id, id);
CREATE INDEX zone_queries_operator ON zone_queries(operator_org_id, zone_id, status);

CREATE TABLE zone_outputs (
    id          TEXT PRIMARY KEY,
    zone_id     TEXT NOT NULL REFERENCES zones(id),
    query_id    TEXT NOT NULL REFERENCES zone_queries(id),
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    result_sha256 TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX zone_outputs_zone ON zone_outputs(zone_id, id);

-- +goose Down
DROP TABLE zone_outputs;
DROP TABLE zone_queries;
DROP TABLE zone_budgets;
DROP TABLE zone_authorisations;
DROP TABLE zone_applications;
DROP TABLE zone_resources;
DROP TABLE zones;
