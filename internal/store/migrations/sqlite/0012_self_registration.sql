-- +goose Up
-- Self-registered accounts (persons and companies) and single sign-on.
-- A self-registered account signs in once its e-mail address is confirmed
-- and, for a company, once its verification is approved; accounts made by
-- staff are active from the start. login_email is the address a
-- self-registered or single-sign-on account signs in with (lower case).
ALTER TABLE users ADD COLUMN state TEXT NOT NULL DEFAULT 'active';
ALTER TABLE users ADD COLUMN login_email TEXT;
ALTER TABLE users ADD COLUMN email_confirmed_at TEXT;
CREATE UNIQUE INDEX users_login_email ON users(login_email);

-- One-time e-mail confirmation codes, stored as hashes.
CREATE TABLE email_confirmations (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
CREATE INDEX email_confirmations_user ON email_confirmations(user_id);

-- Accounts linked to an outside identity provider (OpenID Connect): the
-- issuer and its subject identifier name one person for good.
CREATE TABLE external_identities (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX external_identities_user ON external_identities(user_id);

-- +goose Down
DROP TABLE external_identities;
DROP TABLE email_confirmations;
DROP INDEX users_login_email;
ALTER TABLE users DROP COLUMN email_confirmed_at;
ALTER TABLE users DROP COLUMN login_email;
ALTER TABLE users DROP COLUMN state;
