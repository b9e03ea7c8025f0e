-- A sync that cannot hurt (issue 11).

-- The lock belongs to a run and carries a random token: only the holder's
-- token renews or releases it, and every batch commit checks it (fencing).
ALTER TABLE sync_lock ADD COLUMN token TEXT;
-- 1 when the holder also holds the engine's lock (a file lock, an advisory
-- lock): that lock found free then proves the holder dead. A holder that
-- took over from a hung process without it is alive while it beats.
ALTER TABLE sync_lock ADD COLUMN engine_held BIGINT NOT NULL DEFAULT 0;

-- When a run last committed a change: a plan previewed before another run
-- applied anything is stale, and so is an interrupted run's.
ALTER TABLE sync_runs ADD COLUMN last_applied_at BIGINT;

-- Plan rows are typed entries: the JSON names its kind.
UPDATE sync_plan_rows SET payload = '{"kind":"Add",' || substr(payload, 2) WHERE bucket = 'added';
UPDATE sync_plan_rows SET payload = '{"kind":"Update",' || substr(payload, 2) WHERE bucket = 'updated';
UPDATE sync_plan_rows SET payload = '{"kind":"Deactivate",' || substr(payload, 2) WHERE bucket = 'deactivated';
UPDATE sync_plan_rows SET payload = '{"kind":"Skip",' || substr(payload, 2) WHERE bucket = 'skipped';
UPDATE sync_plan_rows SET payload = '{"kind":"Groups",' || substr(payload, 2) WHERE bucket = 'groups';

-- Plans made before this version hold no snapshot of each user to check a
-- row against: they can be read in the history, not applied.
UPDATE sync_runs SET state = 'discarded', error = 'Discarded when dirsync was upgraded: preview again.'
    WHERE state IN ('previewed', 'interrupted', 'applying', 'fetching');
