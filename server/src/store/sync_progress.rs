//! The sync's progress and Cancel clicks, shared by the server processes on
//! one database (one row): the process running a sync writes its progress,
//! every other process reads it for its pages, and a Cancel clicked in one
//! reaches the process reading the directory.

use super::{Store, db_error};
use app::domain::sync::progress::ProgressEvent;
use app::domain::sync::view::RunState;
use app::services::StoreError;

/// The shared row as a process reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedProgress {
    /// Grows with every write.
    pub version: i64,
    pub publisher: Option<String>,
    /// `None` when the stored event could not be read (logged).
    pub event: Option<ProgressEvent>,
    /// The event's run's state now.
    pub run_state: Option<RunState>,
    /// A Cancel clicked elsewhere: the run to stop and who clicked.
    pub cancel: Option<(i64, String)>,
}

type Row = (
    i64,
    Option<String>,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
);

impl Store {
    /// Writes the progress `publisher` (a server process) has now. How a
    /// sync ended is written only while no other run holds the sync lock:
    /// written late (after a retry, or a pause between writes), it would
    /// cover the progress of the sync that started since. Returns whether it
    /// was written.
    pub async fn publish_progress(
        &self,
        publisher: &str,
        event: &ProgressEvent,
        now: i64,
    ) -> Result<bool, StoreError> {
        let json = serde_json::to_string(event).map_err(|e| StoreError::Database(e.to_string()))?;
        let written = sqlx::query(
            "UPDATE sync_progress SET event = $1, run_id = $2, version = version + 1, publisher = $3, \
             published_at = $4 WHERE id = 1 AND ($5 = 1 OR NOT EXISTS (SELECT 1 FROM sync_lock \
             WHERE id = 1 AND holder IS NOT NULL AND (run_id IS NULL OR $2 IS NULL OR run_id <> $2)))",
        )
        .bind(json)
        .bind(event.run_id())
        .bind(publisher)
        .bind(now)
        .bind(i64::from(event.is_running()))
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(written.rows_affected() == 1)
    }

    /// The shared progress, with its run's state now.
    pub async fn shared_progress(&self) -> Result<SharedProgress, StoreError> {
        let (version, publisher, event, state, cancel_run_id, cancel_by): Row = sqlx::query_as(
            "SELECT p.version, p.publisher, p.event, r.state, p.cancel_run_id, p.cancel_by \
                 FROM sync_progress p LEFT JOIN sync_runs r ON r.id = p.run_id WHERE p.id = 1",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        let event = serde_json::from_str(&event)
            .inspect_err(|e| tracing::warn!(error = %e, "the shared progress could not be read"))
            .ok();
        Ok(SharedProgress {
            version,
            publisher,
            event,
            run_state: state.as_deref().and_then(RunState::parse),
            cancel: cancel_run_id.map(|run| (run, cancel_by.unwrap_or_default())),
        })
    }

    /// Asks the process reading the directory for the run that holds the
    /// sync lock to stop (it looks every moment). Returns that run, if any.
    /// One statement: a read then a write in one SQLite transaction could be
    /// refused outright when the reading process commits in between.
    pub async fn request_cancel(&self, by: &str) -> Result<Option<i64>, StoreError> {
        const READING: &str = "SELECT l.run_id FROM sync_lock l JOIN sync_runs r ON r.id = l.run_id \
                               WHERE l.id = 1 AND r.state = $1";
        let sql = format!(
            "UPDATE sync_progress SET cancel_run_id = ({READING}), cancel_by = $2 \
             WHERE id = 1 AND EXISTS ({READING}) RETURNING cancel_run_id"
        );
        let run_id: Option<Option<i64>> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(RunState::Fetching.as_str())
            .bind(by)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(run_id.flatten())
    }

    /// Forgets the Cancel for `run_id`, once it has been carried out.
    pub async fn clear_cancel(&self, run_id: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sync_progress SET cancel_run_id = NULL, cancel_by = NULL WHERE id = 1 AND cancel_run_id = $1",
        )
        .bind(run_id)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }
}
