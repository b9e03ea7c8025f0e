//! Sync runs, their stored plans, the platform's groups, and the lock that
//! allows one sync at a time.

use super::sync_lock::LockLost;
use super::{Store, db_error};
use app::domain::sync::directory_read::ReadKind;
use app::domain::sync::plan::StoredPlan;
use app::domain::sync::run::RunTotals;
use app::domain::sync::view::{PlanBucket, RunState};
use app::domain::sync::{LocalGroup, LocalState, PlanEntry, SyncOptions};
use app::domain::user::LocalUser;
use app::services::StoreError;
use std::collections::{BTreeSet, HashMap};

/// Plan rows written per statement (well under both engines' parameter limits).
const ROWS_PER_INSERT: usize = 400;

/// A run as the history and the jobs see it: typed here, where it is read.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub id: i64,
    pub state: RunState,
    pub started_by: String,
    pub created_at: i64,
    pub previewed_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub options: SyncOptions,
    pub totals: RunTotals,
    pub directory_users: Option<i64>,
    pub override_by: Option<String>,
    pub applied_by: Option<String>,
    pub error: Option<String>,
    /// When the run last committed a change.
    pub last_applied_at: Option<i64>,
    /// The tenant the run read (once it has).
    pub tenant_id: Option<String>,
    /// The run whose deactivations this one undoes.
    pub undoes_run: Option<i64>,
    /// Why a scheduled preview was not applied on its own.
    pub review_reason: Option<String>,
    /// Which kind of read the run made (once its read finished).
    pub read_kind: Option<ReadKind>,
}

/// A `sync_runs` row as stored.
#[derive(sqlx::FromRow)]
pub(super) struct RunRow {
    id: i64,
    state: String,
    started_by: String,
    created_at: i64,
    previewed_at: Option<i64>,
    finished_at: Option<i64>,
    options_json: String,
    summary_json: Option<String>,
    directory_users: Option<i64>,
    override_by: Option<String>,
    applied_by: Option<String>,
    error: Option<String>,
    last_applied_at: Option<i64>,
    tenant_id: Option<String>,
    undoes_run: Option<i64>,
    review_reason: Option<String>,
    read_kind: Option<String>,
}

impl TryFrom<RunRow> for RunRecord {
    type Error = StoreError;

    fn try_from(row: RunRow) -> Result<Self, StoreError> {
        let unreadable =
            |what: &str| StoreError::Database(format!("sync run {}: unreadable {what}", row.id));
        // Options and totals that cannot be read show as defaults, logged,
        // so that one damaged run does not hide the whole history; a state
        // that cannot be read could only be applied wrongly: refused.
        let shown_empty = |what: &str| {
            tracing::warn!(
                run_id = row.id,
                "sync run {what} unreadable; shown as empty"
            )
        };
        let options = serde_json::from_str(&row.options_json).unwrap_or_else(|_| {
            shown_empty("options");
            SyncOptions::default()
        });
        let totals = match &row.summary_json {
            Some(json) => serde_json::from_str(json).unwrap_or_else(|_| {
                shown_empty("summary");
                RunTotals::default()
            }),
            None => RunTotals::default(),
        };
        Ok(Self {
            state: RunState::parse(&row.state).ok_or_else(|| unreadable("state"))?,
            options,
            totals,
            id: row.id,
            started_by: row.started_by,
            created_at: row.created_at,
            previewed_at: row.previewed_at,
            finished_at: row.finished_at,
            directory_users: row.directory_users,
            override_by: row.override_by,
            applied_by: row.applied_by,
            error: row.error,
            last_applied_at: row.last_applied_at,
            tenant_id: row.tenant_id,
            undoes_run: row.undoes_run,
            review_reason: row.review_reason,
            // A kind no version wrote is shown as unknown, not refused: it
            // only describes the run.
            read_kind: row.read_kind.as_deref().and_then(ReadKind::from_code),
        })
    }
}

