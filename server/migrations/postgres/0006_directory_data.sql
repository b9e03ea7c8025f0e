-- Issue 13: the directory data a helpdesk works with, where a status came
-- from, and the tenant of every link. The same on both engines.

-- Every business phone, not only the first ("; " between them).
ALTER TABLE users RENAME COLUMN business_phone TO business_phones;
ALTER TABLE users ADD COLUMN company_name TEXT;
ALTER TABLE users ADD COLUMN employee_type TEXT;
-- A day, YYYY-MM-DD.
ALTER TABLE users ADD COLUMN employee_hire_date TEXT;
ALTER TABLE users ADD COLUMN city TEXT;
ALTER TABLE users ADD COLUMN country TEXT;
ALTER TABLE users ADD COLUMN usage_location TEXT;
ALTER TABLE users ADD COLUMN preferred_language TEXT;

-- The manager's Azure AD object id: kept before the manager is imported,
-- resolved to a platform user by a join on azure_object_id.
ALTER TABLE users ADD COLUMN manager_azure_id TEXT;
CREATE INDEX users_by_manager ON users (manager_azure_id);

-- Who set the status: a sync never reactivates a user an admin deactivated.
-- Users made by hand had theirs from an admin; for synced users nobody
-- knows, and a sync decided until now.
ALTER TABLE users ADD COLUMN status_origin TEXT NOT NULL DEFAULT 'azure_ad'
    CHECK (status_origin IN ('azure_ad', 'admin'));
ALTER TABLE users ADD COLUMN status_changed_at BIGINT;
UPDATE users SET status_origin = 'admin' WHERE source = 'local';

-- The tenant an object id belongs to. Links made before it was recorded
-- stay NULL and count as the tenant of the next sync, which records it.
ALTER TABLE users ADD COLUMN tenant_id TEXT;

-- The tenant each run read.
ALTER TABLE sync_runs ADD COLUMN tenant_id TEXT;

-- The Groups page: searched by a folded name (Rust folds it on every write;
-- rows from before are folded here, which SQLite does for ASCII only until
-- the next sync renames or re-adds them), and a user's groups on their page.
ALTER TABLE directory_groups ADD COLUMN name_folded TEXT NOT NULL DEFAULT '';
UPDATE directory_groups SET name_folded = lower(name);
CREATE INDEX directory_groups_by_name ON directory_groups (name_folded, id);
CREATE INDEX group_members_by_user ON group_members (user_id);

-- A run that undoes another's deactivations names it; it reads no
-- directory, so it never stands for "what Azure AD returned last time".
ALTER TABLE sync_runs ADD COLUMN undoes_run BIGINT;

-- What the code itself records about the database (not an admin's
-- settings): which folding rule the comparison columns follow.
CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
