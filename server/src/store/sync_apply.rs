//! Writing a stored plan: batch by batch, each batch one transaction, each
//! row's change and its recorded outcome committed together. A crash leaves
//! every row either done (with its outcome) or untouched (without one), so
//! a resumed run simply carries on with the rows that have no outcome.

use super::{Store, db_error};
use app::domain::sync::apply::{apply_changes, first_conflict, new_local_user};
use app::domain::sync::{GroupPlan, PlannedAdd, PlannedDeactivation, PlannedUpdate};
use app::domain::user::UserStatus;
use app::services::StoreError;

/// A stored plan row still to apply.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingRow {
    pub seq: i64,
    pub bucket: String,
    pub payload: String,
    pub excluded: i64,
}

/// What became of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Conflict,
    Failed,
    Excluded,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Conflict => "conflict",
            Self::Failed => "failed",
            Self::Excluded => "excluded",
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(payload: &str) -> Result<T, StoreError> {
    serde_json::from_str(payload)
        .map_err(|e| StoreError::Database(format!("unreadable plan row: {e}")))
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

    pub async fn mark_applying(
        &self,
        run_id: i64,
        admin: &str,
        override_by: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE sync_runs SET state = 'applying', applied_by = $2, override_by = COALESCE($3, override_by) WHERE id = $1")
            .bind(run_id)
            .bind(admin)
            .bind(override_by)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// How many rows of these buckets are still to apply.
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

    /// The next rows of `bucket` without an outcome.
    pub async fn pending_rows(
        &self,
        run_id: i64,
        bucket: &str,
        limit: i64,
    ) -> Result<Vec<PendingRow>, StoreError> {
        sqlx::query_as(
            "SELECT seq, bucket, payload, excluded FROM sync_plan_rows \
             WHERE run_id = $1 AND bucket = $2 AND outcome IS NULL ORDER BY seq LIMIT $3",
        )
        .bind(run_id)
        .bind(bucket)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)
    }

    /// Applies one batch in one transaction; returns each row's outcome.
    pub async fn apply_batch(
        &self,
        run_id: i64,
        rows: &[PendingRow],
        now: i64,
    ) -> Result<Vec<Outcome>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let mut outcomes = Vec::with_capacity(rows.len());
        for row in rows {
            let (outcome, detail) = if row.excluded != 0 {
                (Outcome::Excluded, None)
            } else {
                match row.bucket.as_str() {
                    "updated" => {
                        self.apply_update(&mut tx, &parse(&row.payload)?, now)
                            .await?
                    }
                    "deactivated" => {
                        self.apply_deactivation(&mut tx, &parse(&row.payload)?, now)
                            .await?
                    }
                    "added" => self.apply_add(&mut tx, &parse(&row.payload)?, now).await?,
                    other => (Outcome::Failed, Some(format!("unknown bucket {other}"))),
                }
            };
            sqlx::query("UPDATE sync_plan_rows SET outcome = $3, outcome_detail = $4 WHERE run_id = $1 AND seq = $2")
                .bind(run_id)
                .bind(row.seq)
                .bind(outcome.as_str())
                .bind(detail)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            outcomes.push(outcome);
        }
        tx.commit().await.map_err(db_error)?;
        Ok(outcomes)
    }

    async fn apply_update(
        &self,
        conn: &mut sqlx::AnyConnection,
        update: &PlannedUpdate,
        now: i64,
    ) -> Result<(Outcome, Option<String>), StoreError> {
        let Some(mut user) = self.user_for_update(conn, update.local_id).await? else {
            return Ok((
                Outcome::Failed,
                Some("The user was deleted after the preview.".into()),
            ));
        };
        if let Some((change, now_value)) = first_conflict(&user, &update.changes) {
            return Ok((
                Outcome::Conflict,
                Some(format!(
                    "{} was changed to “{}” after the preview; not overwritten.",
                    change.field.label(),
                    now_value.unwrap_or_default()
                )),
            ));
        }
        apply_changes(&mut user, &update.changes);
        if let Some(holder) = self
            .email_holder_in(conn, &user.email, Some(user.id))
            .await?
        {
            return Ok((
                Outcome::Conflict,
                Some(format!("The email {} now belongs to {holder}.", user.email)),
            ));
        }
        user.updated_at = now;
        user.last_synced_at = Some(now);
        self.write_user_in(conn, &user).await?;
        Ok((Outcome::Done, None))
    }

    async fn apply_deactivation(
        &self,
        conn: &mut sqlx::AnyConnection,
        planned: &PlannedDeactivation,
        now: i64,
    ) -> Result<(Outcome, Option<String>), StoreError> {
        let Some(mut user) = self.user_for_update(conn, planned.local_id).await? else {
            return Ok((
                Outcome::Failed,
                Some("The user was deleted after the preview.".into()),
            ));
        };
        if user.azure_object_id.as_deref() != Some(planned.azure_object_id.as_str())
            || user.status != UserStatus::Active
        {
            return Ok((
                Outcome::Conflict,
                Some("The user was changed after the preview; not deactivated.".into()),
            ));
        }
        user.status = UserStatus::Deactivated;
        user.updated_at = now;
        user.last_synced_at = Some(now);
        self.write_user_in(conn, &user).await?;
        Ok((Outcome::Done, None))
    }

    async fn apply_add(
        &self,
        conn: &mut sqlx::AnyConnection,
        planned: &PlannedAdd,
        now: i64,
    ) -> Result<(Outcome, Option<String>), StoreError> {
        if let Some(holder) = self
            .email_holder_in(conn, &planned.user.email, None)
            .await?
        {
            return Ok((
                Outcome::Conflict,
                Some(format!(
                    "The email {} now belongs to {holder}.",
                    planned.user.email
                )),
            ));
        }
        let (linked,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM users WHERE azure_object_id = $1")
                .bind(&planned.user.azure_object_id)
                .fetch_one(&mut *conn)
                .await
                .map_err(db_error)?;
        if linked > 0 {
            return Ok((
                Outcome::Conflict,
                Some("This Azure AD user was linked by another change.".into()),
            ));
        }
        self.insert_user_in(conn, &new_local_user(&planned.user, now))
            .await?;
        Ok((Outcome::Done, None))
    }

    /// Applies the run's group changes (one transaction), once.
    pub async fn apply_groups(&self, run_id: i64, now: i64) -> Result<(), StoreError> {
        let Some(row) = self.pending_rows(run_id, "groups", 1).await?.pop() else {
            return Ok(());
        };
        let plan: GroupPlan = parse(&row.payload)?;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        for (id, name) in &plan.added {
            sqlx::query(
                "INSERT INTO directory_groups (azure_object_id, name, created_at, updated_at) \
                 SELECT $1, $2, $3, $3 WHERE NOT EXISTS (SELECT 1 FROM directory_groups WHERE azure_object_id = $1)",
            )
            .bind(id)
            .bind(name)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        for (id, _, name) in &plan.renamed {
            sqlx::query(
                "UPDATE directory_groups SET name = $2, updated_at = $3 WHERE azure_object_id = $1",
            )
            .bind(id)
            .bind(name)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        for (group, user) in &plan.memberships_added {
            sqlx::query(
                "INSERT INTO group_members (group_id, user_id) \
                 SELECT g.id, u.id FROM directory_groups g, users u WHERE g.azure_object_id = $1 AND u.azure_object_id = $2 \
                 AND NOT EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.user_id = u.id)",
            )
            .bind(group)
            .bind(user)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        for (group, user) in &plan.memberships_removed {
            sqlx::query(
                "DELETE FROM group_members WHERE group_id = (SELECT id FROM directory_groups WHERE azure_object_id = $1) \
                 AND user_id = (SELECT id FROM users WHERE azure_object_id = $2)",
            )
            .bind(group)
            .bind(user)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        for (id, _) in &plan.removed {
            sqlx::query("DELETE FROM directory_groups WHERE azure_object_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        sqlx::query("UPDATE sync_plan_rows SET outcome = 'done' WHERE run_id = $1 AND seq = $2")
            .bind(run_id)
            .bind(row.seq)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)
    }

    /// Ends a run with its results.
    pub async fn finish_run(
        &self,
        run_id: i64,
        state: &str,
        results_json: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sync_runs SET state = $2, summary_json = $3, finished_at = $4 WHERE id = $1",
        )
        .bind(run_id)
        .bind(state)
        .bind(results_json)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    /// Whether another run was applied after `since` (which makes an older
    /// preview stale).
    pub async fn applied_since(&self, run_id: i64, since: i64) -> Result<bool, StoreError> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM sync_runs WHERE state = 'applied' AND id <> $1 AND finished_at > $2")
                .bind(run_id)
                .bind(since)
                .fetch_one(&self.pool)
                .await
                .map_err(db_error)?;
        Ok(n > 0)
    }

    /// Outcome counts of a run: (bucket, outcome, count).
    pub async fn outcome_counts(
        &self,
        run_id: i64,
    ) -> Result<Vec<(String, Option<String>, i64)>, StoreError> {
        sqlx::query_as(
            "SELECT bucket, outcome, COUNT(*) FROM sync_plan_rows WHERE run_id = $1 GROUP BY bucket, outcome ORDER BY bucket",
        )
        .bind(run_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)
    }

    /// At start: runs left mid-apply by a process that died are marked
    /// `interrupted` (resumable), unless a live process holds the lock.
    pub async fn mark_interrupted_runs(&self, now: i64, stale_ms: i64) -> Result<u64, StoreError> {
        let live: (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM sync_lock WHERE id = 1 AND holder IS NOT NULL AND heartbeat_at >= $1")
                .bind(now - stale_ms)
                .fetch_one(&self.pool)
                .await
                .map_err(db_error)?;
        if live.0 > 0 {
            return Ok(0);
        }
        let done =
            sqlx::query("UPDATE sync_runs SET state = 'interrupted' WHERE state = 'applying'")
                .execute(&self.pool)
                .await
                .map_err(db_error)?;
        sqlx::query("UPDATE sync_runs SET state = 'failed', error = 'The server stopped during the preview.', finished_at = $1 WHERE state = 'fetching'")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        sqlx::query("UPDATE sync_lock SET holder = NULL, run_id = NULL, acquired_at = NULL, heartbeat_at = NULL WHERE id = 1")
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected())
    }

    /// Gives up on a run: nothing more of it is applied.
    pub async fn discard_run(&self, run_id: i64, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE sync_runs SET state = 'discarded', finished_at = $2 WHERE id = $1 AND state IN ('previewed', 'interrupted')")
            .bind(run_id)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
