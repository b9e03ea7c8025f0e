//! The preview job: take the sync lock, read the directory (only its
//! changes when it can), check the read is complete, keep it for the next
//! read, compare it with the platform, and store the plan as a run in state
//! `previewed` with who asked and the counts. Nothing in the platform's
//! directory changes.

use super::fetch::read_directory;
use super::lock::LockPolicy;
use super::ports::{HeldLock, SyncStore};
use super::progress::ProgressHub;
use crate::graph::{GraphClient, GraphError};
use crate::store::{LockHolder, now_millis};
use app::domain::format::format_timestamp;
use app::domain::sync::completeness::{check_counts, check_scope};
use app::domain::sync::plan::StoredPlan;
use app::domain::sync::progress::ProgressEvent;
use app::domain::sync::run::RunTotals;
use app::domain::sync::schedule::SCHEDULE_ACTOR;
use app::domain::sync::{SyncOptions, plan_import};
use app::services::StoreError;
use std::fmt;

#[derive(Debug)]
pub enum SyncError {
    /// Another sync holds the lock.
    Busy(LockHolder),
    Graph(GraphError),
    Store(StoreError),
    /// The run cannot be applied (already applied, too old, superseded...).
    NotApplicable(String),
    /// The plan exceeds the safety threshold and no override was given.
    ThresholdExceeded(Vec<String>),
    /// The admin stopped the fetch.
    Cancelled,
    /// The directory's answer was incomplete; nothing was planned.
    Incomplete(String),
    /// Another run took the sync lock over (this one had gone silent).
    LockLost,
}

impl fmt::Display for SyncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Busy(holder) if holder.holder.is_empty() => {
                f.write_str("Another sync is just starting. Wait for it to finish, then try again.")
            }
            Self::Busy(holder) if holder.holder == SCHEDULE_ACTOR => write!(
                f,
                "A scheduled sync, started at {}, is still running. Wait for it to finish, then try again.",
                format_timestamp(holder.acquired_at)
            ),
            Self::Busy(holder) => write!(
                f,
                "A sync started by {} at {} is still running. Wait for it to finish, then try again.",
                holder.holder,
                format_timestamp(holder.acquired_at)
            ),
            Self::Incomplete(why) => f.write_str(why),
            Self::LockLost => f.write_str(
                "This sync stopped: it went silent for too long and another sync took over. Nothing more of it was written.",
            ),
            Self::Graph(e) => e.fmt(f),
            Self::Store(_) => f.write_str(
                "The database failed during the sync; the details are in the server log.",
            ),
            Self::NotApplicable(why) => f.write_str(why),
            Self::Cancelled => f.write_str("The import was cancelled; nothing was changed."),
            Self::ThresholdExceeded(reasons) => {
                write!(
                    f,
                    "{} Confirm with the override to apply it anyway.",
                    reasons.join(" ")
                )
            }
        }
    }
}

impl std::error::Error for SyncError {}

impl From<StoreError> for SyncError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// Runs a preview for `admin` to the end, reading only the changes when
/// it can; returns the run's id.
pub async fn preview(
    store: &dyn SyncStore,
    hub: &ProgressHub,
    client: &GraphClient,
    admin: &str,
    options: &SyncOptions,
) -> Result<i64, SyncError> {
    let job = PreviewJob::begin(store, admin, options, LockPolicy::default()).await?;
    job.run(store, hub, client, std::future::pending()).await
}

/// A preview that holds the sync lock and has its run, not yet fetched.
/// Taking the lock is separate from the work so that a refusal reaches the
/// admin at once, while the fetch goes on in the background.
pub struct PreviewJob {
    pub run_id: i64,
    admin: String,
    options: SyncOptions,
    /// The admin chose "Full read": everything is read, not only changes.
    full_read: bool,
    lock: Box<dyn HeldLock>,
}

impl PreviewJob {
    /// Takes the lock and records the run.
    pub async fn begin(
        store: &dyn SyncStore,
        admin: &str,
        options: &SyncOptions,
        policy: LockPolicy,
    ) -> Result<Self, SyncError> {
        let lock = store
            .acquire(admin, None, policy)
            .await?
            .map_err(SyncError::Busy)?;
        let created = async {
            let run_id = store.create_run(admin, options, now_millis()).await?;
            lock.attach(run_id).await?;
            Ok::<_, StoreError>(run_id)
        }
        .await;
        match created {
            Ok(run_id) => Ok(Self {
                run_id,
                admin: admin.to_owned(),
                options: options.clone(),
                full_read: false,
                lock,
            }),
            Err(e) => {
                lock.release().await;
                Err(e.into())
            }
        }
    }

