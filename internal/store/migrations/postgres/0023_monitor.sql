-- +goose Up
-- Security monitoring (internal/monitor): rules kept as data (Sigma-like
-- YAML with CEL conditions), the alerts they raise with their evidence,
-- and the engine's state that outlives a restart (the events cursor).
CREATE TABLE monitor_rules (
    id          TEXT PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    severity    TEXT NOT NULL,
    source      TEXT NOT NULL,
    enabled     BOOLEAN NOT NULL,
    is_default  BOOLEAN NOT NULL DEFAULT FALSE,
    body        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    updated_by  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE monitor_alerts (
    id             TEXT PRIMARY KEY,
    rule_id        TEXT NOT NULL REFERENCES monitor_rules(id),
    rule_code      TEXT NOT NULL,
    severity       TEXT NOT NULL,
    state          TEXT NOT NULL,
    subject        TEXT NOT NULL,
    summary        TEXT NOT NULL,
    figures        TEXT NOT NULL DEFAULT '{}',
    hits           BIGINT NOT NULL DEFAULT 1,
    owner_user_id  TEXT NOT NULL DEFAULT '',
    incident_id    TEXT NOT NULL DEFAULT '',
    note           TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    last_hit_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX monitor_alerts_rule ON monitor_alerts(rule_code, state, id);
CREATE INDEX monitor_alerts_subject ON monitor_alerts(rule_id, subject, last_hit_at);
CREATE INDEX monitor_alerts_state ON monitor_alerts(state, id);

-- What an alert rests on: decisions (with the access.decisions event of
-- their batch), failed sign-ins and workflow events (their own event).
CREATE TABLE monitor_evidence (
    alert_id  TEXT NOT NULL REFERENCES monitor_alerts(id),
    n         INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    ref_id    TEXT NOT NULL,
    event_id  TEXT NOT NULL DEFAULT '',
    at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (alert_id, n)
);

CREATE TABLE monitor_state (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE monitor_state;
DROP TABLE monitor_evidence;
DROP TABLE monitor_alerts;
DROP TABLE monitor_rules;
