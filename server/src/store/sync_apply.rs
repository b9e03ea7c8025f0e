//! Writing a stored plan: batch by batch, each batch one transaction that
//! first proves its run still holds the sync lock (fencing), each row's
//! change and its recorded outcome committed together. A crash leaves every
//! row either done (with its outcome) or untouched (without one), so a
//! resumed run carries on with the rows that have no outcome.
//!
//! What a row does is decided by `domain::sync::apply::decide`; how a
//! batch's rows are read, decided and written together (and one by one when
//! the database refuses one, which alone is then recorded as failed) is in
//! `apply_rows.rs`.

use super::apply_rows::Decided;
use super::sync_lock::LockLost;
use super::sync_runs::{bucket_key, parse_entry};
use super::users::placeholders;
use super::{Store, db_error};
use app::domain::sync::run::{RowOutcome, RunTotals};
use app::domain::sync::view::PlanBucket;
use app::domain::sync::{GroupPlan, PlanEntry};
use app::services::StoreError;

/// A stored plan row, typed.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    pub seq: i64,
    pub entry: PlanEntry,
    pub excluded: bool,
    pub outcome: Option<RowOutcome>,
    pub outcome_detail: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(super) struct EntryRow {
    seq: i64,
    payload: String,
    excluded: i64,
    outcome: Option<String>,
    outcome_detail: Option<String>,
}

impl EntryRow {
    pub(super) fn typed(self, run_id: i64) -> Result<StoredEntry, StoreError> {
        let outcome = match self.outcome.as_deref() {
            None => None,
            Some(o) => Some(RowOutcome::parse(o).ok_or_else(|| {
                StoreError::Database(format!("plan row {run_id}/{}: unknown outcome", self.seq))
            })?),
        };
        Ok(StoredEntry {
            entry: parse_entry(run_id, self.seq, &self.payload)?,
            seq: self.seq,
            excluded: self.excluded != 0,
            outcome,
            outcome_detail: self.outcome_detail,
        })
    }
}

impl Store {
    /// Marks rows the admin excluded (only rows not yet applied).
    pub async fn exclude_rows(&self, run_id: i64, seqs: &[i64]) -> Result<(), StoreError> {
        for seq in seqs {
            sqlx::query("UPDATE sync_plan_rows SET excluded = 1 WHERE run_id = $1 AND seq = $2 AND outcome IS NULL")
                .bind(run_id)
                .bind(seq)
                .execute(&self.pool)
                .await
                .map_err(db_error)?;
        }
        Ok(())
    }

