//! A stored run as the pages show it: its record plus the totals it keeps
//! (what the preview planned, what the apply did).

use crate::store::RunRecord;
use app::domain::sync::view::RunSummary;

pub fn run_summary(run: &RunRecord) -> RunSummary {
    let totals = &run.totals;
    RunSummary {
        id: run.id,
        state: run.state,
        started_by: run.started_by.clone(),
        applied_by: run.applied_by.clone(),
        created_at: run.created_at,
        finished_at: run.finished_at,
        planned: totals.counts,
        unchanged: totals.unchanged,
        groups: totals.groups,
        results: totals.results,
        duration_ms: totals.duration_ms,
        error: run.error.clone(),
        override_by: run.override_by.clone(),
        directory_users: run.directory_users.map(|n| n.max(0) as u64),
        tenant_id: run.tenant_id.clone(),
        undoes_run: run.undoes_run,
        review_reason: run.review_reason.clone(),
        read_kind: run.read_kind,
    }
}
