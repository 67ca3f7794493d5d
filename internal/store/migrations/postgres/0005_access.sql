-- +goose Up
-- Access: grants and their usage policies, per-grant API keys, the decision
-- log, sharing requests, open applications, annual open lists, notifications.

CREATE TABLE access_groups (
    id         TEXT PRIMARY KEY,
    name_zh    TEXT NOT NULL,
    name_en    TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE access_group_members (
    group_id        TEXT NOT NULL REFERENCES access_groups(id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, organization_id)
);
CREATE INDEX access_group_members_org ON access_group_members(organization_id);

CREATE TABLE grants (
    id              TEXT PRIMARY KEY,
    grantee_kind    TEXT NOT NULL,
    grantee_id      TEXT NOT NULL,
    provider_org_id TEXT NOT NULL REFERENCES organizations(id),
    purpose         TEXT NOT NULL,
    policy          JSONB NOT NULL,
    valid_from      TIMESTAMPTZ NOT NULL,
    valid_until     TIMESTAMPTZ,
    origin_kind     TEXT NOT NULL,
    origin_id       TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    revoked_at      TIMESTAMPTZ,
    revoked_by      TEXT NOT NULL DEFAULT '',
    revoke_reason   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX grants_grantee ON grants(grantee_kind, grantee_id, id);
CREATE INDEX grants_provider ON grants(provider_org_id, id);
CREATE INDEX grants_origin ON grants(origin_kind, origin_id);

CREATE TABLE grant_resources (
    grant_id    TEXT NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    resource_id TEXT NOT NULL REFERENCES resources(id),
    PRIMARY KEY (grant_id, resource_id)
);
CREATE INDEX grant_resources_resource ON grant_resources(resource_id);

CREATE TABLE grant_usage (
    grant_id     TEXT PRIMARY KEY REFERENCES grants(id) ON DELETE CASCADE,
    calls        BIGINT NOT NULL DEFAULT 0,
    rows_served  BIGINT NOT NULL DEFAULT 0,
    denied       BIGINT NOT NULL DEFAULT 0,
    last_used_at TIMESTAMPTZ
);

CREATE TABLE grant_keys (
    id         TEXT PRIMARY KEY,
    grant_id   TEXT NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    prefix     TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX grant_keys_grant ON grant_keys(grant_id);

-- One row per decision, written in batches; each batch is one
-- access.decisions event whose payload carries the SHA-256 of the batch's
-- record hashes, so the ledger seals every decision.
CREATE TABLE access_decisions (
    id          TEXT PRIMARY KEY,
    batch_id    TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    user_id     TEXT NOT NULL DEFAULT '',
    key_id      TEXT NOT NULL DEFAULT '',
    resource_id TEXT NOT NULL,
    action      TEXT NOT NULL,
    purpose     TEXT NOT NULL DEFAULT '',
    path        TEXT NOT NULL DEFAULT '',
    allow       BOOLEAN NOT NULL,
    reason      TEXT NOT NULL,
    grant_id    TEXT NOT NULL DEFAULT '',
    record_hash TEXT NOT NULL
);
CREATE INDEX access_decisions_resource ON access_decisions(resource_id, at);
CREATE INDEX access_decisions_grant ON access_decisions(grant_id, at);

CREATE TABLE share_requests (
    id                TEXT PRIMARY KEY,
    resource_id       TEXT NOT NULL REFERENCES resources(id),
    provider_org_id   TEXT NOT NULL REFERENCES organizations(id),
    requester_org_id  TEXT NOT NULL REFERENCES organizations(id),
    requester_user_id TEXT NOT NULL,
    purpose           TEXT NOT NULL,
    legal_basis       TEXT NOT NULL,
    fields            JSONB NOT NULL DEFAULT '[]',
    duration_days     INTEGER NOT NULL,
    status            TEXT NOT NULL,
    needs_operator    BOOLEAN NOT NULL DEFAULT FALSE,
    due_at            TIMESTAMPTZ,
    escalated_at      TIMESTAMPTZ,
    grant_id          TEXT NOT NULL DEFAULT '',
    reason            TEXT NOT NULL DEFAULT '',
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX share_requests_provider ON share_requests(provider_org_id, status, due_at);
CREATE INDEX share_requests_requester ON share_requests(requester_org_id, id);
CREATE INDEX share_requests_open ON share_requests(status, due_at);

CREATE TABLE open_applications (
    id                TEXT PRIMARY KEY,
    resource_id       TEXT NOT NULL REFERENCES resources(id),
    provider_org_id   TEXT NOT NULL REFERENCES organizations(id),
    applicant_kind    TEXT NOT NULL,
    applicant_org_id  TEXT NOT NULL REFERENCES organizations(id),
    applicant_user_id TEXT NOT NULL,
    purpose           TEXT NOT NULL,
    scenario          TEXT NOT NULL,
    security_measures TEXT NOT NULL,
    fields            JSONB NOT NULL DEFAULT '[]',
    duration_days     INTEGER NOT NULL,
    status            TEXT NOT NULL,
    due_at            TIMESTAMPTZ,
    escalated_at      TIMESTAMPTZ,
    grant_id          TEXT NOT NULL DEFAULT '',
    agreement         TEXT NOT NULL DEFAULT '',
    agreement_hash    TEXT NOT NULL DEFAULT '',
    reason            TEXT NOT NULL DEFAULT '',
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX open_applications_provider ON open_applications(provider_org_id, status, due_at);
CREATE INDEX open_applications_applicant ON open_applications(applicant_org_id, id);
CREATE INDEX open_applications_open ON open_applications(status, due_at);

-- The history of both workflows: kind is share_request or open_application.
CREATE TABLE workflow_steps (
    kind         TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    action       TEXT NOT NULL,
    status       TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    actor_org_id TEXT NOT NULL DEFAULT '',
    at           TIMESTAMPTZ NOT NULL,
    comment      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (kind, request_id, seq)
);

CREATE TABLE open_lists (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    year            INTEGER NOT NULL,
    plan            TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    published_at    TIMESTAMPTZ,
    UNIQUE (organization_id, year)
);
CREATE INDEX open_lists_year ON open_lists(year, status);

CREATE TABLE open_list_items (
    id           TEXT PRIMARY KEY,
    list_id      TEXT NOT NULL REFERENCES open_lists(id) ON DELETE CASCADE,
    resource_id  TEXT REFERENCES resources(id),
    title_zh     TEXT NOT NULL,
    open_type    TEXT NOT NULL,
    planned_date TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX open_list_items_list ON open_list_items(list_id, planned_date);

CREATE TABLE notifications (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    link         TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    read_at      TIMESTAMPTZ
);
CREATE INDEX notifications_user ON notifications(user_id, id);

-- Deliveries waiting for an e-mail or SMS sender; addresses are looked up
-- when sending, so no personal data waits here.
CREATE TABLE notification_outbox (
    id              TEXT PRIMARY KEY,
    notification_id TEXT NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
    channel         TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ
);
CREATE INDEX notification_outbox_pending ON notification_outbox(status, created_at);

-- +goose Down
DROP TABLE notification_outbox;
DROP TABLE notifications;
DROP TABLE open_list_items;
DROP TABLE open_lists;
DROP TABLE workflow_steps;
DROP TABLE open_applications;
DROP TABLE share_requests;
DROP TABLE access_decisions;
DROP TABLE grant_keys;
DROP TABLE grant_usage;
DROP TABLE grant_resources;
DROP TABLE grants;
DROP TABLE access_group_members;
DROP TABLE access_groups;
