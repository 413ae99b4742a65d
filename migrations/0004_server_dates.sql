-- Dates the server keeps about itself. `guest_purge_since`: when it first ran with guests'
-- diagrams purged after a time without change, so a server upgraded into the purge (or
-- switched to it) starts the clock then, not at each diagram's last change.
CREATE TABLE server_dates (
    name TEXT    PRIMARY KEY,
    at   INTEGER NOT NULL
) WITHOUT ROWID;