    /// Reads the whole directory, not only its changes (the admin's "Full
    /// read").
    pub fn full_read(mut self, full: bool) -> Self {
        self.full_read = full;
        self
    }

    /// Fetches, plans and stores; stops early when `cancel` completes with
    /// who cancelled (the run is then `cancelled`) or when the lock is lost. The lock is
    /// released before the end is announced, so that the next step (an
    /// apply sent at once) finds it free.
    #[tracing::instrument(skip_all, fields(run_id = self.run_id))]
    pub async fn run(
        self,
        store: &dyn SyncStore,
        hub: &ProgressHub,
        client: &GraphClient,
        cancel: impl std::future::Future<Output = String>,
    ) -> Result<i64, SyncError> {
        let Self {
            run_id,
            admin,
            options,
            full_read,
            lock,
        } = self;
        let admin = admin.as_str();
        let lost = lock.lost();
        let mut cancelled_by = None;
        let result = tokio::select! {
            result = plan_and_store(store, hub, client, admin, run_id, &options, full_read, lock.token()) => result,
            by = cancel => {
                cancelled_by = Some(by);
                Err(SyncError::Cancelled)
            }
            () = lost => Err(SyncError::LockLost),
        };
        let ended = match &result {
            Ok(totals) => {
                tracing::info!(
                    run_id,
                    added = totals.counts.added,
                    updated = totals.counts.updated,
                    deactivated = totals.counts.deactivated,
                    "preview stored"
                );
                Ok(ProgressEvent::Previewed {
                    run_id,
                    counts: totals.counts,
                    unchanged: totals.unchanged,
                })
            }
            Err(SyncError::Cancelled) => {
                // Who clicked Cancel: a scheduled run is stopped by an admin.
                let by = cancelled_by
                    .filter(|by| !by.is_empty())
                    .unwrap_or_else(|| admin.to_owned());
                tracing::info!(run_id, %by, "preview cancelled");
                let why = format!("Cancelled by {by} while reading Azure AD.");
                store
                    .cancel_run(run_id, lock.token(), &why, now_millis())
                    .await
                    .map(|_| ProgressEvent::Cancelled { run_id, by })
            }
            // The run is the new holder's to mark; nothing is written here.
            Err(SyncError::LockLost) => Ok(ProgressEvent::Failed {
                run_id,
                message: SyncError::LockLost.to_string(),
            }),
            Err(e) => {
                let message = e.to_string();
                tracing::warn!(run_id, %message, "preview failed");
                store
                    .fail_run(run_id, lock.token(), &message, now_millis())
                    .await
                    .map(|_| ProgressEvent::Failed { run_id, message })
            }
        };
        lock.release().await;
        hub.publish(ended?);
        result.map(|_| run_id)
    }
}

/// Reads, keeps the read, plans and stores; returns the stored plan's
/// totals. A large directory is held about once at each step: the read is
/// stored, then moved (not copied) into what the planner gets; the
/// directory and the platform's users are let go before the plan is
/// stored, and the plan's rows are moved into the stored rows.
#[allow(clippy::too_many_arguments)] // the run, its read and its lock
async fn plan_and_store(
    store: &dyn SyncStore,
    hub: &ProgressHub,
    client: &GraphClient,
    admin: &str,
    run_id: i64,
    options: &SyncOptions,
    full_read: bool,
    token: &str,
) -> Result<RunTotals, SyncError> {
    let stored = store.load_directory().await?;
    let outcome = read_directory(
        client,
        hub,
        run_id,
        admin,
        stored,
        options,
        full_read,
        now_millis(),
    )
    .await
    .map_err(SyncError::Graph)?;
    check_counts(&outcome.counts()).map_err(SyncError::Incomplete)?;
    // A complete read is kept for the next one, whatever the plan becomes.
    store
        .save_read(
            run_id,
            token,
            &outcome.directory,
            outcome.kind,
            now_millis(),
        )
        .await?
        .map_err(|_| SyncError::LockLost)?;
    let read = outcome.into_read();
    check_scope(&read, options, &store.group_names().await?).map_err(SyncError::Incomplete)?;
    hub.publish(ProgressEvent::Planning {
        run_id,
        started_by: admin.to_owned(),
    });
    let local = store.load_local_state().await?;
    let plan = plan_import(&read.snapshot, &local, options);
    drop((read, local));
    let plan = StoredPlan::from(plan);
    let totals = plan.totals.clone();
    store
        .save_preview(run_id, token, plan, now_millis())
        .await?
        .map_err(|_| SyncError::LockLost)?;
    Ok(totals)
}
