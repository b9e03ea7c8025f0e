//! Sync runs, their stored plans, the platform's groups, and the lock that
//! allows one sync at a time.

use super::{Store, db_error};
use app::domain::sync::{ImportPlan, LocalGroup, LocalState};
use app::domain::user::LocalUser;
use app::services::StoreError;
use std::collections::{BTreeSet, HashMap};

/// Plan rows written per statement (well under both engines' parameter limits).
const ROWS_PER_INSERT: usize = 400;

/// Who holds the sync lock, for the refusal message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    pub holder: String,
    pub acquired_at: i64,
    pub run_id: Option<i64>,
}

/// A run as the history and the jobs see it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RunRecord {
    pub id: i64,
    pub state: String,
    pub started_by: String,
    pub created_at: i64,
    pub previewed_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub options_json: String,
    pub summary_json: Option<String>,
    pub directory_users: Option<i64>,
    pub override_by: Option<String>,
    pub applied_by: Option<String>,
    pub error: Option<String>,
}

/// The columns of [`RunRecord`], as a macro so the queries stay `&'static str`.
macro_rules! run_columns {
    () => {
        "id, state, started_by, created_at, previewed_at, finished_at, options_json, summary_json, \
         directory_users, override_by, applied_by, error"
    };
}
pub(super) use run_columns;

impl Store {
    /// Takes the sync lock for `holder`, unless someone holds it and has
    /// shown life within `stale_ms`. Returns the current holder on refusal.
    pub async fn try_lock_sync(
        &self,
        holder: &str,
        now: i64,
        stale_ms: i64,
    ) -> Result<Result<(), LockHolder>, StoreError> {
        let taken = sqlx::query(
            "UPDATE sync_lock SET holder = $1, acquired_at = $2, heartbeat_at = $2, run_id = NULL \
             WHERE id = 1 AND (holder IS NULL OR heartbeat_at < $3)",
        )
        .bind(holder)
        .bind(now)
        .bind(now - stale_ms)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        if taken.rows_affected() == 1 {
            return Ok(Ok(()));
        }
        let (holder, acquired_at, run_id): (Option<String>, Option<i64>, Option<i64>) =
            sqlx::query_as("SELECT holder, acquired_at, run_id FROM sync_lock WHERE id = 1")
                .fetch_one(&self.pool)
                .await
                .map_err(db_error)?;
        Ok(Err(LockHolder {
            holder: holder.unwrap_or_default(),
            acquired_at: acquired_at.unwrap_or(0),
            run_id,
        }))
    }

    /// Records which run holds the lock, and that it is alive.
    pub async fn touch_sync_lock(
        &self,
        holder: &str,
        run_id: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sync_lock SET run_id = $1, heartbeat_at = $2 WHERE id = 1 AND holder = $3",
        )
        .bind(run_id)
        .bind(now)
        .bind(holder)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    pub async fn unlock_sync(&self, holder: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sync_lock SET holder = NULL, run_id = NULL, acquired_at = NULL, heartbeat_at = NULL \
             WHERE id = 1 AND holder = $1",
        )
        .bind(holder)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    pub async fn create_run(
        &self,
        started_by: &str,
        options_json: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO sync_runs (state, started_by, created_at, options_json) VALUES ('fetching', $1, $2, $3) RETURNING id",
        )
        .bind(started_by)
        .bind(now)
        .bind(options_json)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(id)
    }

    pub async fn fail_run(&self, run_id: i64, error: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sync_runs SET state = 'failed', error = $2, finished_at = $3 WHERE id = $1",
        )
        .bind(run_id)
        .bind(error)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    pub async fn get_run(&self, run_id: i64) -> Result<RunRecord, StoreError> {
        sqlx::query_as(concat!(
            "SELECT ",
            run_columns!(),
            " FROM sync_runs WHERE id = $1"
        ))
        .bind(run_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?
        .ok_or(StoreError::NotFound)
    }

    /// Stores a plan's rows and marks the run previewed, in one transaction.
    pub async fn save_preview(
        &self,
        run_id: i64,
        plan: &ImportPlan,
        summary_json: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let rows = plan_rows(plan);
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        for (chunk_index, chunk) in rows.chunks(ROWS_PER_INSERT).enumerate() {
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
            for (i, (bucket, search, payload)) in chunk.iter().enumerate() {
                let seq = (chunk_index * ROWS_PER_INSERT + i) as i64;
                query = query.bind(seq).bind(*bucket).bind(search).bind(payload);
            }
            query.execute(&mut *tx).await.map_err(db_error)?;
        }
        sqlx::query(
            "UPDATE sync_runs SET state = 'previewed', previewed_at = $2, summary_json = $3, directory_users = $4 WHERE id = $1",
        )
        .bind(run_id)
        .bind(now)
        .bind(summary_json)
        .bind(plan.directory_users as i64)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)
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
        let last: Option<(Option<i64>,)> = sqlx::query_as(
            "SELECT directory_users FROM sync_runs WHERE state = 'applied' ORDER BY finished_at DESC, id DESC LIMIT 1",
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
            last_directory_count: last.and_then(|(n,)| n).map(|n| n.max(0) as u64),
        })
    }
}

