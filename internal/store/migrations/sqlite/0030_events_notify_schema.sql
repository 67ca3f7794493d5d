-- +goose Up
-- PostgreSQL only (the events notice names its schema).
SELECT 1;

-- +goose Down
SELECT 1;
