-- +goose Up
-- Data security risk assessments (数据安全风险评估, article 46; GB/T 20984):
-- an assessment of one resource, or of an information system of an
-- institution, with the standard's items (assets with their value, threats
-- with their likelihood, vulnerabilities with their severity naming the
-- asset and threat, existing security measures), the risks computed from
-- them by the matrix method (assess/method.go), findings and the conclusion
-- kept as JSON; the grade the assessment assessed (the resource's effective
-- grade at completion) and until when it holds. States: draft → completed →
-- superseded (by the next completed assessment of the resource) or lapsed
-- (its year ended, or the resource's grade changed). Remediation tasks have
-- an owner, a deadline (a Beijing date) and are done or reminded when
-- overdue. Events carry identifiers, counts and hashes, never the text.
CREATE TABLE risk_assessments (
    id           TEXT PRIMARY KEY,
    scope        TEXT NOT NULL, -- resource | system
    resource_id  TEXT NOT NULL DEFAULT '',
    system_name  TEXT NOT NULL DEFAULT '',
    org_id       TEXT NOT NULL,
    title        TEXT NOT NULL,
    scope_note   TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL, -- draft | completed | superseded | lapsed
    grade_class  TEXT NOT NULL DEFAULT '',
    grade_level  INTEGER NOT NULL DEFAULT 0,
    items        TEXT NOT NULL, -- JSON assess.Items
    risks        TEXT NOT NULL DEFAULT '[]', -- JSON []assess.Risk
    risk_level   INTEGER NOT NULL DEFAULT 0, -- the highest risk level, 0 before any is computed
    conclusion   TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    completed_by TEXT NOT NULL DEFAULT '',
    completed_at TIMESTAMPTZ,
    valid_until  TIMESTAMPTZ, -- until when it holds: a year after completion, or when it was superseded or lapsed
    ended_at     TIMESTAMPTZ,
    end_reason   TEXT NOT NULL DEFAULT '', -- superseded | expired | grade_changed
    version      INTEGER NOT NULL
);
CREATE INDEX risk_assessments_resource ON risk_assessments(resource_id, state);
CREATE INDEX risk_assessments_org ON risk_assessments(org_id, id);
CREATE INDEX risk_assessments_due ON risk_assessments(state, valid_until);

CREATE TABLE risk_assessment_tasks (
    id            TEXT PRIMARY KEY,
    assessment_id TEXT NOT NULL REFERENCES risk_assessments(id),
    finding       TEXT NOT NULL DEFAULT '',
    title         TEXT NOT NULL,
    owner_user_id TEXT NOT NULL,
    deadline      TEXT NOT NULL, -- YYYY-MM-DD, Beijing
    done_at       TIMESTAMPTZ,
    done_by       TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT '',
    reminded_at   TIMESTAMPTZ,
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX risk_assessment_tasks_assessment ON risk_assessment_tasks(assessment_id, id);
CREATE INDEX risk_assessment_tasks_open ON risk_assessment_tasks(deadline, id);

-- +goose Down
DROP TABLE risk_assessment_tasks;
DROP TABLE risk_assessments;
