-- +goose Up
-- The events notice names the schema it was sent from: NOTIFY channels are
-- database-wide, and installations in separate schemas of one database
-- (trials beside production, tests) listen only to their own.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION events_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('dataport_events', current_schema());
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION events_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('dataport_events', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
