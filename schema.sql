-- Reef schema, version 1. Later versions add files under migrations/ and never edit this one,
-- so a database made by any earlier Reef upgrades in place.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL COLLATE NOCASE UNIQUE,
    password_hash TEXT    NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

-- Only the SHA-256 of the session cookie value is stored.
CREATE TABLE sessions (
    id_hash      BLOB    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);

-- A diagram belongs to exactly one account or to one guest (SHA-256 of the guest cookie).
CREATE TABLE diagrams (
    id          TEXT    PRIMARY KEY,
    owner_user  INTEGER REFERENCES users(id) ON DELETE CASCADE,
    owner_guest BLOB,
    title       TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    share_id    TEXT    UNIQUE,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER,
    CHECK ((owner_user IS NULL) <> (owner_guest IS NULL))
);
CREATE INDEX diagrams_by_user  ON diagrams(owner_user, updated_at DESC, id DESC) WHERE owner_user IS NOT NULL;
CREATE INDEX diagrams_by_guest ON diagrams(owner_guest, updated_at DESC, id DESC) WHERE owner_guest IS NOT NULL;
CREATE INDEX diagrams_trash    ON diagrams(deleted_at) WHERE deleted_at IS NOT NULL;

-- Every save keeps a revision; the newest 100 per diagram are kept.
CREATE TABLE revisions (
    diagram_id TEXT    NOT NULL REFERENCES diagrams(id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    title      TEXT    NOT NULL,
    source     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (diagram_id, version)
) WITHOUT ROWID;
