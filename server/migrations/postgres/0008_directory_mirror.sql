-- Issue 14: delta queries. The same on both engines.

-- What the last complete read of Azure AD left (one row: one connection at
-- a time; a read by another connection replaces it): whose directory it
-- was, what it tracked (`shape`, JSON), the deltaLinks that continue from
-- it and when they came, and the directory itself (`mirror`, JSON), so a
-- later preview reads only the changes and still plans against everyone.
CREATE TABLE directory_mirror (
    id                 BIGINT PRIMARY KEY CHECK (id = 1),
    connection_key     TEXT NOT NULL,
    shape              TEXT NOT NULL,
    tenant_id          TEXT,
    users_delta_link   TEXT NOT NULL,
    groups_delta_link  TEXT NOT NULL,
    links_received_at  BIGINT NOT NULL,
    full_read_at       BIGINT NOT NULL,
    mirror             TEXT NOT NULL
);

-- Which kind of read a run made: 'changes', or 'full_…' with the reason
-- (`ReadKind::code`). Empty for runs before this version and for reads
-- that did not finish.
ALTER TABLE sync_runs ADD COLUMN read_kind TEXT;
