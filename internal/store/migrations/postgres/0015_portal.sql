-- +goose Up
-- The portal's public pages: data requests (数据需求征集) that a named
-- institution or the platform operator answers, apps built on the data
-- (应用成果展示) whose review is a review case of kind "app" (same id), and
-- the platform's news and notices (新闻动态 / 通知公告).
CREATE TABLE portal_data_requests (
    id                TEXT PRIMARY KEY,
    title             TEXT NOT NULL,
    description       TEXT NOT NULL,
    purpose           TEXT NOT NULL,
    organization_id   TEXT NOT NULL DEFAULT '',
    requester_user_id TEXT NOT NULL,
    status            TEXT NOT NULL,
    outcome           TEXT NOT NULL DEFAULT '',
    answer            TEXT NOT NULL DEFAULT '',
    resource_id       TEXT NOT NULL DEFAULT '',
    answered_by_org   TEXT NOT NULL DEFAULT '',
    answered_at       TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX portal_data_requests_org ON portal_data_requests(organization_id, id);
CREATE INDEX portal_data_requests_requester ON portal_data_requests(requester_user_id, id);

CREATE TABLE portal_apps (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    description       TEXT NOT NULL,
    url               TEXT NOT NULL,
    resource_ids      TEXT NOT NULL DEFAULT '[]',
    submitter_org_id  TEXT NOT NULL DEFAULT '',
    published_at      TIMESTAMPTZ
);
CREATE INDEX portal_apps_published ON portal_apps(published_at, id);

CREATE TABLE portal_news (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    title          TEXT NOT NULL,
    body           TEXT NOT NULL,
    author_user_id TEXT NOT NULL,
    published_at   TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    withdrawn_at   TIMESTAMPTZ
);
CREATE INDEX portal_news_published ON portal_news(kind, published_at);

-- +goose Down
DROP TABLE portal_news;
DROP TABLE portal_apps;
DROP TABLE portal_data_requests;
