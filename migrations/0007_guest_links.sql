-- A guest's recovery link: the SHA-256 of the link's secret, for the guest identity (the
-- SHA-256 of its cookie) whose diagrams the link brings into another browser. One per guest.
CREATE TABLE guest_links (
    link_hash  BLOB    PRIMARY KEY,
    guest      BLOB    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
