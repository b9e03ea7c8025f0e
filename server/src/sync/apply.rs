//! The apply job: write a stored, confirmed plan in batches, report
//! progress after each, and record every row's outcome. Resumable: a run
//! interrupted by a crash continues with the rows that have no outcome.

use super::lock::LockPolicy;
use super::ports::{ApplyStore, HeldLock, SyncStore};
use super::preview::SyncError;
use super::progress::ProgressHub;
use crate::store::{LockLost, RunRecord, now_millis};
use app::domain::sync::order::APPLY_PHASES;
use app::domain::sync::progress::{BucketCounts, ProgressEvent, rate_and_eta};
use app::domain::sync::run::{RowOutcome, applicability};
use app::domain::sync::view::{PlanBucket, RunState};
use std::time::Instant;

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
    store: &dyn SyncStore,
    hub: &ProgressHub,
    request: ApplyRequest<'_>,
) -> Result<BucketCounts, SyncError> {
    ApplyJob::begin(store, &request, LockPolicy::default())
        .await?
        .run(store, hub)
        .await
}

/// Whether a run may be applied now (`domain::sync::run::applicability`,
/// with what the database says of later runs); the refusal says what to do.
pub async fn check_applicable(store: &dyn ApplyStore, run: &RunRecord) -> Result<(), SyncError> {
    let previewed_at = run.previewed_at.unwrap_or(run.created_at);
    let changed_since = run.state.is_open() && store.applied_since(run.id, previewed_at).await?;
    applicability(run.state, previewed_at, now_millis(), changed_since)
        .map_err(SyncError::NotApplicable)
}

/// An apply that passed its checks and holds the sync lock, not yet run.
/// Separate from the work so that a refusal reaches the admin at once while
/// the batches run in the background.
pub struct ApplyJob {
    pub run_id: i64,
    admin: String,
    lock: Box<dyn HeldLock>,
}

impl ApplyJob {
    /// Checks the run may be applied (state, age, threshold), takes the
    /// lock, checks again under it, and marks the run applying.
    pub async fn begin(
        store: &dyn SyncStore,
        request: &ApplyRequest<'_>,
        policy: LockPolicy,
    ) -> Result<Self, SyncError> {
        let mut run = store.get_run(request.run_id).await?;
        if run.state == RunState::Applying {
            // Its process may have just died: marked interrupted, it resumes.
            store.reap(policy).await?;
            run = store.get_run(request.run_id).await?;
        }
        check_applicable(store, &run).await?;
        let safety = &run.totals.safety;
        if !safety.is_empty() && !request.override_threshold {
            return Err(SyncError::ThresholdExceeded(safety.clone()));
        }
        let lock = store
            .acquire(request.admin, Some(request.run_id), policy)
            .await?
            .map_err(SyncError::Busy)?;
        let overriding = !safety.is_empty();
        let marked = async {
            // Under the lock: the run may have moved on since it was read.
            check_applicable(store, &store.get_run(request.run_id).await?).await?;
            store.exclude_rows(request.run_id, request.excluded).await?;
            let marked = store
                .mark_applying(
                    request.run_id,
                    lock.token(),
                    request.admin,
                    overriding.then_some(request.admin),
                    now_millis(),
                )
                .await?
                .map_err(|LockLost| SyncError::LockLost)?;
            if marked {
                Ok(())
            } else {
                Err(SyncError::NotApplicable(
                    "This preview was applied or discarded meanwhile.".into(),
                ))
            }
        }
        .await;
        if let Err(e) = marked {
            lock.release().await;
            return Err(e);
        }
        Ok(Self {
            run_id: request.run_id,
            admin: request.admin.to_owned(),
            lock,
        })
    }

