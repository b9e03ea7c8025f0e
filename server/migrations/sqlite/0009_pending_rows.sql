-- The apply takes a run's rows without an outcome, in plan order, 200 at a
-- time. Through (run_id, bucket, seq) each batch stepped over every row
-- already done, so a 100,000-row apply read the table quadratically; this
-- index holds only the rows still to do.
CREATE INDEX sync_plan_rows_pending ON sync_plan_rows (run_id, seq) WHERE outcome IS NULL;
