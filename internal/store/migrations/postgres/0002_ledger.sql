-- +goose Up
-- A log index belongs to one event; receipts and verification look events up by it.
CREATE UNIQUE INDEX events_ledger_index ON events(ledger_index) WHERE ledger_index IS NOT NULL;
-- The ledger's audit search: by type, by acting user or organization, by time.
CREATE INDEX events_type ON events(type, seq);
CREATE INDEX events_actor_user ON events(actor_user_id, seq);
CREATE INDEX events_actor_org ON events(actor_org_id, seq);
CREATE INDEX events_at ON events(at);

-- +goose Down
DROP INDEX events_at;
DROP INDEX events_actor_org;
DROP INDEX events_actor_user;
DROP INDEX events_type;
DROP INDEX events_ledger_index;
