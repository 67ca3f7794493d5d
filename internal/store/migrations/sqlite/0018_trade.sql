-- +goose Up
-- The exchange's trades (article 22): contract negotiations in the states
-- of the Dataspace Protocol 2025-1, the contracts they agree (the
-- canonical document kept as hashed and sealed), transfer processes with
-- the per-grant key of their current data address, settlements with
-- their invoices (records only), and the buyers' ratings. Per-grant API
-- keys get an expiry (a transfer's data address works for minutes).
CREATE TABLE trade_negotiations (
    id               TEXT PRIMARY KEY, -- providerPid, urn:uuid:…
    consumer_pid     TEXT NOT NULL,
    product_id       TEXT NOT NULL,
    offer_id         TEXT NOT NULL,
    provider_id      TEXT NOT NULL,
    provider_org_id  TEXT NOT NULL,
    buyer_id         TEXT NOT NULL,
    buyer_org_id     TEXT NOT NULL,
    state            TEXT NOT NULL,
    callback_address TEXT NOT NULL DEFAULT '',
    purpose          TEXT NOT NULL,
    policy           TEXT NOT NULL,
    period_days      INTEGER NOT NULL,
    contract_id      TEXT NOT NULL DEFAULT '',
    code             TEXT NOT NULL DEFAULT '',
    reason           TEXT NOT NULL DEFAULT '',
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX trade_negotiations_buyer ON trade_negotiations(buyer_org_id, id);
CREATE INDEX trade_negotiations_provider ON trade_negotiations(provider_org_id, id);
CREATE INDEX trade_negotiations_queue ON trade_negotiations(provider_org_id, state, id);
CREATE INDEX trade_negotiations_product ON trade_negotiations(product_id, id);

CREATE TABLE trade_contracts (
    id              TEXT PRIMARY KEY, -- agreement id, urn:uuid:…
    negotiation_id  TEXT NOT NULL UNIQUE,
    product_id      TEXT NOT NULL,
    product_hash    TEXT NOT NULL,
    provider_id     TEXT NOT NULL,
    buyer_id        TEXT NOT NULL,
    provider_org_id TEXT NOT NULL,
    buyer_org_id    TEXT NOT NULL,
    resource_ids    TEXT NOT NULL DEFAULT '[]',
    purpose         TEXT NOT NULL,
    policy          TEXT NOT NULL,
    period_days     INTEGER NOT NULL,
    onward_transfer INTEGER NOT NULL DEFAULT 0,
    price           TEXT NOT NULL,
    amount_fen      INTEGER NOT NULL,
    valid_from      TEXT NOT NULL,
    valid_until     TEXT NOT NULL,
    delivery        TEXT NOT NULL DEFAULT '[]',
    hash            TEXT NOT NULL,
    document        TEXT NOT NULL, -- the canonical JSON whose SHA-256 is hash
    grant_id        TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX trade_contracts_buyer ON trade_contracts(buyer_org_id, id);
CREATE INDEX trade_contracts_provider ON trade_contracts(provider_org_id, id);
CREATE INDEX trade_contracts_product ON trade_contracts(product_id, id);

CREATE TABLE trade_transfers (
    id               TEXT PRIMARY KEY, -- providerPid, urn:uuid:…
    consumer_pid     TEXT NOT NULL,
    contract_id      TEXT NOT NULL REFERENCES trade_contracts(id),
    provider_org_id  TEXT NOT NULL,
    buyer_org_id     TEXT NOT NULL,
    format           TEXT NOT NULL,
    state            TEXT NOT NULL,
    callback_address TEXT NOT NULL DEFAULT '',
    code             TEXT NOT NULL DEFAULT '',
    reason           TEXT NOT NULL DEFAULT '',
    key_id           TEXT NOT NULL DEFAULT '', -- the current data address's grant key
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX trade_transfers_contract ON trade_transfers(contract_id, state);

CREATE TABLE trade_settlements (
    id               TEXT PRIMARY KEY,
    contract_id      TEXT NOT NULL UNIQUE REFERENCES trade_contracts(id),
    model            TEXT NOT NULL,
    unit_fen         INTEGER NOT NULL,
    units            INTEGER NOT NULL,
    amount_fen       INTEGER NOT NULL,
    buyer_fee_bp     INTEGER NOT NULL,
    provider_fee_bp  INTEGER NOT NULL,
    buyer_fee_fen    INTEGER NOT NULL,
    provider_fee_fen INTEGER NOT NULL,
    status           TEXT NOT NULL,
    settled_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL
);

CREATE TABLE trade_invoices (
    id            TEXT PRIMARY KEY,
    settlement_id TEXT NOT NULL REFERENCES trade_settlements(id),
    number        TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL,
    issuer_org_id TEXT NOT NULL DEFAULT '', -- '' : the exchange
    payer_org_id  TEXT NOT NULL,
    amount_fen    INTEGER NOT NULL,
    issued_at     TEXT NOT NULL
);
CREATE INDEX trade_invoices_settlement ON trade_invoices(settlement_id);

CREATE TABLE trade_ratings (
    contract_id TEXT PRIMARY KEY REFERENCES trade_contracts(id),
    product_id  TEXT NOT NULL,
    buyer_id    TEXT NOT NULL,
    stars       INTEGER NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX trade_ratings_product ON trade_ratings(product_id, created_at);

ALTER TABLE grant_keys ADD COLUMN expires_at TEXT;

-- +goose Down
ALTER TABLE grant_keys DROP COLUMN expires_at;
DROP TABLE trade_ratings;
DROP TABLE trade_invoices;
DROP TABLE trade_settlements;
DROP TABLE trade_transfers;
DROP TABLE trade_contracts;
DROP TABLE trade_negotiations;
