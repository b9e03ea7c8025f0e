-- Issue 15: the kept directory in parts. One JSON of the whole directory
-- meant serialising, binding and reading back a value of a hundred
-- megabytes at 100,000 users, several copies of it at once: the preview's
-- peak memory. Each part holds a few thousand users, groups or groups'
-- members (JSON), written and read one at a time, in `seq` order, in the
-- same transaction as the row in `directory_mirror`.
CREATE TABLE directory_mirror_parts (
    seq   BIGINT PRIMARY KEY,
    body  TEXT NOT NULL
);

-- The one-JSON directory of earlier versions is not carried over: the next
-- preview reads everything once, then changes again.
DELETE FROM directory_mirror;
ALTER TABLE directory_mirror DROP COLUMN mirror;
