-- +goose Up
-- The data exchange's core (articles 20–22): participants (数商) admitted by
-- the exchange's staff through a review case of kind "exchange_participant"
-- (the application's id is the case's), their supporting documents (files
-- in the blob store, named by SHA-256) and related parties; data products,
-- their double-vetted listing reviews (kind "exchange_listing", the same
-- id as the case) and the reviewers' checklists.
CREATE TABLE exchange_participants (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL UNIQUE,
    uscc           TEXT NOT NULL,
    legal_rep      TEXT NOT NULL,
    legal_rep_key  TEXT NOT NULL, -- SHA-256 of the normalized name: related parties are found by it
    contact_name   TEXT NOT NULL,
    contact_phone  TEXT NOT NULL,
    contact_email  TEXT NOT NULL,
    roles          TEXT NOT NULL DEFAULT '[]',
    tier           TEXT NOT NULL,
    status         TEXT NOT NULL,
    status_reason  TEXT NOT NULL DEFAULT '',
    admitted_at    TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX exchange_participants_status ON exchange_participants(status, id);
CREATE INDEX exchange_participants_legal_rep ON exchange_participants(legal_rep_key);

CREATE TABLE exchange_applications (
    id             TEXT PRIMARY KEY, -- the review case's id
    participant_id TEXT NOT NULL,
    org_id         TEXT NOT NULL,
    roles          TEXT NOT NULL DEFAULT '[]',
    tier           TEXT NOT NULL
);
CREATE INDEX exchange_applications_participant ON exchange_applications(participant_id, id);

CREATE TABLE exchange_documents (
    id          TEXT PRIMARY KEY,
    owner_kind  TEXT NOT NULL, -- participant, product
    owner_id    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    size        BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX exchange_documents_owner ON exchange_documents(owner_kind, owner_id, id);

CREATE TABLE exchange_relations (
    participant_id TEXT NOT NULL,
    other_id       TEXT NOT NULL,
    kind           TEXT NOT NULL,
    note           TEXT NOT NULL DEFAULT '',
    declared_by    TEXT NOT NULL, -- participant, staff, detected
    created_by     TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (participant_id, other_id, kind)
);
CREATE INDEX exchange_relations_other ON exchange_relations(other_id);

CREATE TABLE exchange_products (
    id                  TEXT PRIMARY KEY,
    provider_id         TEXT NOT NULL,
    provider_org_id     TEXT NOT NULL,
    title               TEXT NOT NULL,
    description         TEXT NOT NULL,
    use_scenarios       TEXT NOT NULL DEFAULT '[]',
    source              TEXT NOT NULL,
    source_note         TEXT NOT NULL DEFAULT '',
    legal_basis         TEXT NOT NULL DEFAULT '',
    resource_ids        TEXT NOT NULL DEFAULT '[]',
    zone_output_ids     TEXT NOT NULL DEFAULT '[]',
    sample_deid_profile TEXT NOT NULL DEFAULT '',
    delivery            TEXT NOT NULL DEFAULT '[]',
    price_model         TEXT NOT NULL,
    price_amount_fen    BIGINT NOT NULL,
    price_period_days   INTEGER NOT NULL DEFAULT 0,
    offer               TEXT NOT NULL DEFAULT '{}',
    derived_from        TEXT NOT NULL DEFAULT '[]',
    status              TEXT NOT NULL,
    status_reason       TEXT NOT NULL DEFAULT '',
    hash                TEXT NOT NULL,
    source_hash         TEXT NOT NULL, -- SHA-256 of the source declaration alone
    source_changed      BOOLEAN NOT NULL DEFAULT FALSE,
    review_id           TEXT NOT NULL DEFAULT '', -- the latest listing review
    listed_at           TIMESTAMPTZ,
    created_by          TEXT NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX exchange_products_status ON exchange_products(status, id);
CREATE INDEX exchange_products_provider ON exchange_products(provider_id, id);

CREATE TABLE exchange_listings (
    id              TEXT PRIMARY KEY, -- the review case's id
    product_id      TEXT NOT NULL,
    provider_id     TEXT NOT NULL,
    product_hash    TEXT NOT NULL, -- the product as submitted
    law_firm_id     TEXT NOT NULL DEFAULT '' -- the law-firm participant vetting it
);
CREATE INDEX exchange_listings_product ON exchange_listings(product_id, id);

CREATE TABLE exchange_checklists (
    case_id     TEXT NOT NULL,
    step        TEXT NOT NULL,
    reviewer    TEXT NOT NULL, -- exchange, law_firm
    actor_id    TEXT NOT NULL,
    items       TEXT NOT NULL DEFAULT '{}',
    note        TEXT NOT NULL DEFAULT '',
    decision    TEXT NOT NULL DEFAULT '', -- set when the vote is cast
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (case_id, step, reviewer)
);

-- +goose Down
DROP TABLE exchange_checklists;
DROP TABLE exchange_listings;
DROP TABLE exchange_products;
DROP TABLE exchange_relations;
DROP TABLE exchange_documents;
DROP TABLE exchange_applications;
DROP TABLE exchange_participants;