    /// Writes every batch. The lock is released before the end is
    /// announced; a run that fails part-way is left interrupted (resumable).
    #[tracing::instrument(skip_all, fields(run_id = self.run_id))]
    pub async fn run(
        self,
        store: &dyn SyncStore,
        hub: &ProgressHub,
    ) -> Result<BucketCounts, SyncError> {
        let Self {
            run_id,
            admin,
            lock,
        } = self;
        let lost = lock.lost();
        let result = tokio::select! {
            result = write_batches(store, hub, run_id, &admin, lock.token()) => result,
            () = lost => Err(SyncError::LockLost),
        };
        let ended: Result<ProgressEvent, app::services::StoreError> = match &result {
            Ok((counts, duration_ms)) => Ok(ProgressEvent::Finished {
                run_id,
                counts: *counts,
                duration_ms: *duration_ms,
            }),
            Err(e) => {
                tracing::error!(error = %e, "apply stopped");
                // After a takeover the run is the new holder's to mark.
                // Fenced too: a job that lost the lock marks nothing.
                if !matches!(e, SyncError::LockLost)
                    && let Err(e) = store
                        .interrupt_run(run_id, lock.token(), &e.to_string())
                        .await
                {
                    tracing::error!(error = %e, "could not mark the run interrupted");
                }
                Ok(ProgressEvent::Failed {
                    run_id,
                    message: e.to_string(),
                })
            }
        };
        lock.release().await;
        hub.publish(ended?);
        result.map(|(counts, _)| counts)
    }
}

/// The batches, then the groups, then the run's results.
async fn write_batches(
    store: &dyn SyncStore,
    hub: &ProgressHub,
    run_id: i64,
    admin: &str,
    token: &str,
) -> Result<(BucketCounts, u64), SyncError> {
    let total = store.count_pending(run_id).await?;
    let started = Instant::now();
    let mut counts = BucketCounts::default();
    let mut done = 0u64;
    let publish = |done: u64, counts: BucketCounts| {
        let (rate, eta) = rate_and_eta(done, total, started.elapsed().as_millis() as u64);
        hub.publish(ProgressEvent::Applying {
            run_id,
            started_by: admin.to_owned(),
            done,
            total,
            counts,
            rate_per_sec: rate,
            eta_secs: eta,
        });
    };
    publish(0, counts);
    for phase in APPLY_PHASES {
        loop {
            let rows = store.pending_rows(run_id, phase, BATCH_SIZE).await?;
            if rows.is_empty() {
                break;
            }
            let outcomes = store
                .apply_batch(run_id, token, &rows, now_millis())
                .await?
                .map_err(|LockLost| SyncError::LockLost)?;
            for (row, outcome) in rows.iter().zip(outcomes) {
                if let Some(bucket) = row.entry.bucket() {
                    count(&mut counts, bucket, outcome, 1);
                }
            }
            done += rows.len() as u64;
            publish(done, counts);
        }
    }
    store
        .apply_groups(run_id, token, now_millis())
        .await?
        .map_err(|LockLost| SyncError::LockLost)?;

    // A resumed run reports every row it ever applied, not this part only.
    let counts = outcome_totals(store, run_id).await?;
    let mut totals = store.get_run(run_id).await?.totals;
    let duration_ms = started.elapsed().as_millis() as u64;
    totals.results = Some(counts);
    totals.duration_ms = Some(duration_ms);
    store
        .finish_run(run_id, token, &totals, now_millis())
        .await?
        .map_err(|LockLost| SyncError::LockLost)?;
    tracing::info!(run_id, ?counts, duration_ms, "sync applied");
    Ok((counts, duration_ms))
}

/// Adds `n` rows of `bucket` that ended as `outcome`.
fn count(counts: &mut BucketCounts, bucket: PlanBucket, outcome: RowOutcome, n: u64) {
    let slot = match (outcome, bucket) {
        (RowOutcome::Done, PlanBucket::Updated) => &mut counts.updated,
        (RowOutcome::Done, PlanBucket::Deactivated) => &mut counts.deactivated,
        (RowOutcome::Done, _) => &mut counts.added,
        (RowOutcome::Conflict, _) => &mut counts.conflicts,
        (RowOutcome::Failed, _) => &mut counts.failed,
        (RowOutcome::Excluded, _) => &mut counts.skipped,
    };
    *slot += n;
}

/// Every row's outcome so far, counted.
async fn outcome_totals(store: &dyn SyncStore, run_id: i64) -> Result<BucketCounts, SyncError> {
    let mut counts = BucketCounts::default();
    for (bucket, outcome, n) in store.outcome_counts(run_id).await? {
        count(&mut counts, bucket, outcome, n);
    }
    Ok(counts)
}
