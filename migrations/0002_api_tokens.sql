-- Schema version 2: API tokens and the per-account security log.

-- Only the SHA-256 of a token's secret is stored, plus its last 4 characters for display.
CREATE TABLE api_tokens (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    scope          TEXT    NOT NULL CHECK (scope IN ('read', 'read-write')),
    secret_hash    BLOB    NOT NULL UNIQUE,
    last4          TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    last_used_at   INTEGER,
    last_used_ip   TEXT,
    revoked_at     INTEGER,
    expiry_logged  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_by_user ON api_tokens(user_id, created_at DESC);

-- Addresses each token has been used from, to log the first use from a new one.
CREATE TABLE api_token_ips (
    token_id INTEGER NOT NULL REFERENCES api_tokens(id) ON DELETE CASCADE,
    ip       TEXT    NOT NULL,
    PRIMARY KEY (token_id, ip)
) WITHOUT ROWID;

-- Token events and sign-ins, kept for 90 days.
CREATE TABLE security_events (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    token_name TEXT,
    ip         TEXT
);
CREATE INDEX security_events_by_user ON security_events(user_id, at DESC);
