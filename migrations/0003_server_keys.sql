-- Keys the server makes once and keeps, so what they sign survives a restart: `csrf` keys
-- the forms' CSRF tokens (HMAC-SHA-256). Never shown, never logged.
CREATE TABLE server_keys (
    name TEXT PRIMARY KEY,
    key  BLOB NOT NULL
) WITHOUT ROWID;
