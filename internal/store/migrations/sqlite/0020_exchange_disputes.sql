-- +goose Up
-- Disputes over exchange contracts (article 50): a party's claim, the
-- evidence bundle attached when the case opened (a zip in the blob store,
-- named by its SHA-256, which is sealed in the ledger), the mediator and
-- the arbitrator from the exchange's staff, and every step with its
-- reasons. Events carry the hashes of the texts, never the texts.
CREATE TABLE exchange_disputes (
    id                TEXT PRIMARY KEY,
    contract_id       TEXT NOT NULL,
    claimant_org_id   TEXT NOT NULL,
    respondent_org_id TEXT NOT NULL,
    claimant_side     TEXT NOT NULL, -- buyer | provider
    claim             TEXT NOT NULL,
    status            TEXT NOT NULL, -- open, mediation, arbitration, settled, decided, withdrawn
    mediator_id       TEXT NOT NULL DEFAULT '',
    arbitrator_id     TEXT NOT NULL DEFAULT '',
    outcome           TEXT NOT NULL DEFAULT '',
    evidence_sha256   TEXT NOT NULL DEFAULT '',
    evidence_size     INTEGER NOT NULL DEFAULT 0,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX exchange_disputes_contract ON exchange_disputes(contract_id, id);
CREATE INDEX exchange_disputes_claimant ON exchange_disputes(claimant_org_id, id);
CREATE INDEX exchange_disputes_respondent ON exchange_disputes(respondent_org_id, id);
CREATE INDEX exchange_disputes_status ON exchange_disputes(status, id);

CREATE TABLE exchange_dispute_steps (
    id          TEXT PRIMARY KEY,
    dispute_id  TEXT NOT NULL REFERENCES exchange_disputes(id),
    seq         INTEGER NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    outcome     TEXT NOT NULL DEFAULT '',
    reasons     TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL,
    UNIQUE (dispute_id, seq)
);

-- +goose Down
DROP TABLE exchange_dispute_steps;
DROP TABLE exchange_disputes;
