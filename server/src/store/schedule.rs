//! The sync schedule: one row holding the admin's choice and the time the
//! next scheduled run is due. That time is also the claim that makes one
//! process, of several on the database, run each scheduled sync.

use super::settings::record_changes;
use super::{Store, db_error};
use app::domain::sync::schedule::{OnPreview, Schedule, ScheduleState};
use app::services::StoreError;

type ScheduleRow = (
    Option<i64>,
    String,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

fn state_of(row: ScheduleRow) -> Result<ScheduleState, StoreError> {
    let (every_hours, on_preview, next_run_at, last_run_at, last_outcome) = row;
    let unreadable = |what: &str| StoreError::Database(format!("sync schedule: unreadable {what}"));
    Ok(ScheduleState {
        schedule: Schedule {
            every_hours: every_hours
                .map(|h| u32::try_from(h).map_err(|_| unreadable("interval")))
                .transpose()?,
            on_preview: OnPreview::parse(&on_preview).ok_or_else(|| unreadable("choice"))?,
        },
        next_run_at,
        last_run_at,
        last_outcome,
    })
}

impl Store {
    /// The schedule and where it stands; off before anyone saved one.
    pub async fn schedule_state(&self) -> Result<ScheduleState, StoreError> {
        let row: Option<ScheduleRow> = sqlx::query_as(
            "SELECT every_hours, on_preview, next_run_at, last_run_at, last_outcome \
             FROM sync_schedule WHERE id = 1",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(state_of).transpose().map(Option::unwrap_or_default)
    }

    /// Saves the schedule with the record of what changed; the next run is
    /// due one interval after `now`. Returns the changes (none: nothing
    /// written).
    pub async fn save_schedule(
        &self,
        admin: &str,
        schedule: &Schedule,
        now: i64,
    ) -> Result<Vec<String>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let old: Option<ScheduleRow> = sqlx::query_as(
            "SELECT every_hours, on_preview, next_run_at, last_run_at, last_outcome \
             FROM sync_schedule WHERE id = 1",
        )
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
        let old = old.map(state_of).transpose()?.unwrap_or_default();
        let changes = schedule.changes_from(&old.schedule);
        if changes.is_empty() {
            return Ok(changes);
        }
        // A new interval counts from now; a new choice alone keeps the time.
        let next_run_at = if schedule.every_hours == old.schedule.every_hours {
            old.next_run_at
        } else {
            schedule.next_after(now)
        };
        sqlx::query(
            "INSERT INTO sync_schedule (id, every_hours, on_preview, next_run_at) VALUES (1, $1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET every_hours = excluded.every_hours, \
             on_preview = excluded.on_preview, next_run_at = excluded.next_run_at",
        )
        .bind(schedule.every_hours.map(i64::from))
        .bind(schedule.on_preview.as_str())
        .bind(next_run_at)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        record_changes(&mut tx, admin, now, &changes).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(changes)
    }

    /// Claims the scheduled run due at `now`, if one is: moves the due time
    /// to one interval after `now` (however many were missed: they run
    /// once) and returns the schedule. Of several processes asking at once,
    /// exactly one gets it: the others' UPDATE finds the time moved.
    pub async fn claim_scheduled_run(&self, now: i64) -> Result<Option<Schedule>, StoreError> {
        let state = self.schedule_state().await?;
        let (Some(due), Some(next)) = (state.next_run_at, state.schedule.next_after(now)) else {
            return Ok(None);
        };
        if due > now {
            return Ok(None);
        }
        let claimed = sqlx::query(
            "UPDATE sync_schedule SET next_run_at = $1, last_run_at = $2 \
             WHERE id = 1 AND next_run_at = $3 AND every_hours IS NOT NULL",
        )
        .bind(next)
        .bind(now)
        .bind(due)
        .execute(&self.pool)
        .await
        .map_err(db_error)?
        .rows_affected()
            == 1;
        Ok(claimed.then_some(state.schedule))
    }

    /// What came of the last scheduled run, for Import Users and Settings.
    pub async fn record_schedule_outcome(&self, outcome: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE sync_schedule SET last_outcome = $1 WHERE id = 1")
            .bind(outcome)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
