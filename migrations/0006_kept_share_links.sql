-- A diagram's share link id while sharing is off, so turning sharing on again gives the same
-- link (anyone who had it can read again; "New link" makes a fresh one instead).
ALTER TABLE diagrams ADD COLUMN old_share_id TEXT;
