-- Issue 14: scheduled syncs. The same on both engines.

-- The schedule (one row, once saved) and where it stands. `next_run_at` is
-- also the claim: a process runs a due sync only if its UPDATE moved
-- `next_run_at` from a due time to the next one, so of several processes
-- on one database exactly one runs each scheduled sync.
CREATE TABLE sync_schedule (
    id           BIGINT PRIMARY KEY CHECK (id = 1),
    every_hours  BIGINT CHECK (every_hours BETWEEN 1 AND 168),
    on_preview   TEXT NOT NULL CHECK (on_preview IN ('preview_only', 'apply_when_safe')),
    next_run_at  BIGINT,
    last_run_at  BIGINT,
    last_outcome TEXT
);

-- Why a scheduled preview that could have been applied on its own was not
-- ("Needs review"): a safety check tripped.
ALTER TABLE sync_runs ADD COLUMN review_reason TEXT;
