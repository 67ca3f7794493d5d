-- +goose Up
-- Data security incidents (article 48; Data Security Law art. 29, PIPL
-- art. 57, the CAC's 2025 Measures on reporting cybersecurity incidents):
-- what happened, to which resources, records and persons, the deadlines
-- to notify the persons and report to the authority (computed from
-- discovered_at by level), the response tasks, the notice and report
-- issued (their bodies kept as issued, their SHA-256 sealed in the
-- ledger) and the post-incident review that closing requires. Every step
-- is an event incident.* on subject kind incident.
CREATE TABLE incidents (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES organizations(id),
    title             TEXT NOT NULL,
    kind              TEXT NOT NULL, -- leak, tampering, loss, unauthorized_access, malware, attack, outage, other
    level             TEXT NOT NULL, -- general, major, serious, critical (一般, 较大, 重大, 特别重大)
    state             TEXT NOT NULL, -- open, contained, closed
    cause             TEXT NOT NULL DEFAULT '',
    harm              TEXT NOT NULL DEFAULT '',
    measures          TEXT NOT NULL DEFAULT '',
    advice            TEXT NOT NULL DEFAULT '',
    records_affected  BIGINT NOT NULL DEFAULT 0,
    persons_affected  BIGINT NOT NULL DEFAULT 0,
    discovered_at     TIMESTAMPTZ NOT NULL,
    contained_at      TIMESTAMPTZ,
    notify_due        TIMESTAMPTZ, -- NULL when no person is affected
    notified_at       TIMESTAMPTZ,
    report_due        TIMESTAMPTZ NOT NULL,
    reported_at       TIMESTAMPTZ,
    review_summary    TEXT NOT NULL DEFAULT '',
    review_lessons    TEXT NOT NULL DEFAULT '',
    reviewed_at       TIMESTAMPTZ,
    reviewed_by       TEXT NOT NULL DEFAULT '',
    closed_at         TIMESTAMPTZ,
    alert_id          TEXT NOT NULL DEFAULT '',
    created_by        TEXT NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX incidents_org ON incidents(org_id, id);
CREATE INDEX incidents_state ON incidents(state, id);
CREATE INDEX incidents_alert ON incidents(alert_id);

CREATE TABLE incident_resources (
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    resource_id TEXT NOT NULL,
    PRIMARY KEY (incident_id, resource_id)
);

CREATE TABLE incident_tasks (
    id            TEXT PRIMARY KEY,
    incident_id   TEXT NOT NULL REFERENCES incidents(id),
    title         TEXT NOT NULL,
    owner_user_id TEXT NOT NULL,
    due_at        TIMESTAMPTZ NOT NULL,
    done_at       TIMESTAMPTZ,
    done_by       TEXT NOT NULL DEFAULT '',
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX incident_tasks_incident ON incident_tasks(incident_id, id);

CREATE TABLE incident_documents (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    kind        TEXT NOT NULL, -- notice (个人信息安全事件告知书), report (数据安全事件报告)
    html        TEXT NOT NULL,
    text        TEXT NOT NULL,
    html_sha256 TEXT NOT NULL,
    text_sha256 TEXT NOT NULL,
    issued_by   TEXT NOT NULL,
    issued_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX incident_documents_incident ON incident_documents(incident_id, id);

-- One reminder per incident, deadline, stage and due time: a repeated or
-- concurrent run of the periodic job sends it once.
CREATE TABLE incident_reminders (
    incident_id TEXT NOT NULL REFERENCES incidents(id),
    deadline    TEXT NOT NULL, -- notify, report
    stage       TEXT NOT NULL, -- due_soon, overdue
    due_at      TIMESTAMPTZ NOT NULL,
    sent_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (incident_id, deadline, stage, due_at)
);

-- Each unit's person responsible for data security (数据安全负责人) and
-- its optional chief data officer (首席数据官), both members of the unit.
ALTER TABLE organizations ADD COLUMN responsible_user_id TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN chief_data_officer_user_id TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE organizations DROP COLUMN chief_data_officer_user_id;
ALTER TABLE organizations DROP COLUMN responsible_user_id;
DROP TABLE incident_reminders;
DROP TABLE incident_documents;
DROP TABLE incident_tasks;
DROP TABLE incident_resources;
DROP TABLE incidents;
