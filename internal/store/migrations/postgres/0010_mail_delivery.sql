-- +goose Up
-- The e-mail sender works through the notification outbox: a failed
-- delivery is tried again after a backoff and, after its last attempt,
-- kept as failed with the reason.
ALTER TABLE notification_outbox ADD COLUMN next_attempt_at TIMESTAMPTZ;
ALTER TABLE notification_outbox ADD COLUMN last_error TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE notification_outbox DROP COLUMN last_error;
ALTER TABLE notification_outbox DROP COLUMN next_attempt_at;
