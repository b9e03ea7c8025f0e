-- Groups imported from Azure AD, sync runs with their stored plans, and the
-- lock that keeps to one sync at a time (across processes too).

CREATE TABLE directory_groups (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    azure_object_id TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);

CREATE TABLE group_members (
    group_id BIGINT NOT NULL REFERENCES directory_groups (id) ON DELETE CASCADE,
    user_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);

CREATE TABLE sync_runs (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    state           TEXT    NOT NULL,
    started_by      TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    previewed_at    BIGINT,
    finished_at     BIGINT,
    options_json    TEXT    NOT NULL,
    -- Counts per bucket, safety reasons: what the history list shows.
    summary_json    TEXT,
    directory_users BIGINT,
    -- Who confirmed past the safety threshold, if anyone.
    override_by     TEXT,
    applied_by      TEXT,
    error           TEXT
);
CREATE INDEX sync_runs_by_created ON sync_runs (created_at);

-- One row per planned change or skip, searchable and paged on the server.
CREATE TABLE sync_plan_rows (
    run_id      BIGINT  NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
    seq         BIGINT  NOT NULL,
    bucket      TEXT    NOT NULL,
    search_text TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    excluded    BIGINT  NOT NULL DEFAULT 0,
    -- Set in the same transaction as the change itself: a row with an
    -- outcome is done, one without is still to do (resume after a crash).
    outcome     TEXT,
    outcome_detail TEXT,
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX sync_plan_rows_by_bucket ON sync_plan_rows (run_id, bucket, seq);

-- The single row that says who is syncing. Taken with a conditional UPDATE,
-- so it holds across server processes on one database.
CREATE TABLE sync_lock (
    id           BIGINT PRIMARY KEY CHECK (id = 1),
    run_id       BIGINT,
    holder       TEXT,
    acquired_at  BIGINT,
    heartbeat_at BIGINT
);
INSERT INTO sync_lock (id) VALUES (1);
