//! The scheduler: every few seconds, each server process asks the database
//! whether a scheduled sync is due and claims it (one process wins); the
//! winner runs an ordinary preview started by "Schedule", under the same
//! lock as a click, then does what Settings says with it
//! (`domain::sync::schedule::after_preview`). Time comes from a [`Clock`],
//! so tests move it by hand instead of sleeping.

use super::preview::SyncError;
use super::service::ImportService;
use crate::store::{Store, now_millis};
use app::domain::format::format_timestamp;
use app::domain::sync::progress::BucketCounts;
use app::domain::sync::schedule::ScheduleState;
use app::domain::sync::schedule::{
    AfterPreview, OnPreview, SCHEDULE_ACTOR, Schedule, after_preview,
};
use app::services::{StoreError, SyncSchedule};
use async_trait::async_trait;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Now, in milliseconds since the Unix epoch.
pub trait Clock: Send + Sync {
    fn now(&self) -> i64;
}

/// The system's clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        now_millis()
    }
}

/// A clock that moves only when told (tests).
#[derive(Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn at(now: i64) -> Self {
        Self(AtomicI64::new(now))
    }

    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(
            i64::try_from(by.as_millis()).unwrap_or(i64::MAX),
            Ordering::SeqCst,
        );
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// How the scheduler runs: its clock, and how often it looks (`None`:
/// only when a test calls [`Scheduler::tick`]).
#[derive(Clone)]
pub struct SchedulerPolicy {
    pub clock: Arc<dyn Clock>,
    pub check_every: Option<Duration>,
}

impl Default for SchedulerPolicy {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            check_every: Some(Duration::from_secs(30)),
        }
    }
}

#[async_trait]
impl SyncSchedule for Scheduler {
    async fn schedule(&self) -> Result<ScheduleState, StoreError> {
        self.store.schedule_state().await
    }

    /// A new interval counts from now on this scheduler's clock.
    async fn save_schedule(
        &self,
        admin: &str,
        schedule: &Schedule,
    ) -> Result<Vec<String>, StoreError> {
        self.store
            .save_schedule(admin, schedule, self.clock.now())
            .await
    }
}

/// What one look at the schedule did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tick {
    /// Nothing due, or another process claimed it.
    NotDue,
    /// This process ran the scheduled sync: its run (when one started) and
    /// what came of it, as Import Users says it.
    Ran {
        run_id: Option<i64>,
        outcome: String,
    },
}

pub struct Scheduler {
    store: Store,
    imports: Arc<ImportService>,
    clock: Arc<dyn Clock>,
}

impl Scheduler {
    pub fn new(store: Store, imports: Arc<ImportService>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            imports,
            clock,
        }
    }

    /// Runs the scheduled sync if it is due and this process claims it, to
    /// its end (preview, and the apply when allowed).
    pub async fn tick(&self) -> Result<Tick, StoreError> {
        let now = self.clock.now();
        let Some(schedule) = self.store.claim_scheduled_run(now).await? else {
            return Ok(Tick::NotDue);
        };
        tracing::info!(every = %schedule.describe(), "scheduled sync starting");
        let (run_id, outcome) = self.run(schedule).await;
        tracing::info!(?run_id, %outcome, "scheduled sync ended");
        self.store.record_schedule_outcome(&outcome).await?;
        Ok(Tick::Ran { run_id, outcome })
    }

    /// Looks every `check_every`, the first time at once: a run missed
    /// while the server was down runs now, once.
    pub fn spawn(self: Arc<Self>, check_every: Duration) {
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(check_every);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                if let Err(e) = self.tick().await {
                    tracing::warn!(error = %e, "could not check the sync schedule");
                }
            }
        });
    }

    async fn run(&self, schedule: Schedule) -> (Option<i64>, String) {
        let now = self.clock.now();
        let when = format_timestamp(now);
        let next = schedule
            .next_after(now)
            .map(|n| format!(" The next one is due at {}.", format_timestamp(n)))
            .unwrap_or_default();
        let (run_id, preview) = match self.imports.begin_preview(SCHEDULE_ACTOR, false).await {
            Ok(started) => started,
            Err(SyncError::Busy(holder)) => {
                let by = if holder.holder.is_empty() {
                    "another sync".to_owned()
                } else {
                    format!("a sync started by {}", holder.holder)
                };
                return (
                    None,
                    format!("The scheduled sync of {when} was skipped: {by} was running.{next}"),
                );
            }
            Err(SyncError::Store(e)) => {
                tracing::error!(error = %e, "scheduled sync could not start");
                return (
                    None,
                    format!(
                        "The scheduled sync of {when} did not start: the database failed; the details are in the server log.{next}"
                    ),
                );
            }
            Err(why) => {
                return (
                    None,
                    format!("The scheduled sync of {when} did not start: {why}{next}"),
                );
            }
        };
        if let Err(e) = preview.await {
            return (
                Some(run_id),
                format!("Scheduled sync #{run_id} failed: {e}"),
            );
        }
        let run = match self.store.get_run(run_id).await {
            Ok(run) => run,
            Err(e) => {
                tracing::error!(run_id, error = %e, "could not read the scheduled preview");
                return (
                    Some(run_id),
                    format!("Scheduled preview #{run_id} is ready; it waits for an admin."),
                );
            }
        };
        // What it may do is decided now, by the schedule as it is now: an
        // admin who chose "Preview only", or switched it off, while it read
        // is obeyed.
        let on_preview = match self.store.schedule_state().await {
            Ok(state) if state.schedule.every_hours.is_some() => state.schedule.on_preview,
            Ok(_) => OnPreview::PreviewOnly,
            Err(e) => {
                tracing::error!(run_id, error = %e, "could not read the schedule again");
                OnPreview::PreviewOnly
            }
        };
        let outcome = match after_preview(on_preview, &run.totals) {
            AfterPreview::Wait => {
                format!("Scheduled preview #{run_id} is ready; it waits for an admin.")
            }
            AfterPreview::NeedsReview(reason) => {
                if let Err(e) = self.store.mark_needs_review(run_id, &reason).await {
                    tracing::error!(run_id, error = %e, "could not mark the preview for review");
                }
                format!("Scheduled preview #{run_id} needs review. {reason}")
            }
            AfterPreview::NothingToDo => match self.apply(run_id).await {
                Ok(_) => format!("Scheduled sync #{run_id}: nothing changed in Azure AD."),
                Err(e) => format!("Scheduled sync #{run_id} could not be closed: {e}"),
            },
            AfterPreview::Apply => match self.apply(run_id).await {
                Ok(counts) => format!(
                    "Scheduled sync #{run_id} applied: {} added, {} updated, {} deactivated.",
                    counts.added, counts.updated, counts.deactivated
                ),
                Err(e) => format!("Scheduled sync #{run_id} was not applied: {e}"),
            },
        };
        (Some(run_id), outcome)
    }

    /// Applies without an override: a safety check refuses it.
    async fn apply(&self, run_id: i64) -> Result<BucketCounts, SyncError> {
        self.imports
            .begin_apply(run_id, SCHEDULE_ACTOR, false)
            .await?
            .await
    }
}
