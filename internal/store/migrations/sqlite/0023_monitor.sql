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
    enabled     INTEGER NOT NULL,
    is_default  INTEGER NOT NULL DEFAULT 0,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
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
    hits           INTEGER NOT NULL DEFAULT 1,
    owner_user_id  TEXT NOT NULL DEFAULT '',
    incident_id    TEXT NOT NULL DEFAULT '',
    note           TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    last_hit_at    TEXT NOT NULL
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
    at        TEXT NOT NULL,
    PRIMARY KEY (alert_id, n)
);

CREATE TABLE monitor_state (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- +goose Down
DROP TABLE monitor_state;
DROP TABLE monitor_evidence;
DROP TABLE monitor_alerts;
DROP TABLE monitor_rules;
