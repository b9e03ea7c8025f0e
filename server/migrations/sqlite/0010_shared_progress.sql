-- What the running sync reports, shared by every server process on this
-- database: the process running a sync writes its progress here, the
-- others read it, so a page served by any of them shows the sync and can
-- cancel it.
CREATE TABLE sync_progress (
    id            BIGINT PRIMARY KEY CHECK (id = 1),
    -- The latest progress event, as the browser receives it (JSON).
    event         TEXT NOT NULL,
    -- The run it is about, if any.
    run_id        BIGINT,
    -- Grows with every write: a reader shows each version once.
    version       BIGINT NOT NULL,
    -- The server process that wrote it (a random name per start).
    publisher     TEXT,
    published_at  BIGINT,
    -- A Cancel clicked in a process that is not reading the directory: the
    -- run to stop, and the admin who clicked.
    cancel_run_id BIGINT,
    cancel_by     TEXT
);
INSERT INTO sync_progress (id, event, version) VALUES (1, '{"phase":"idle"}', 0);