fn json<T: serde::Serialize>(value: &T) -> String {
    // The plan's types are plain data: serialising them cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

/// One stored row per plan entry: (bucket, lower-cased search text, JSON).
fn plan_rows(plan: &ImportPlan) -> Vec<(&'static str, String, String)> {
    let mut rows = Vec::with_capacity(
        plan.added.len() + plan.updated.len() + plan.deactivated.len() + plan.skipped.len(),
    );
    let search = |parts: &[Option<&str>]| {
        parts
            .iter()
            .flatten()
            .copied()
            .collect::<Vec<_>>()
            .join("\n")
            .to_lowercase()
    };
    for a in &plan.added {
        let u = &a.user;
        rows.push((
            "added",
            search(&[
                Some(&u.display_name),
                Some(&u.email),
                u.department.as_deref(),
                u.job_title.as_deref(),
            ]),
            json(a),
        ));
    }
    for u in &plan.updated {
        let d = &u.user;
        rows.push((
            "updated",
            search(&[
                Some(&d.display_name),
                Some(&d.email),
                d.department.as_deref(),
                d.job_title.as_deref(),
            ]),
            json(u),
        ));
    }
    for d in &plan.deactivated {
        rows.push((
            "deactivated",
            search(&[Some(&d.display_name), Some(&d.email)]),
            json(d),
        ));
    }
    for s in &plan.skipped {
        rows.push((
            "skipped",
            search(&[s.display_name.as_deref(), Some(&s.email_or_upn)]),
            json(s),
        ));
    }
    // Groups are applied together, after the users they refer to.
    rows.push(("groups", String::new(), json(&plan.groups)));
    rows
}

impl Store {
    /// Every row of a run's plan with its outcome, in plan order.
    #[allow(clippy::type_complexity)] // one row of a simple query
    pub async fn plan_rows_with_outcomes(
        &self,
        run_id: i64,
    ) -> Result<Vec<(i64, String, String, Option<String>, Option<String>)>, StoreError> {
        sqlx::query_as("SELECT seq, bucket, payload, outcome, outcome_detail FROM sync_plan_rows WHERE run_id = $1 ORDER BY seq")
            .bind(run_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)
    }

    /// The newest runs first, for Sync history.
    pub async fn list_runs(&self, limit: i64, offset: i64) -> Result<Vec<RunRecord>, StoreError> {
        sqlx::query_as(concat!(
            "SELECT ",
            run_columns!(),
            " FROM sync_runs ORDER BY id DESC LIMIT $1 OFFSET $2"
        ))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)
    }
}
