-- +goose Up
-- Nothing to create: one process serves a SQLite file, and it keeps its
-- rate limits, running uploads and sign-in throttle in memory (on
-- PostgreSQL they live in rate_buckets, upload_leases and throttle_marks,
-- shared by every replica). This file keeps the version numbers of both
-- dialects in step.
SELECT 1;

-- +goose Down
SELECT 1;
