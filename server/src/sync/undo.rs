//! "Reactivate the N users this run deactivated": a run of its own whose
//! plan is the run's deactivations reversed, stored as a preview like any
//! other, so that the admin reviews it on Import Users, confirms it in the
//! same dialog and finds it in Sync history.

use super::lock::LockPolicy;
use super::ports::{PreviewStore, SyncLocks};
use super::preview::SyncError;
use super::progress::ProgressHub;
use crate::store::{Store, now_millis};
use app::domain::sync::plan::StoredPlan;
use app::domain::sync::progress::ProgressEvent;
use app::domain::sync::undo::plan_reactivation;
use app::domain::sync::view::RunState;

/// Previews the reactivation of what run `of_run` deactivated; returns the
/// new run's id.
pub async fn preview_reactivation(
    store: &Store,
    hub: &ProgressHub,
    of_run: i64,
    admin: &str,
    policy: LockPolicy,
) -> Result<i64, SyncError> {
    let original = store.get_run(of_run).await?;
    // Applied, or interrupted mid-apply and then discarded: what it did
    // is in its rows' outcomes either way.
    if !matches!(original.state, RunState::Applied | RunState::Discarded) {
        return Err(SyncError::NotApplicable(format!(
            "Run {of_run} has not been applied: it deactivated nobody."
        )));
    }
    if original.undoes_run.is_some() {
        return Err(SyncError::NotApplicable(format!(
            "Run {of_run} reactivated users; it deactivated nobody."
        )));
    }
    let deactivated = store.done_deactivations(of_run).await?;
    if deactivated.is_empty() {
        return Err(SyncError::NotApplicable(format!(
            "Run {of_run} deactivated nobody."
        )));
    }
    let lock = store
        .acquire(admin, None, policy)
        .await?
        .map_err(SyncError::Busy)?;
    let run_id = match store
        .create_run(admin, &original.options, now_millis())
        .await
    {
        Ok(run_id) => run_id,
        Err(e) => {
            lock.release().await;
            return Err(e.into());
        }
    };
    let run_ended = original
        .last_applied_at
        .or(original.finished_at)
        .unwrap_or(original.created_at);
    let result = async {
        lock.attach(run_id).await?;
        store.mark_undo(run_id, of_run).await?;
        let local = store.load_local_state().await?;
        let plan = StoredPlan::from(plan_reactivation(&deactivated, &local, run_ended));
        let totals = plan.totals.clone();
        store
            .save_preview(run_id, lock.token(), plan, now_millis())
            .await?
            .map_err(|_| SyncError::LockLost)?;
        Ok::<_, SyncError>(totals)
    }
    .await;
    let totals = match result {
        Ok(totals) => totals,
        Err(e) => {
            // The run says why, rather than looking like a read that died.
            let message = e.to_string();
            let _ = store
                .fail_run(run_id, lock.token(), &message, now_millis())
                .await;
            lock.release().await;
            return Err(e);
        }
    };
    lock.release().await;
    tracing::info!(run_id, of_run, %admin, users = totals.counts.updated, "reactivation previewed");
    hub.publish(ProgressEvent::Previewed {
        run_id,
        counts: totals.counts,
        unchanged: totals.unchanged,
    });
    Ok(run_id)
}
