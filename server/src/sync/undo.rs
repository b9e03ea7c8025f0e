//! "Reactivate the N users this run deactivated": a run of its own whose
//! plan is the run's deactivations reversed, stored as a preview like any
//! other, so that the admin reviews it on Import Users, confirms it in the
//! same dialog and finds it in Sync history.

use super::lock::LockPolicy;
use super::ports::SyncLocks;
use super::preview::{SyncError, counts};
use super::progress::ProgressHub;
use crate::store::{Store, now_millis};
use app::domain::sync::PlanEntry;
use app::domain::sync::progress::ProgressEvent;
use app::domain::sync::run::RowOutcome;
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
    if original.state != RunState::Applied {
        return Err(SyncError::NotApplicable(format!(
            "Run {of_run} was not applied: it deactivated nobody."
        )));
    }
    if original.undoes_run.is_some() {
        return Err(SyncError::NotApplicable(format!(
            "Run {of_run} reactivated users; it deactivated nobody."
        )));
    }
    let deactivated: Vec<_> = store
        .plan_entries(of_run)
        .await?
        .into_iter()
        .filter(|row| row.outcome == Some(RowOutcome::Done))
        .filter_map(|row| match row.entry {
            PlanEntry::Deactivate(d) => Some(d),
            _ => None,
        })
        .collect();
    if deactivated.is_empty() {
        return Err(SyncError::NotApplicable(format!(
            "Run {of_run} deactivated nobody."
        )));
    }
    let lock = store
        .acquire(admin, None, policy)
        .await?
        .map_err(SyncError::Busy)?;
    let result = async {
        let run_id = store
            .create_run(admin, &original.options, now_millis())
            .await?;
        lock.attach(run_id).await?;
        store.mark_undo(run_id, of_run).await?;
        let plan = plan_reactivation(&deactivated, &store.load_local_state().await?);
        store
            .save_preview(run_id, lock.token(), &plan, now_millis())
            .await?
            .map_err(|_| SyncError::LockLost)?;
        Ok::<_, SyncError>((run_id, plan))
    }
    .await;
    lock.release().await;
    let (run_id, plan) = result?;
    tracing::info!(run_id, of_run, %admin, users = plan.updated.len(), "reactivation previewed");
    hub.publish(ProgressEvent::Previewed {
        run_id,
        counts: counts(&plan),
        unchanged: plan.unchanged,
    });
    Ok(run_id)
}
