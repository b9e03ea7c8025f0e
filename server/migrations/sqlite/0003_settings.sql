-- What admins set on the Settings page, one JSON value per key, and every
-- change to it: who, when, what (never a secret's value).

CREATE TABLE settings (
    key        TEXT   PRIMARY KEY,
    value      TEXT   NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT   NOT NULL
);

CREATE TABLE settings_changes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    changed_at BIGINT NOT NULL,
    changed_by TEXT   NOT NULL,
    summary    TEXT   NOT NULL
);
CREATE INDEX settings_changes_by_time ON settings_changes (changed_at);
