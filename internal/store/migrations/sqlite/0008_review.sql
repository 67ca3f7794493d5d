-- +goose Up
-- One review workflow (internal/review): cases of every kind (share
-- requests, open applications, ...), their history, and the decisions of
-- each step's reviewers.

CREATE TABLE review_cases (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    subject_kind   TEXT NOT NULL,
    subject_id     TEXT NOT NULL,
    subject_org_id TEXT NOT NULL DEFAULT '',
    filer_user_id  TEXT NOT NULL,
    filer_org_id   TEXT NOT NULL REFERENCES organizations(id),
    parties        TEXT NOT NULL DEFAULT '{}',
    plan           TEXT NOT NULL DEFAULT '[]',
    status         TEXT NOT NULL,
    step           TEXT NOT NULL DEFAULT '',
    reason         TEXT NOT NULL DEFAULT '',
    due_at         TEXT,
    remind_at      TEXT,
    escalated_at   TEXT,
    paused_at      TEXT,
    answer_due_at  TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX review_cases_kind ON review_cases(kind, id);
CREATE INDEX review_cases_filer ON review_cases(filer_org_id, id);
CREATE INDEX review_cases_subject ON review_cases(subject_org_id, id);
CREATE INDEX review_cases_waiting ON review_cases(step, due_at) WHERE step <> '';
CREATE INDEX review_cases_remind ON review_cases(remind_at) WHERE remind_at IS NOT NULL;
CREATE INDEX review_cases_answer ON review_cases(answer_due_at) WHERE answer_due_at IS NOT NULL;

CREATE TABLE review_history (
    case_id      TEXT NOT NULL REFERENCES review_cases(id),
    seq          INTEGER NOT NULL,
    action       TEXT NOT NULL,
    status       TEXT NOT NULL,
    reviewer     TEXT NOT NULL DEFAULT '',
    actor_id     TEXT NOT NULL,
    actor_org_id TEXT NOT NULL DEFAULT '',
    at           TEXT NOT NULL,
    comment      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (case_id, seq)
);

-- The decisions of each step's reviewers (several for all-of steps).
CREATE TABLE review_votes (
    case_id  TEXT NOT NULL REFERENCES review_cases(id),
    step     TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    decision TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    at       TEXT NOT NULL,
    PRIMARY KEY (case_id, step, reviewer)
);
CREATE INDEX review_votes_actor ON review_votes(actor_id, case_id);

-- +goose Down
DROP TABLE review_votes;
DROP TABLE review_history;
DROP TABLE review_cases;
