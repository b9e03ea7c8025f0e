//! The row that says who is syncing: one sync at a time, across server
//! processes on one database. It belongs to a run and carries that run's
//! random token; only the token renews or releases it, and every commit of
//! the run checks it (fencing), so a job that lost the lock writes nothing.
//!
//! Whether the holder is alive comes from the engine's own lock (see
//! `sync::lock`), which the operating system or PostgreSQL releases when a
//! process dies, and otherwise from the heartbeat's age.

use super::{Store, db_error, now_millis};
use app::services::StoreError;

/// Who holds the sync lock, for the refusal message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    pub holder: String,
    pub acquired_at: i64,
    pub run_id: Option<i64>,
}

/// What is known of the last holder's process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HolderLiveness {
    /// The engine's lock was free: a holder that held it is gone.
    EngineFree,
    /// The engine's lock is held, or the engine gives none: only the row's
    /// heartbeat tells.
    Unproven,
}

impl HolderLiveness {
    /// SQL that is true when the row's holder may be replaced; `stale` is
    /// the placeholder of the stale cutoff. Two processes taking it at once
    /// both run this conditional UPDATE: one wins, the other finds a live
    /// holder.
    fn replaceable(self, stale: &str) -> String {
        match self {
            // A holder without the engine's lock (it took over from a hung
            // process) is judged by its heartbeat alone.
            Self::EngineFree => {
                format!("(holder IS NULL OR engine_held = 1 OR heartbeat_at < {stale})")
            }
            Self::Unproven => format!("(holder IS NULL OR heartbeat_at < {stale})"),
        }
    }
}

/// Renews the heartbeat of `$1`'s holder to `$2`, never back in time: a
/// renewal that waited for a long transaction of its own run carries the
/// time it was sent, older than the one that transaction's commit wrote.
const RENEW: &str = "UPDATE sync_lock SET heartbeat_at = CASE WHEN heartbeat_at IS NULL OR heartbeat_at < $2 \
                     THEN $2 ELSE heartbeat_at END WHERE id = 1 AND token = $1";

/// The commit was refused: another run holds the lock now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockLost;

/// Runs left mid-way by a process that died: an apply becomes resumable,
/// a preview failed.
const REAP_APPLYING: &str = "UPDATE sync_runs SET state = 'interrupted', \
     error = COALESCE(error, 'The server applying it stopped, or stopped responding. Resume or discard it.') \
     WHERE state = 'applying'";
const REAP_FETCHING: &str = "UPDATE sync_runs SET state = 'failed', \
     error = 'The server reading Azure AD stopped, or stopped responding.', finished_at = $1 WHERE state = 'fetching'";

