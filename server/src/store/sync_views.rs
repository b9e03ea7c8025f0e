//! What the Import and Sync history pages read of stored runs: one page of
//! one bucket at a time (searched in the database), exclusion marks and
//! their counts, the newest runs.

use super::sync_apply::{EntryRow, StoredEntry};
use super::sync_runs::parse_entry;
use super::sync_runs::{GROUPS_BUCKET, RunRecord, RunRow, bucket_key, run_columns};
use super::users::contains_pattern;
use super::{Store, db_error};
use app::domain::sync::view::{PlanBucket, RunState};
use app::domain::sync::{GroupPlan, PlanEntry};
use app::services::StoreError;
use std::collections::HashMap;

impl Store {
    /// Rows of one bucket matching `search` (name, email, department,
    /// title), in plan order, and how many match in all.
    pub async fn plan_page(
        &self,
        run_id: i64,
        bucket: PlanBucket,
        search: &str,
        offset: u64,
        limit: u32,
    ) -> Result<(Vec<StoredEntry>, u64), StoreError> {
        let pattern = contains_pattern(search);
        let bucket = bucket_key(Some(bucket));
        let rows: Vec<EntryRow> = sqlx::query_as(
            "SELECT seq, payload, excluded, outcome, outcome_detail FROM sync_plan_rows \
             WHERE run_id = $1 AND bucket = $2 AND ($3 = '' OR search_text LIKE $4 ESCAPE '\\') \
             ORDER BY seq LIMIT $5 OFFSET $6",
        )
        .bind(run_id)
        .bind(bucket)
        .bind(search)
        .bind(&pattern)
        .bind(i64::from(limit))
        .bind(offset as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let rows = rows
            .into_iter()
            .map(|r| r.typed(run_id))
            .collect::<Result<Vec<_>, _>>()?;
        let (total,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM sync_plan_rows \
             WHERE run_id = $1 AND bucket = $2 AND ($3 = '' OR search_text LIKE $4 ESCAPE '\\')",
        )
        .bind(run_id)
        .bind(bucket)
        .bind(search)
        .bind(&pattern)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok((rows, total.max(0) as u64))
    }

    /// Marks rows excluded (or not), among those not applied yet. False,
    /// changing nothing, when the run is no longer open or a sync holds it:
    /// the run's row is written first, so an apply starting meanwhile waits
    /// for this, or this for it.
    pub async fn set_rows_excluded(
        &self,
        run_id: i64,
        seqs: &[i64],
        excluded: bool,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let open = sqlx::query(
            "UPDATE sync_runs SET state = state WHERE id = $1 AND state IN ('previewed', 'interrupted') \
             AND NOT EXISTS (SELECT 1 FROM sync_lock WHERE run_id = $1 AND holder IS NOT NULL)",
        )
        .bind(run_id)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        if open.rows_affected() == 0 {
            tx.rollback().await.map_err(db_error)?;
            return Ok(false);
        }
        for seq in seqs {
            sqlx::query(
                "UPDATE sync_plan_rows SET excluded = $3 \
                 WHERE run_id = $1 AND seq = $2 AND outcome IS NULL AND bucket IN ('added', 'updated', 'deactivated')",
            )
            .bind(run_id)
            .bind(seq)
            .bind(i64::from(excluded))
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)?;
        Ok(true)
    }

    /// How many rows of each bucket are excluded: (bucket, count).
    pub async fn excluded_counts(&self, run_id: i64) -> Result<Vec<(String, i64)>, StoreError> {
        sqlx::query_as(
            "SELECT bucket, COUNT(*) FROM sync_plan_rows WHERE run_id = $1 AND excluded = 1 GROUP BY bucket",
        )
        .bind(run_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)
    }

    pub async fn count_runs(&self) -> Result<u64, StoreError> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sync_runs")
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(n.max(0) as u64)
    }

    /// The newest run in `state`, or the newest of all with `None`.
    pub async fn newest_run(
        &self,
        state: Option<RunState>,
    ) -> Result<Option<RunRecord>, StoreError> {
        let row: Option<RunRow> = sqlx::query_as(concat!(
            "SELECT ",
            run_columns!(),
            " FROM sync_runs WHERE ($1 = '' OR state = $1) ORDER BY id DESC LIMIT 1"
        ))
        .bind(state.map_or("", RunState::as_str))
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(RunRecord::try_from).transpose()
    }

    /// The platform's groups' names by Azure object id.
    pub async fn group_names(&self) -> Result<HashMap<String, String>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT azure_object_id, name FROM directory_groups")
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
        Ok(rows.into_iter().collect())
    }

    /// The stored group changes of a run (its one `groups` row).
    pub async fn group_plan(&self, run_id: i64) -> Result<Option<GroupPlan>, StoreError> {
        let row: Option<(i64, String)> = sqlx::query_as(
            "SELECT seq, payload FROM sync_plan_rows WHERE run_id = $1 AND bucket = $2",
        )
        .bind(run_id)
        .bind(GROUPS_BUCKET)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        let Some((seq, payload)) = row else {
            return Ok(None);
        };
        match parse_entry(run_id, seq, &payload)? {
            PlanEntry::Groups(plan) => Ok(Some(plan)),
            _ => Err(StoreError::Database(format!(
                "plan row {run_id}/{seq}: not the group changes"
            ))),
        }
    }
}
