//! The preview job: take the sync lock, read the directory, compare it with
//! the platform, and store the plan as a run in state `previewed` with who
//! asked and the counts. Nothing in the platform's directory changes.

use super::fetch::fetch_directory;
use super::progress::ProgressHub;
use crate::graph::{GraphClient, GraphError};
use crate::store::{LockHolder, Store, now_millis};
use app::domain::format::format_timestamp;
use app::domain::sync::progress::{BucketCounts, ProgressEvent};
use app::domain::sync::{ImportPlan, SyncOptions, plan_import};
use app::services::StoreError;
use std::fmt;

/// A lock not refreshed for this long belongs to a process that died.
pub const LOCK_STALE_MS: i64 = 15 * 60 * 1000;

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
}

impl fmt::Display for SyncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Busy(holder) => write!(
                f,
                "A sync started by {} at {} is still running. Wait for it to finish, then try again.",
                holder.holder,
                format_timestamp(holder.acquired_at)
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

/// The counts a plan shows, per bucket.
pub fn counts(plan: &ImportPlan) -> BucketCounts {
    BucketCounts {
        added: plan.added.len() as u64,
        updated: plan.updated.len() as u64,
        deactivated: plan.deactivated.len() as u64,
        skipped: plan.skipped.len() as u64,
        conflicts: 0,
        failed: 0,
    }
}

/// Runs a preview for `admin` to the end; returns the run's id.
pub async fn preview(
    store: &Store,
    hub: &ProgressHub,
    client: &GraphClient,
    admin: &str,
    options: &SyncOptions,
) -> Result<i64, SyncError> {
    let job = PreviewJob::begin(store, admin, options).await?;
    job.run(store, hub, client, std::future::pending()).await
}

/// A preview that holds the sync lock and has its run, not yet fetched.
/// Taking the lock is separate from the work so that a refusal reaches the
/// admin at once, while the fetch goes on in the background.
pub struct PreviewJob {
    pub run_id: i64,
    admin: String,
    options: SyncOptions,
}

impl PreviewJob {
    /// Takes the lock and records the run.
    pub async fn begin(
        store: &Store,
        admin: &str,
        options: &SyncOptions,
    ) -> Result<Self, SyncError> {
        store
            .try_lock_sync(admin, now_millis(), LOCK_STALE_MS)
            .await?
            .map_err(SyncError::Busy)?;
        let options_json = serde_json::to_string(options).unwrap_or_default();
        let run_id = match store.create_run(admin, &options_json, now_millis()).await {
            Ok(id) => id,
            Err(e) => {
                release(store, admin).await;
                return Err(e.into());
            }
        };
        Ok(Self {
            run_id,
            admin: admin.to_owned(),
            options: options.clone(),
        })
    }

    /// Fetches, plans and stores; stops early when `cancel` completes
    /// (the run is then `cancelled`). Releases the lock in every case.
    #[tracing::instrument(skip_all, fields(run_id = self.run_id))]
    pub async fn run(
        self,
        store: &Store,
        hub: &ProgressHub,
        client: &GraphClient,
        cancel: impl std::future::Future<Output = ()>,
    ) -> Result<i64, SyncError> {
        let (run_id, admin) = (self.run_id, self.admin.as_str());
        let result = tokio::select! {
            result = run_preview(store, hub, client, admin, run_id, &self.options) => result,
            () = cancel => {
                tracing::info!(run_id, %admin, "preview cancelled");
                store.cancel_run(run_id, admin, now_millis()).await?;
                hub.publish(ProgressEvent::Cancelled { run_id, by: admin.to_owned() });
                Err(SyncError::Cancelled)
            }
        };
        release(store, admin).await;
        result
    }
}

async fn release(store: &Store, admin: &str) {
    if let Err(e) = store.unlock_sync(admin).await {
        tracing::error!(error = %e, "could not release the sync lock");
    }
}

async fn run_preview(
    store: &Store,
    hub: &ProgressHub,
    client: &GraphClient,
    admin: &str,
    run_id: i64,
    options: &SyncOptions,
) -> Result<i64, SyncError> {
    store.touch_sync_lock(admin, run_id, now_millis()).await?;
    let planned = async {
        let directory = fetch_directory(client, hub, run_id, admin)
            .await
            .map_err(SyncError::Graph)?;
        store.touch_sync_lock(admin, run_id, now_millis()).await?;
        hub.publish(ProgressEvent::Planning {
            run_id,
            started_by: admin.to_owned(),
        });
        let local = store.load_local_state().await?;
        let plan = plan_import(&directory, &local, options);
        let summary = serde_json::json!({
            "counts": counts(&plan),
            "unchanged": plan.unchanged,
            "groups": {
                "added": plan.groups.added.len(),
                "renamed": plan.groups.renamed.len(),
                "removed": plan.groups.removed.len(),
                "membershipsAdded": plan.groups.memberships_added.len(),
                "membershipsRemoved": plan.groups.memberships_removed.len(),
            },
            "safety": plan.safety.reasons,
        });
        store
            .save_preview(run_id, &plan, &summary.to_string(), now_millis())
            .await?;
        Ok::<_, SyncError>(plan)
    }
    .await;
    match planned {
        Ok(plan) => {
            tracing::info!(
                run_id,
                added = plan.added.len(),
                updated = plan.updated.len(),
                "preview stored"
            );
            hub.publish(ProgressEvent::Previewed {
                run_id,
                counts: counts(&plan),
                unchanged: plan.unchanged,
            });
            Ok(run_id)
        }
        Err(e) => {
            let message = e.to_string();
            tracing::warn!(run_id, %message, "preview failed");
            store.fail_run(run_id, &message, now_millis()).await?;
            hub.publish(ProgressEvent::Failed { run_id, message });
            Err(e)
        }
    }
}
