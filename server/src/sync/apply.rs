//! The apply job: write a stored, confirmed plan in batches, report
//! progress after each, and record every row's outcome. Resumable: a run
//! interrupted by a crash continues with the rows that have no outcome.

use super::preview::{LOCK_STALE_MS, SyncError};
use super::progress::ProgressHub;
use crate::store::{Outcome, RunRecord, Store, now_millis};
use app::domain::sync::progress::{BucketCounts, ProgressEvent, rate_and_eta};
use std::time::Instant;

/// A plan older than this must be previewed again.
pub const PLAN_MAX_AGE_MS: i64 = 60 * 60 * 1000;
/// Rows per transaction.
pub const BATCH_SIZE: i64 = 200;

pub struct ApplyRequest<'a> {
    pub run_id: i64,
    pub admin: &'a str,
    /// Plan rows (by `seq`) the admin excluded.
    pub excluded: &'a [i64],
    /// The admin confirmed past the safety threshold.
    pub override_threshold: bool,
}

/// Applies a previewed (or resumes an interrupted) run, to the end.
pub async fn apply(
    store: &Store,
    hub: &ProgressHub,
    request: ApplyRequest<'_>,
) -> Result<BucketCounts, SyncError> {
    ApplyJob::begin(store, &request)
        .await?
        .run(store, hub)
        .await
}

/// Whether a run may be applied now; the refusal says what to do instead.
pub async fn check_applicable(store: &Store, run: &RunRecord) -> Result<(), SyncError> {
    match run.state.as_str() {
        "previewed" => {
            let previewed_at = run.previewed_at.unwrap_or(run.created_at);
            if now_millis() - previewed_at > PLAN_MAX_AGE_MS {
                return Err(SyncError::NotApplicable(
                    "This preview is more than an hour old. Preview again.".into(),
                ));
            }
            if store.applied_since(run.id, previewed_at).await? {
                return Err(SyncError::NotApplicable(
                    "Another sync was applied after this preview was made. Preview again.".into(),
                ));
            }
            Ok(())
        }
        "interrupted" => Ok(()),
        "applied" => Err(SyncError::NotApplicable(
            "This preview was applied already.".into(),
        )),
        "discarded" => Err(SyncError::NotApplicable(
            "This preview was discarded. Preview again.".into(),
        )),
        other => Err(SyncError::NotApplicable(format!(
            "This run cannot be applied (it is {other}). Preview again."
        ))),
    }
}

/// The safety reasons stored with a run's preview.
pub fn safety_reasons(run: &RunRecord) -> Vec<String> {
    run.summary_json
        .as_deref()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
        .and_then(|v| serde_json::from_value(v["safety"].clone()).ok())
        .unwrap_or_default()
}

/// An apply that passed its checks and holds the sync lock, not yet run.
/// Separate from the work so that a refusal reaches the admin at once while
/// the batches run in the background.
pub struct ApplyJob {
    pub run_id: i64,
    admin: String,
    excluded: Vec<i64>,
    overriding: bool,
}

impl ApplyJob {
    /// Checks the run may be applied (state, age, threshold) and takes the lock.
    pub async fn begin(store: &Store, request: &ApplyRequest<'_>) -> Result<Self, SyncError> {
        let run = store.get_run(request.run_id).await?;
        check_applicable(store, &run).await?;
        let safety = safety_reasons(&run);
        if !safety.is_empty() && !request.override_threshold {
            return Err(SyncError::ThresholdExceeded(safety));
        }
        store
            .try_lock_sync(request.admin, now_millis(), LOCK_STALE_MS)
            .await?
            .map_err(SyncError::Busy)?;
        Ok(Self {
            run_id: request.run_id,
            admin: request.admin.to_owned(),
            excluded: request.excluded.to_vec(),
            overriding: !safety.is_empty(),
        })
    }

    /// Writes every batch; releases the lock in every case.
    #[tracing::instrument(skip_all, fields(run_id = self.run_id))]
    pub async fn run(self, store: &Store, hub: &ProgressHub) -> Result<BucketCounts, SyncError> {
        let request = ApplyRequest {
            run_id: self.run_id,
            admin: &self.admin,
            excluded: &self.excluded,
            override_threshold: self.overriding,
        };
        let result = run_apply(store, hub, &request, self.overriding).await;
        if let Err(e) = store.unlock_sync(&self.admin).await {
            tracing::error!(error = %e, "could not release the sync lock");
        }
        if let Err(e) = &result {
            tracing::error!(error = %e, "apply failed");
            if let Err(e) = store.interrupt_run(self.run_id, &e.to_string()).await {
                tracing::error!(error = %e, "could not mark the run interrupted");
            }
            hub.publish(ProgressEvent::Failed {
                run_id: self.run_id,
                message: e.to_string(),
            });
        }
        result
    }
}

async fn run_apply(
    store: &Store,
    hub: &ProgressHub,
    request: &ApplyRequest<'_>,
    overriding: bool,
) -> Result<BucketCounts, SyncError> {
    let run_id = request.run_id;
    store
        .touch_sync_lock(request.admin, run_id, now_millis())
        .await?;
    store.exclude_rows(run_id, request.excluded).await?;
    store
        .mark_applying(run_id, request.admin, overriding.then_some(request.admin))
        .await?;
    let total = store.count_pending(run_id).await?;
    let started = Instant::now();
    let mut counts = BucketCounts::default();
    let mut done = 0u64;
    let publish = |done: u64, counts: BucketCounts| {
        let (rate, eta) = rate_and_eta(done, total, started.elapsed().as_millis() as u64);
        hub.publish(ProgressEvent::Applying {
            run_id,
            started_by: request.admin.to_owned(),
            done,
            total,
            counts,
            rate_per_sec: rate,
            eta_secs: eta,
        });
    };
    publish(0, counts);
    // Updates first: they may release addresses that additions take.
    for bucket in ["updated", "deactivated", "added"] {
        loop {
            let rows = store.pending_rows(run_id, bucket, BATCH_SIZE).await?;
            if rows.is_empty() {
                break;
            }
            let outcomes = store.apply_batch(run_id, &rows, now_millis()).await?;
            for outcome in outcomes {
                match (outcome, bucket) {
                    (Outcome::Done, "updated") => counts.updated += 1,
                    (Outcome::Done, "deactivated") => counts.deactivated += 1,
                    (Outcome::Done, _) => counts.added += 1,
                    (Outcome::Conflict, _) => counts.conflicts += 1,
                    (Outcome::Failed, _) => counts.failed += 1,
                    (Outcome::Excluded, _) => counts.skipped += 1,
                }
            }
            done += rows.len() as u64;
            store
                .touch_sync_lock(request.admin, run_id, now_millis())
                .await?;
            publish(done, counts);
        }
    }
    store.apply_groups(run_id, now_millis()).await?;

    let run = store.get_run(run_id).await?;
    let mut summary: serde_json::Value = run
        .summary_json
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_else(|| serde_json::json!({}));
    summary["results"] = serde_json::json!(counts);
    let duration_ms = started.elapsed().as_millis() as u64;
    summary["durationMs"] = serde_json::json!(duration_ms);
    store
        .finish_run(run_id, "applied", &summary.to_string(), now_millis())
        .await?;
    tracing::info!(run_id, ?counts, duration_ms, "sync applied");
    hub.publish(ProgressEvent::Finished {
        run_id,
        counts,
        duration_ms,
    });
    Ok(counts)
}