    /// Marks the run applying, if `token` holds the lock and the run is
    /// still open (previewed or interrupted).
    pub async fn mark_applying(
        &self,
        run_id: i64,
        token: &str,
        admin: &str,
        override_by: Option<&str>,
        now: i64,
    ) -> Result<Result<bool, LockLost>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        if let Err(lost) = Self::fence(&mut tx, token, now).await? {
            tx.rollback().await.map_err(db_error)?;
            return Ok(Err(lost));
        }
        let marked = sqlx::query(
            "UPDATE sync_runs SET state = 'applying', applied_by = $2, override_by = COALESCE($3, override_by), error = NULL \
             WHERE id = $1 AND state IN ('previewed', 'interrupted')",
        )
        .bind(run_id)
        .bind(admin)
        .bind(override_by)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(Ok(marked.rows_affected() == 1))
    }

    /// How many rows that change users are still to apply.
    pub async fn count_pending(&self, run_id: i64) -> Result<u64, StoreError> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM sync_plan_rows WHERE run_id = $1 AND outcome IS NULL AND bucket IN ('updated', 'deactivated', 'added')",
        )
        .bind(run_id)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(n.max(0) as u64)
    }

    /// The next rows of `buckets` (one or two) without an outcome, in
    /// plan order; with no bucket, the group changes.
    pub async fn pending_rows(
        &self,
        run_id: i64,
        buckets: &[PlanBucket],
        limit: i64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let first = buckets.first().copied().map(Some).unwrap_or(None);
        let second = buckets.get(1).copied().map(Some).unwrap_or(first);
        let rows: Vec<EntryRow> = sqlx::query_as(
            "SELECT seq, payload, excluded, outcome, outcome_detail FROM sync_plan_rows \
             WHERE run_id = $1 AND bucket IN ($2, $3) AND outcome IS NULL ORDER BY seq LIMIT $4",
        )
        .bind(run_id)
        .bind(bucket_key(first))
        .bind(bucket_key(second))
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.into_iter().map(|r| r.typed(run_id)).collect()
    }

    /// The deactivations run `run_id` carried out (outcome done), in plan
    /// order: what undoing it reverses.
    pub async fn done_deactivations(
        &self,
        run_id: i64,
    ) -> Result<Vec<app::domain::sync::PlannedDeactivation>, StoreError> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT seq, payload FROM sync_plan_rows \
             WHERE run_id = $1 AND bucket = 'deactivated' AND outcome = 'done' ORDER BY seq",
        )
        .bind(run_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.into_iter()
            .map(|(seq, payload)| match parse_entry(run_id, seq, &payload)? {
                PlanEntry::Deactivate(d) => Ok(d),
                _ => Err(StoreError::Database(format!(
                    "plan row {run_id}/{seq}: not a deactivation"
                ))),
            })
            .collect()
    }

    /// Every row of a run's plan with its outcome, in plan order.
    pub async fn plan_entries(&self, run_id: i64) -> Result<Vec<StoredEntry>, StoreError> {
        let rows: Vec<EntryRow> = sqlx::query_as(
            "SELECT seq, payload, excluded, outcome, outcome_detail FROM sync_plan_rows WHERE run_id = $1 ORDER BY seq",
        )
        .bind(run_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.into_iter().map(|r| r.typed(run_id)).collect()
    }

    /// Applies one batch in one transaction, if `token` still holds the
    /// lock; returns each row's outcome.
    pub async fn apply_batch(
        &self,
        run_id: i64,
        token: &str,
        rows: &[StoredEntry],
        now: i64,
    ) -> Result<Result<Vec<RowOutcome>, LockLost>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        if let Err(lost) = Self::fence(&mut tx, token, now).await? {
            tx.rollback().await.map_err(db_error)?;
            return Ok(Err(lost));
        }
        let decided = self.write_rows(&mut tx, run_id, rows, now).await?;
        record_outcomes(&mut tx, run_id, rows, &decided).await?;
        sqlx::query("UPDATE sync_runs SET last_applied_at = $2 WHERE id = $1")
            .bind(run_id)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        let committed = Self::commit_fenced(tx, token).await?;
        self.refresh_user_statistics_now_and_then().await;
        Ok(committed.map(|()| decided.into_iter().map(|(outcome, _)| outcome).collect()))
    }

    /// Applies the run's group changes (one transaction), once.
    pub async fn apply_groups(
        &self,
        run_id: i64,
        token: &str,
        now: i64,
    ) -> Result<Result<(), LockLost>, StoreError> {
        let Some(row) = self.pending_rows(run_id, &[], 1).await?.pop() else {
            return Ok(Ok(()));
        };
        let PlanEntry::Groups(plan) = &row.entry else {
            return Err(StoreError::Database(format!(
                "plan row {run_id}/{}: not the group changes",
                row.seq
            )));
        };
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        if let Err(lost) = Self::fence(&mut tx, token, now).await? {
            tx.rollback().await.map_err(db_error)?;
            return Ok(Err(lost));
        }
        write_groups(&mut tx, plan, now).await?;
        sqlx::query("UPDATE sync_plan_rows SET outcome = 'done' WHERE run_id = $1 AND seq = $2")
            .bind(run_id)
            .bind(row.seq)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        sqlx::query("UPDATE sync_runs SET last_applied_at = $2 WHERE id = $1")
            .bind(run_id)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        Self::commit_fenced(tx, token).await
    }

    /// Ends an apply with its results, if `token` still holds the lock,
    /// which the same transaction releases.
    pub async fn finish_run(
        &self,
        run_id: i64,
        token: &str,
        totals: &RunTotals,
        now: i64,
    ) -> Result<Result<(), LockLost>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        if let Err(lost) = Self::fence(&mut tx, token, now).await? {
            tx.rollback().await.map_err(db_error)?;
            return Ok(Err(lost));
        }
        sqlx::query(
            "UPDATE sync_runs SET state = 'applied', summary_json = $2, finished_at = $3, error = NULL \
             WHERE id = $1 AND state = 'applying'",
        )
        .bind(run_id)
        .bind(super::sync_runs::json(totals))
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        // Links made before tenants were recorded belong to the tenant this
        // run read (which found them, or would have deactivated them).
        sqlx::query(
            "UPDATE users SET tenant_id = (SELECT tenant_id FROM sync_runs WHERE id = $1) \
             WHERE tenant_id IS NULL AND azure_object_id IS NOT NULL \
             AND (SELECT tenant_id FROM sync_runs WHERE id = $1) IS NOT NULL",
        )
        .bind(run_id)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        Self::hand_back(&mut tx, token).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(Ok(()))
    }

    /// Whether a run other than `run_id` committed a change after `since`
    /// (which makes a plan made at `since` stale).
    pub async fn applied_since(&self, run_id: i64, since: i64) -> Result<bool, StoreError> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM sync_runs WHERE id <> $1 AND last_applied_at > $2",
        )
        .bind(run_id)
        .bind(since)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(n > 0)
    }

    /// How many rows of each bucket that changes users ended each way.
    pub async fn outcome_counts(
        &self,
        run_id: i64,
    ) -> Result<Vec<(PlanBucket, RowOutcome, u64)>, StoreError> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT bucket, outcome, COUNT(*) FROM sync_plan_rows \
             WHERE run_id = $1 AND outcome IS NOT NULL AND bucket IN ('updated', 'deactivated', 'added') \
             GROUP BY bucket, outcome ORDER BY bucket",
        )
        .bind(run_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.into_iter()
            .map(|(bucket, outcome, n)| {
                match (PlanBucket::parse(&bucket), RowOutcome::parse(&outcome)) {
                    (Some(b), Some(o)) => Ok((b, o, n.max(0) as u64)),
                    _ => Err(StoreError::Database(format!(
                        "run {run_id}: unknown bucket or outcome {bucket}/{outcome}"
                    ))),
                }
            })
            .collect()
    }

    /// Gives up on a run: nothing more of it is applied. False when the run
    /// was not open (applied, running, discarded already).
    pub async fn discard_run(&self, run_id: i64, now: i64) -> Result<bool, StoreError> {
        // Never a run that a live sync holds (resuming it, say).
        let done = sqlx::query(
            "UPDATE sync_runs SET state = 'discarded', finished_at = $2 WHERE id = $1 AND state IN ('previewed', 'interrupted') \
             AND NOT EXISTS (SELECT 1 FROM sync_lock WHERE run_id = $1 AND holder IS NOT NULL)",
        )
            .bind(run_id)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected() == 1)
    }
}

