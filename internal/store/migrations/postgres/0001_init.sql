-- +goose Up
CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL DEFAULT '',
    uscc        TEXT UNIQUE,
    code        TEXT NOT NULL UNIQUE,
    region_code TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    website     TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    email         TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE user_platform_roles (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role    TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE memberships (
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    role            TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, organization_id)
);
CREATE INDEX memberships_org ON memberships(organization_id);

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE resources (
    id               TEXT PRIMARY KEY,
    code             TEXT NOT NULL UNIQUE,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    title_zh         TEXT NOT NULL,
    title_en         TEXT NOT NULL DEFAULT '',
    description_zh   TEXT NOT NULL DEFAULT '',
    description_en   TEXT NOT NULL DEFAULT '',
    subject          TEXT NOT NULL,
    industry         TEXT NOT NULL DEFAULT '',
    keywords         JSONB NOT NULL DEFAULT '[]',
    formats          JSONB NOT NULL DEFAULT '[]',
    items            JSONB NOT NULL DEFAULT '[]',
    item_count       INTEGER NOT NULL DEFAULT 0,
    update_frequency TEXT NOT NULL,
    share_type       TEXT NOT NULL,
    share_basis      TEXT NOT NULL DEFAULT '',
    open_type        TEXT NOT NULL,
    open_basis       TEXT NOT NULL DEFAULT '',
    classification   TEXT NOT NULL,
    level            INTEGER NOT NULL,
    personal_info    BOOLEAN NOT NULL DEFAULT FALSE,
    source_system    TEXT NOT NULL DEFAULT '',
    contact_name     TEXT NOT NULL DEFAULT '',
    contact_phone    TEXT NOT NULL DEFAULT '',
    contact_email    TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL,
    review_comment   TEXT NOT NULL DEFAULT '',
    version          INTEGER NOT NULL,
    created_by       TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    published_at     TIMESTAMPTZ
);
CREATE INDEX resources_status_id ON resources(status, id);
CREATE INDEX resources_org_id ON resources(organization_id, id);

CREATE TABLE resource_versions (
    resource_id TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    action      TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    changes     JSONB NOT NULL DEFAULT '[]',
    snapshot    JSONB NOT NULL,
    PRIMARY KEY (resource_id, version)
);

CREATE TABLE catalog_sequences (
    prefix TEXT PRIMARY KEY,
    next   BIGINT NOT NULL
);

CREATE TABLE events (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    type          TEXT NOT NULL,
    at            TIMESTAMPTZ NOT NULL,
    actor_user_id TEXT NOT NULL DEFAULT '',
    actor_org_id  TEXT NOT NULL DEFAULT '',
    subject_kind  TEXT NOT NULL,
    subject_id    TEXT NOT NULL,
    payload       TEXT NOT NULL,
    payload_hash  TEXT NOT NULL,
    ledger_index  BIGINT
);
CREATE INDEX events_subject ON events(subject_kind, subject_id, seq);
CREATE INDEX events_unsealed ON events(seq) WHERE ledger_index IS NULL;
