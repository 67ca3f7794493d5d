-- +goose Up
-- Data-asset registration and valuation (article 21). A registration is a
-- review case of kind "asset_registration" (the same id): initial, change,
-- transfer, licence and cancellation registrations of a product's rights,
-- and objections to (or applications to revoke) a registration. An
-- approved registration gets its number and a public objection period
-- (stage publicity) and takes effect when the period ends with no objection
-- sustained. Valuation reports are filed by independent assessors.
CREATE TABLE asset_registrations (
    id                TEXT PRIMARY KEY, -- the review case's id
    type              TEXT NOT NULL,    -- initial, change, transfer, licence, cancellation, objection
    product_id        TEXT NOT NULL,
    product_hash      TEXT NOT NULL,
    holder_id         TEXT NOT NULL,    -- participant holding the rights (after a transfer: the transferee)
    holder_org_id     TEXT NOT NULL,
    holder_name       TEXT NOT NULL DEFAULT '',
    holder_uscc       TEXT NOT NULL DEFAULT '',
    rights            TEXT NOT NULL DEFAULT '[]',
    prior_id          TEXT NOT NULL DEFAULT '', -- the registration changed, transferred, licensed, cancelled or objected to
    counterparty_id   TEXT NOT NULL DEFAULT '', -- the other party, who consents: transfer: the transferee (then the holder); licence: the licensee
    licence_until     TEXT NOT NULL DEFAULT '', -- licence: the last day, YYYY-MM-DD
    statement         TEXT NOT NULL DEFAULT '',
    number            TEXT UNIQUE,              -- set at approval: JH-DR-2026-000123
    registration_hash TEXT NOT NULL DEFAULT '', -- SHA-256 of the canonical registration, set at approval
    stage             TEXT NOT NULL,            -- review, publicity, effective, revoked, superseded, cancelled, sustained, refused
    approved_at       TEXT,
    publicity_ends_at TEXT,
    effective_at      TEXT,
    ended_at          TEXT,
    ended_by          TEXT NOT NULL DEFAULT '',
    created_at        TEXT NOT NULL
);
CREATE INDEX asset_registrations_product ON asset_registrations(product_id, stage);
CREATE INDEX asset_registrations_prior ON asset_registrations(prior_id, stage);
CREATE INDEX asset_registrations_publicity ON asset_registrations(stage, publicity_ends_at);

-- The last registration number given in each year.
CREATE TABLE asset_registration_numbers (
    year INTEGER PRIMARY KEY,
    last BIGINT NOT NULL
);

CREATE TABLE asset_valuations (
    id               TEXT PRIMARY KEY,
    product_id       TEXT NOT NULL,
    registration_id  TEXT NOT NULL DEFAULT '', -- the product's registration in effect when filed
    holder_id        TEXT NOT NULL,
    holder_org_id    TEXT NOT NULL,
    assessor_id      TEXT NOT NULL,
    assessor_org_id  TEXT NOT NULL,
    method           TEXT NOT NULL, -- cost, income, market
    base_date        TEXT NOT NULL, -- 评估基准日, YYYY-MM-DD
    purpose          TEXT NOT NULL,
    inputs           TEXT NOT NULL, -- the method's inputs (JSON)
    assumptions      TEXT NOT NULL DEFAULT '[]',
    value_fen        BIGINT NOT NULL,
    computation      TEXT NOT NULL DEFAULT '[]',
    report_name      TEXT NOT NULL,
    report_sha256    TEXT NOT NULL,
    report_size      BIGINT NOT NULL,
    hash             TEXT NOT NULL, -- SHA-256 of the canonical report
    filed_by         TEXT NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX asset_valuations_product ON asset_valuations(product_id, id);
CREATE INDEX asset_valuations_assessor ON asset_valuations(assessor_org_id, id);
CREATE INDEX asset_valuations_holder ON asset_valuations(holder_org_id, id);

-- +goose Down
DROP TABLE asset_valuations;
DROP TABLE asset_registration_numbers;
DROP TABLE asset_registrations;
