-- +goose Up
-- Share requests and open applications move onto the review workflow: their
-- workflow state goes into review_cases, their histories into
-- review_history; their own tables keep what only they hold.

-- Share requests: reviewed by the provider, then (important data) by the operator.
INSERT INTO review_cases (id, kind, subject_kind, subject_id, subject_org_id, filer_user_id, filer_org_id, parties, plan,
    status, step, reason, due_at, escalated_at, created_at, updated_at)
SELECT id, 'share_request', 'resource', resource_id, provider_org_id, requester_user_id, requester_org_id, '{}',
    CASE WHEN needs_operator THEN '["provider_review","operator_review"]' ELSE '["provider_review"]' END,
    status, CASE WHEN status IN ('provider_review', 'operator_review') THEN status ELSE '' END, reason, due_at, escalated_at,
    created_at, updated_at
FROM share_requests;

-- Open applications: reviewed by the provider, then by the operator.
INSERT INTO review_cases (id, kind, subject_kind, subject_id, subject_org_id, filer_user_id, filer_org_id, parties, plan,
    status, step, reason, due_at, escalated_at, created_at, updated_at)
SELECT id, 'open_application', 'resource', resource_id, provider_org_id, applicant_user_id, applicant_org_id, '{}',
    '["provider_review","operator_review"]',
    status, CASE WHEN status IN ('provider_review', 'operator_review') THEN status ELSE '' END, reason, due_at, escalated_at,
    created_at, updated_at
FROM open_applications;

INSERT INTO review_history (case_id, seq, action, status, actor_id, actor_org_id, at, comment)
SELECT s.request_id, s.seq, s.action, s.status, s.actor_id, s.actor_org_id, s.at, s.comment
FROM workflow_steps s JOIN review_cases c ON c.id = s.request_id AND c.kind = s.kind;

DROP TABLE workflow_steps;
DROP INDEX share_requests_provider;
DROP INDEX share_requests_open;
DROP INDEX open_applications_provider;
DROP INDEX open_applications_open;
ALTER TABLE share_requests DROP COLUMN requester_user_id;
ALTER TABLE share_requests DROP COLUMN status;
ALTER TABLE share_requests DROP COLUMN due_at;
ALTER TABLE share_requests DROP COLUMN escalated_at;
ALTER TABLE share_requests DROP COLUMN reason;
ALTER TABLE share_requests DROP COLUMN created_at;
ALTER TABLE share_requests DROP COLUMN updated_at;
ALTER TABLE open_applications DROP COLUMN applicant_user_id;
ALTER TABLE open_applications DROP COLUMN status;
ALTER TABLE open_applications DROP COLUMN due_at;
ALTER TABLE open_applications DROP COLUMN escalated_at;
ALTER TABLE open_applications DROP COLUMN reason;
ALTER TABLE open_applications DROP COLUMN created_at;
ALTER TABLE open_applications DROP COLUMN updated_at;

-- +goose Down
ALTER TABLE share_requests ADD COLUMN requester_user_id TEXT NOT NULL DEFAULT '';
ALTER TABLE share_requests ADD COLUMN status TEXT NOT NULL DEFAULT '';
ALTER TABLE share_requests ADD COLUMN due_at TEXT;
ALTER TABLE share_requests ADD COLUMN escalated_at TEXT;
ALTER TABLE share_requests ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE share_requests ADD COLUMN created_at TEXT NOT NULL DEFAULT '';
ALTER TABLE share_requests ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
UPDATE share_requests SET (requester_user_id, status, due_at, escalated_at, reason, created_at, updated_at) =
    (SELECT filer_user_id, status, due_at, escalated_at, reason, created_at, updated_at FROM review_cases c WHERE c.id = share_requests.id);
ALTER TABLE open_applications ADD COLUMN applicant_user_id TEXT NOT NULL DEFAULT '';
ALTER TABLE open_applications ADD COLUMN status TEXT NOT NULL DEFAULT '';
ALTER TABLE open_applications ADD COLUMN due_at TEXT;
ALTER TABLE open_applications ADD COLUMN escalated_at TEXT;
ALTER TABLE open_applications ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE open_applications ADD COLUMN created_at TEXT NOT NULL DEFAULT '';
ALTER TABLE open_applications ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
UPDATE open_applications SET (applicant_user_id, status, due_at, escalated_at, reason, created_at, updated_at) =
    (SELECT filer_user_id, status, due_at, escalated_at, reason, created_at, updated_at FROM review_cases c WHERE c.id = open_applications.id);
CREATE INDEX share_requests_provider ON share_requests(provider_org_id, status, due_at);
CREATE INDEX share_requests_open ON share_requests(status, due_at);
CREATE INDEX open_applications_provider ON open_applications(provider_org_id, status, due_at);
CREATE INDEX open_applications_open ON open_applications(status, due_at);
CREATE TABLE workflow_steps (
    kind         TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    action       TEXT NOT NULL,
    status       TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    actor_org_id TEXT NOT NULL DEFAULT '',
    at           TEXT NOT NULL,
    comment      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (kind, request_id, seq)
);
INSERT INTO workflow_steps (kind, request_id, seq, action, status, actor_id, actor_org_id, at, comment)
SELECT c.kind, h.case_id, h.seq, h.action, h.status, h.actor_id, h.actor_org_id, h.at, h.comment
FROM review_history h JOIN review_cases c ON c.id = h.case_id WHERE c.kind IN ('share_request', 'open_application');
DELETE FROM review_history WHERE case_id IN (SELECT id FROM review_cases WHERE kind IN ('share_request', 'open_application'));
DELETE FROM review_votes WHERE case_id IN (SELECT id FROM review_cases WHERE kind IN ('share_request', 'open_application'));
DELETE FROM review_cases WHERE kind IN ('share_request', 'open_application');
