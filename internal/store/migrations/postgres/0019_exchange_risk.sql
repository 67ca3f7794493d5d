-- +goose Up
-- The exchange's risk warning (internal/exchange/risk): rules in CEL,
-- the trades the cycle detection builds its graph from, orders and failed
-- reviews counted in windows, and the alerts staff work through.
CREATE TABLE risk_rules (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    on_kind     TEXT NOT NULL,
    expr        TEXT NOT NULL,
    dedupe      TEXT NOT NULL DEFAULT '',
    severity    TEXT NOT NULL,
    queue       TEXT NOT NULL,
    enabled     BOOLEAN NOT NULL,
    builtin     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

-- One row per contract agreed: an edge of the trade graph. lineage is the
-- JSON list of the products the product derives from.
CREATE TABLE risk_trades (
    contract_id  TEXT PRIMARY KEY,
    product_id   TEXT NOT NULL,
    lineage      TEXT NOT NULL DEFAULT '[]',
    provider_id  TEXT NOT NULL,
    buyer_id     TEXT NOT NULL,
    price_model  TEXT NOT NULL,
    unit_fen     BIGINT NOT NULL,
    amount_fen   BIGINT NOT NULL,
    at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX risk_trades_product ON risk_trades(product_id, price_model, at, unit_fen, contract_id); -- covers the price history
CREATE INDEX risk_trades_at ON risk_trades(at); -- the trades other processes recorded since

-- Orders and failed reviews, counted within windows.
CREATE TABLE risk_signals (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    participant_id  TEXT NOT NULL,
    product_id      TEXT NOT NULL,
    ref_id          TEXT NOT NULL,
    at              TIMESTAMPTZ NOT NULL
);
CREATE INDEX risk_signals_participant ON risk_signals(kind, participant_id, at);
CREATE INDEX risk_signals_product ON risk_signals(kind, product_id, at);

CREATE TABLE risk_alerts (
    id               TEXT PRIMARY KEY,
    rule_id          TEXT NOT NULL REFERENCES risk_rules(id),
    rule_name        TEXT NOT NULL,
    title            TEXT NOT NULL,
    severity         TEXT NOT NULL,
    queue            TEXT NOT NULL,
    kind             TEXT NOT NULL,
    dedupe_key       TEXT NOT NULL,
    participant_ids  TEXT NOT NULL DEFAULT '[]',
    product_ids      TEXT NOT NULL DEFAULT '[]',
    contract_ids     TEXT NOT NULL DEFAULT '[]',
    evidence         TEXT NOT NULL,
    status           TEXT NOT NULL,
    occurrences      BIGINT NOT NULL DEFAULT 1,
    note             TEXT NOT NULL DEFAULT '',
    actions          TEXT NOT NULL DEFAULT '[]',
    acknowledged_by  TEXT NOT NULL DEFAULT '',
    acknowledged_at  TIMESTAMPTZ,
    closed_by        TEXT NOT NULL DEFAULT '',
    closed_at        TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    last_seen_at     TIMESTAMPTZ NOT NULL
);
-- One alert per rule and key until it is closed: repeats count on it.
CREATE UNIQUE INDEX risk_alerts_live ON risk_alerts(rule_id, dedupe_key) WHERE status <> 'closed';
CREATE INDEX risk_alerts_queue ON risk_alerts(queue, status, id);

-- +goose Down
DROP TABLE risk_alerts;
DROP TABLE risk_signals;
DROP TABLE risk_trades;
DROP TABLE risk_rules;