impl Store {
    /// Takes the lock for `run_id` with `token`, when its holder is gone or
    /// stale; in the same transaction marks the runs its holder left
    /// half-done. Returns the holder on refusal.
    pub async fn take_sync_lock(
        &self,
        token: &str,
        holder: &str,
        run_id: Option<i64>,
        now: i64,
        stale_cutoff: i64,
        liveness: HolderLiveness,
    ) -> Result<Result<(), LockHolder>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let sql = format!(
            "UPDATE sync_lock SET token = $1, holder = $2, run_id = $3, acquired_at = $4, heartbeat_at = $4, \
             engine_held = $6 WHERE id = 1 AND {}",
            liveness.replaceable("$5")
        );
        let taken = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token)
            .bind(holder)
            .bind(run_id)
            .bind(now)
            .bind(stale_cutoff)
            .bind(i64::from(liveness == HolderLiveness::EngineFree))
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        if taken.rows_affected() == 1 {
            // Nobody alive holds a run now: whatever is mid-way is orphaned.
            let reaped = mark_orphaned_runs(&mut tx, now).await?;
            tx.commit().await.map_err(db_error)?;
            if reaped > 0 {
                tracing::warn!(
                    runs = reaped,
                    "a sync was interrupted when its server stopped; resume or discard it"
                );
            }
            return Ok(Ok(()));
        }
        tx.rollback().await.map_err(db_error)?;
        Ok(Err(self.sync_lock_holder().await?))
    }

    /// Who holds the lock now (an empty holder when nobody does).
    pub async fn sync_lock_holder(&self) -> Result<LockHolder, StoreError> {
        let (holder, acquired_at, run_id): (Option<String>, Option<i64>, Option<i64>) =
            sqlx::query_as("SELECT holder, acquired_at, run_id FROM sync_lock WHERE id = 1")
                .fetch_one(&self.pool)
                .await
                .map_err(db_error)?;
        Ok(LockHolder {
            holder: holder.unwrap_or_default(),
            acquired_at: acquired_at.unwrap_or(0),
            run_id,
        })
    }

    /// Shows the holder is alive; false when `token` no longer holds it.
    pub async fn renew_sync_lock(&self, token: &str, now: i64) -> Result<bool, StoreError> {
        let renewed = sqlx::query(RENEW)
            .bind(token)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(renewed.rows_affected() == 1)
    }

    /// Records that the holder no longer holds the engine's lock (its
    /// connection was lost): from then on only its heartbeat says it lives.
    pub async fn disown_engine_lock(&self, token: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE sync_lock SET engine_held = 0 WHERE id = 1 AND token = $1")
            .bind(token)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// Names the run the lock is for (a preview's run exists only once the
    /// lock is taken).
    pub async fn attach_sync_lock(&self, token: &str, run_id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE sync_lock SET run_id = $2 WHERE id = 1 AND token = $1")
            .bind(token)
            .bind(run_id)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected() == 1)
    }

    /// Inside the transaction that ends a phase (previewed, applied, failed,
    /// cancelled, interrupted): releases the lock with it, so that whoever
    /// sees the phase ended finds the lock free. The engine's lock follows
    /// a moment later, and a new holder waits for it or takes the free row.
    pub(super) async fn hand_back(
        conn: &mut sqlx::AnyConnection,
        token: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sync_lock SET token = NULL, holder = NULL, run_id = NULL, acquired_at = NULL, heartbeat_at = NULL, \
             engine_held = 0 WHERE id = 1 AND token = $1",
        )
        .bind(token)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    /// Releases the lock, if `token` still holds it.
    pub async fn release_sync_lock(&self, token: &str) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_error)?;
        Self::hand_back(&mut conn, token).await
    }

    /// Commits a fenced transaction, renewing the heartbeat as it does.
    /// A transaction longer than the stale window (a large tenant's group
    /// changes, a big batch on a slow disk) holds the lock's row
    /// (PostgreSQL) or the whole database (SQLite) from its fence on, so the
    /// heartbeat task cannot write meanwhile, and a reaper that waited for
    /// the commit would find the heartbeat of the fence's time stale and
    /// take a live run for a dead one.
    pub(super) async fn commit_fenced(
        mut tx: sqlx::Transaction<'_, sqlx::Any>,
        token: &str,
    ) -> Result<Result<(), LockLost>, StoreError> {
        match Self::fence(&mut tx, token, now_millis()).await? {
            Ok(()) => {
                tx.commit().await.map_err(db_error)?;
                Ok(Ok(()))
            }
            Err(lost) => {
                tx.rollback().await.map_err(db_error)?;
                Ok(Err(lost))
            }
        }
    }

    /// Inside a transaction: refuses the commit unless `token` holds the
    /// lock (which this also renews). Written first, it also takes SQLite's
    /// write lock at the start, so the transaction waits instead of failing.
    pub(super) async fn fence(
        conn: &mut sqlx::AnyConnection,
        token: &str,
        now: i64,
    ) -> Result<Result<(), LockLost>, StoreError> {
        let held = sqlx::query(RENEW)
            .bind(token)
            .bind(now)
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
        Ok(if held.rows_affected() == 1 {
            Ok(())
        } else {
            Err(LockLost)
        })
    }

    /// When the lock's holder is gone: clears it and marks the runs it left
    /// half-done (a free lock has nothing to reap, and writes nothing).
    /// Returns how many applies became interrupted.
    pub async fn reap_orphaned_runs(
        &self,
        now: i64,
        stale_cutoff: i64,
        liveness: HolderLiveness,
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let sql = format!(
            "UPDATE sync_lock SET token = NULL, holder = NULL, run_id = NULL, acquired_at = NULL, heartbeat_at = NULL, \
             engine_held = 0 WHERE id = 1 AND holder IS NOT NULL AND {}",
            liveness.replaceable("$1")
        );
        let freed = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(stale_cutoff)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        if freed.rows_affected() == 0 {
            tx.rollback().await.map_err(db_error)?;
            return Ok(0);
        }
        let reaped = mark_orphaned_runs(&mut tx, now).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(reaped)
    }
}

/// Inside the transaction that found the lock's holder gone: its apply
/// becomes interrupted (resumable), its preview failed. Returns how many
/// applies were interrupted.
async fn mark_orphaned_runs(conn: &mut sqlx::AnyConnection, now: i64) -> Result<u64, StoreError> {
    let reaped = sqlx::query(REAP_APPLYING)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    sqlx::query(REAP_FETCHING)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    Ok(reaped.rows_affected())
}
