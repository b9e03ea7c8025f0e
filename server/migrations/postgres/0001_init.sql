-- dirsync schema, PostgreSQL. SQLite has the same version in ../sqlite.
-- Times are milliseconds since the Unix epoch (UTC), BIGINT on both engines.
-- Case-insensitive uniqueness uses columns normalised in Rust (Unicode-aware
-- lower case), so that both engines fold case the same way.

CREATE TABLE users (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email               TEXT    NOT NULL,
    email_normalized    TEXT    NOT NULL UNIQUE,
    display_name        TEXT    NOT NULL,
    given_name          TEXT,
    surname             TEXT,
    job_title           TEXT,
    department          TEXT,
    office_location     TEXT,
    business_phone      TEXT,
    mobile_phone        TEXT,
    employee_id         TEXT,
    status              TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated')),
    source              TEXT    NOT NULL CHECK (source IN ('local', 'azure_ad')),
    azure_object_id     TEXT    UNIQUE,
    user_principal_name TEXT,
    -- Lower-cased name for ordering, and lower-cased name, email, department
    -- and title for search: the same folding on both engines.
    sort_name           TEXT    NOT NULL,
    search_text         TEXT    NOT NULL,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL,
    last_synced_at      BIGINT
);
CREATE INDEX users_by_sort_name ON users (sort_name, id);

CREATE TABLE admins (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email            TEXT   NOT NULL,
    email_normalized TEXT   NOT NULL UNIQUE,
    password_hash    TEXT   NOT NULL,
    created_at       BIGINT NOT NULL,
    last_sign_in_at  BIGINT
);

-- Only a hash of each session token is kept: a copy of the database does not
-- let anyone sign in.
CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,
    admin_id   BIGINT  NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