/// The columns of [`RunRow`], as a macro so the queries stay `&'static str`.
macro_rules! run_columns {
    () => {
        "id, state, started_by, created_at, previewed_at, finished_at, options_json, summary_json, \
         directory_users, override_by, applied_by, error, last_applied_at, tenant_id, undoes_run, \
         review_reason, read_kind"
    };
}
pub(super) use run_columns;

/// The time a fenced write renews the heartbeat with.
fn now_of(finished_at: Option<i64>) -> i64 {
    finished_at.unwrap_or_else(super::now_millis)
}

pub(super) fn json<T: serde::Serialize>(value: &T) -> String {
    // Plain data: serialising it cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

impl Store {
    pub async fn create_run(
        &self,
        started_by: &str,
        options: &SyncOptions,
        now: i64,
    ) -> Result<i64, StoreError> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO sync_runs (state, started_by, created_at, options_json) VALUES ('fetching', $1, $2, $3) RETURNING id",
        )
        .bind(started_by)
        .bind(now)
        .bind(json(options))
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(id)
    }

    /// Records that run `run_id` undoes run `of_run`'s deactivations.
    /// Marks a scheduled preview "Needs review": it stays open for an
    /// admin, with why it was not applied on its own.
    pub async fn mark_needs_review(&self, run_id: i64, reason: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE sync_runs SET review_reason = $1 WHERE id = $2")
            .bind(reason)
            .bind(run_id)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    pub async fn mark_undo(&self, run_id: i64, of_run: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE sync_runs SET undoes_run = $2 WHERE id = $1")
            .bind(run_id)
            .bind(of_run)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// Ends a run that is reading or applying (`state`: failed, cancelled,
    /// or interrupted, which stays resumable and keeps no end time), if
    /// `token` still holds the lock: a job that lost it marks nothing. The
    /// same transaction releases the lock.
    pub async fn end_run(
        &self,
        run_id: i64,
        token: &str,
        state: RunState,
        error: &str,
        finished_at: Option<i64>,
    ) -> Result<Result<(), LockLost>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        if let Err(lost) = Self::fence(&mut tx, token, now_of(finished_at)).await? {
            tx.rollback().await.map_err(db_error)?;
            return Ok(Err(lost));
        }
        sqlx::query(
            "UPDATE sync_runs SET state = $2, error = $3, finished_at = COALESCE($4, finished_at) \
             WHERE id = $1 AND state IN ('fetching', 'applying')",
        )
        .bind(run_id)
        .bind(state.as_str())
        .bind(error)
        .bind(finished_at)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        Self::hand_back(&mut tx, token).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(Ok(()))
    }

    pub async fn get_run(&self, run_id: i64) -> Result<RunRecord, StoreError> {
        let row: RunRow = sqlx::query_as(concat!(
            "SELECT ",
            run_columns!(),
            " FROM sync_runs WHERE id = $1"
        ))
        .bind(run_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?
        .ok_or(StoreError::NotFound)?;
        row.try_into()
    }

    /// Stores a plan's rows and marks the run previewed, in one
    /// transaction, if `token` still holds the sync lock, which the same
    /// transaction releases.
    pub async fn save_preview(
        &self,
        run_id: i64,
        token: &str,
        plan: StoredPlan,
        now: i64,
    ) -> Result<Result<(), LockLost>, StoreError> {
        let StoredPlan {
            totals,
            directory_users,
            tenant_id,
            rows,
        } = plan;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        if let Err(lost) = Self::fence(&mut tx, token, now).await? {
            tx.rollback().await.map_err(db_error)?;
            return Ok(Err(lost));
        }
        // Each chunk's rows are let go once bound, so the plan shrinks as
        // it is written.
        let mut rows = rows.into_iter().enumerate().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<_> = rows.by_ref().take(ROWS_PER_INSERT).collect();
            let mut sql = String::from(
                "INSERT INTO sync_plan_rows (run_id, seq, bucket, search_text, payload) VALUES ",
            );
            for i in 0..chunk.len() {
                let p = i * 4;
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "($1, ${}, ${}, ${}, ${})",
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 5
                ));
            }
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(run_id);
            for (seq, entry) in chunk {
                query = query
                    .bind(seq as i64)
                    .bind(bucket_key(entry.bucket()))
                    .bind(entry.search_text())
                    .bind(json(&entry));
            }
            query.execute(&mut *tx).await.map_err(db_error)?;
        }
        sqlx::query(
            "UPDATE sync_runs SET state = 'previewed', previewed_at = $2, summary_json = $3, directory_users = $4, \
             tenant_id = $5 WHERE id = $1",
        )
        .bind(run_id)
        .bind(now)
        .bind(json(&totals))
        .bind(directory_users as i64)
        .bind(&tenant_id)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        Self::hand_back(&mut tx, token).await?;
        tx.commit().await.map_err(db_error)?;
        self.refresh_statistics("sync_plan_rows").await;
        Ok(Ok(()))
    }

    /// Rows of a stored plan in one bucket: (seq, payload JSON).
    pub async fn plan_rows_in(
        &self,
        run_id: i64,
        bucket: &str,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        sqlx::query_as("SELECT seq, payload FROM sync_plan_rows WHERE run_id = $1 AND bucket = $2 ORDER BY seq")
            .bind(run_id)
            .bind(bucket)
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)
    }

    /// Everything the planner compares the directory with.
    pub async fn load_local_state(&self) -> Result<LocalState, StoreError> {
        let users: Vec<LocalUser> = self.all_users().await?;
        let groups: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, azure_object_id, name FROM directory_groups ORDER BY id")
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
        let members: Vec<(i64, String)> = sqlx::query_as(
            "SELECT m.group_id, u.azure_object_id FROM group_members m JOIN users u ON u.id = m.user_id \
             WHERE u.azure_object_id IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let mut by_group: HashMap<i64, BTreeSet<String>> = HashMap::new();
        for (group, azure_id) in members {
            by_group.entry(group).or_default().insert(azure_id);
        }
        let last: Option<(Option<i64>, Option<String>)> = sqlx::query_as(
            "SELECT directory_users, tenant_id FROM sync_runs WHERE state = 'applied' AND undoes_run IS NULL \
             ORDER BY finished_at DESC, id DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(LocalState {
            users,
            groups: groups
                .into_iter()
                .map(|(id, azure_object_id, name)| LocalGroup {
                    azure_object_id,
                    name,
                    member_azure_ids: by_group.remove(&id).unwrap_or_default(),
                })
                .collect(),
            last_directory_count: last.as_ref().and_then(|(n, _)| *n).map(|n| n.max(0) as u64),
            last_directory_tenant: last.and_then(|(_, tenant)| tenant),
        })
    }
}

/// The stored bucket of a row: the list's name, or `groups`.
pub(super) fn bucket_key(bucket: Option<PlanBucket>) -> &'static str {
    bucket.map_or(GROUPS_BUCKET, PlanBucket::as_str)
}

/// The bucket of the one row that holds a plan's group changes.
pub(super) const GROUPS_BUCKET: &str = "groups";

/// A stored row's entry.
pub(super) fn parse_entry(run_id: i64, seq: i64, payload: &str) -> Result<PlanEntry, StoreError> {
    serde_json::from_str(payload)
        .map_err(|e| StoreError::Database(format!("unreadable plan row {run_id}/{seq}: {e}")))
}

impl Store {
    /// The newest runs first, for Sync history.
    pub async fn list_runs(&self, limit: i64, offset: i64) -> Result<Vec<RunRecord>, StoreError> {
        let rows: Vec<RunRow> = sqlx::query_as(concat!(
            "SELECT ",
            run_columns!(),
            " FROM sync_runs ORDER BY id DESC LIMIT $1 OFFSET $2"
        ))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.into_iter().map(RunRecord::try_from).collect()
    }
}
