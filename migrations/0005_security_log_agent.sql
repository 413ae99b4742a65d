-- The browser an account event came from, as a short description ("Firefox on Linux"), so the
-- security log can tell a person's own sign-ins from someone else's.
ALTER TABLE security_events ADD COLUMN agent TEXT;