/// The group changes, many rows per statement: a large tenant's first
/// import adds thousands of groups and hundreds of thousands of memberships,
/// one statement each before (minutes on PostgreSQL, in one transaction).
async fn write_groups(
    tx: &mut sqlx::AnyConnection,
    plan: &GroupPlan,
    now: i64,
) -> Result<(), StoreError> {
    for chunk in plan.added.chunks(PAIRS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO directory_groups (azure_object_id, name, name_folded, created_at, updated_at) \
             SELECT DISTINCT v.column1, v.column2, v.column3, $1, $1 FROM (VALUES {}) AS v \
             WHERE NOT EXISTS (SELECT 1 FROM directory_groups g WHERE g.azure_object_id = v.column1)",
            value_rows(2, 3, chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now);
        for (id, name) in chunk {
            query = query.bind(id).bind(name).bind(name.to_lowercase());
        }
        query.execute(&mut *tx).await.map_err(db_error)?;
    }
    for (id, _, name) in &plan.renamed {
        sqlx::query(
            "UPDATE directory_groups SET name = $2, name_folded = $4, updated_at = $3 WHERE azure_object_id = $1",
        )
        .bind(id)
        .bind(name)
        .bind(now)
        .bind(name.to_lowercase())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    }
    for chunk in plan.memberships_added.chunks(PAIRS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO group_members (group_id, user_id) SELECT DISTINCT g.id, u.id {} \
             WHERE NOT EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.user_id = u.id)",
            member_pairs(chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (group, user) in chunk {
            query = query.bind(group).bind(user);
        }
        query.execute(&mut *tx).await.map_err(db_error)?;
    }
    for chunk in plan.memberships_removed.chunks(PAIRS_PER_STATEMENT) {
        let sql = format!(
            "DELETE FROM group_members WHERE (group_id, user_id) IN (SELECT g.id, u.id {})",
            member_pairs(chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (group, user) in chunk {
            query = query.bind(group).bind(user);
        }
        query.execute(&mut *tx).await.map_err(db_error)?;
    }
    for (id, _) in &plan.removed {
        sqlx::query("DELETE FROM directory_groups WHERE azure_object_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
    }
    Ok(())
}

/// Group rows or memberships per statement (a few thousand parameters).
const PAIRS_PER_STATEMENT: usize = 500;

/// `FROM` `pairs` (group, user) pairs by Azure AD ids, bound from `$1`,
/// resolved to local ids by a join: a pair whose group or user is not here
/// is left out.
fn member_pairs(pairs: usize) -> String {
    format!(
        "FROM (VALUES {}) AS v \
         JOIN directory_groups g ON g.azure_object_id = v.column1 \
         JOIN users u ON u.azure_object_id = v.column2",
        value_rows(1, 2, pairs)
    )
}

/// `($first, ...), (...)`: `rows` rows of `width` placeholders each.
fn value_rows(first: usize, width: usize, rows: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", placeholders(first + r * width, width)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Records each row's outcome: the rows without a detail (most) in one
/// statement per outcome, the others one by one.
async fn record_outcomes(
    conn: &mut sqlx::AnyConnection,
    run_id: i64,
    rows: &[StoredEntry],
    decided: &[Decided],
) -> Result<(), StoreError> {
    let mut plain: Vec<(RowOutcome, Vec<i64>)> = Vec::new();
    for (row, (outcome, detail)) in rows.iter().zip(decided) {
        if let Some(detail) = detail {
            sqlx::query("UPDATE sync_plan_rows SET outcome = $3, outcome_detail = $4 WHERE run_id = $1 AND seq = $2")
                .bind(run_id)
                .bind(row.seq)
                .bind(outcome.as_str())
                .bind(detail)
                .execute(&mut *conn)
                .await
                .map_err(db_error)?;
        } else {
            match plain.iter_mut().find(|(o, _)| o == outcome) {
                Some((_, seqs)) => seqs.push(row.seq),
                None => plain.push((*outcome, vec![row.seq])),
            }
        }
    }
    for (outcome, seqs) in plain {
        for chunk in seqs.chunks(1_000) {
            let sql = format!(
                "UPDATE sync_plan_rows SET outcome = $2, outcome_detail = NULL WHERE run_id = $1 AND seq IN ({})",
                placeholders(3, chunk.len())
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(run_id)
                .bind(outcome.as_str());
            for seq in chunk {
                query = query.bind(*seq);
            }
            query.execute(&mut *conn).await.map_err(db_error)?;
        }
    }
    Ok(())
}
