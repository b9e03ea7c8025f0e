-- Sessions end after a while without use, as well as at a fixed time after
-- sign-in (issue 12): the last time a session was seen.
ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET last_seen_at = created_at;
