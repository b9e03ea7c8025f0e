//! A stored run as the pages show it: its record plus the counts kept in its
//! summary JSON (what the preview planned, what the apply did).

use crate::store::RunRecord;
use app::domain::sync::SyncOptions;
use app::domain::sync::progress::BucketCounts;
use app::domain::sync::view::{GroupCounts, RunState, RunSummary};
use serde_json::Value;

fn count(value: &Value, key: &str) -> u64 {
    value[key].as_u64().unwrap_or(0)
}

/// The run's summary; a summary JSON that cannot be read shows as zeros
/// (the run's state and error still say what happened).
pub fn run_summary(run: &RunRecord) -> RunSummary {
    let summary: Value = run
        .summary_json
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null);
    let groups = &summary["groups"];
    RunSummary {
        id: run.id,
        // An unknown state can only come from a newer version's database.
        state: RunState::parse(&run.state).unwrap_or(RunState::Failed),
        started_by: run.started_by.clone(),
        applied_by: run.applied_by.clone(),
        created_at: run.created_at,
        finished_at: run.finished_at,
        planned: serde_json::from_value(summary["counts"].clone()).unwrap_or_default(),
        unchanged: count(&summary, "unchanged"),
        groups: GroupCounts {
            added: count(groups, "added"),
            renamed: count(groups, "renamed"),
            removed: count(groups, "removed"),
            memberships_added: count(groups, "membershipsAdded"),
            memberships_removed: count(groups, "membershipsRemoved"),
        },
        results: serde_json::from_value::<BucketCounts>(summary["results"].clone()).ok(),
        duration_ms: summary["durationMs"].as_u64(),
        error: run.error.clone(),
        override_by: run.override_by.clone(),
        directory_users: run.directory_users.map(|n| n.max(0) as u64),
    }
}

/// The options a run was previewed with.
pub fn run_options(run: &RunRecord) -> SyncOptions {
    serde_json::from_str(&run.options_json).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(state: &str, summary: Option<&str>) -> RunRecord {
        RunRecord {
            id: 7,
            state: state.into(),
            started_by: "a@example.com".into(),
            created_at: 1,
            previewed_at: Some(2),
            finished_at: None,
            options_json: "{}".into(),
            summary_json: summary.map(str::to_owned),
            directory_users: Some(500),
            override_by: None,
            applied_by: None,
            error: None,
        }
    }

    #[test]
    fn reads_the_counts_the_preview_and_apply_stored() {
        let json = r#"{"counts":{"added":5,"updated":2,"deactivated":1,"skipped":3,"conflicts":0,"failed":0},
            "unchanged":9,"groups":{"added":1,"renamed":0,"removed":2,"membershipsAdded":40,"membershipsRemoved":1},
            "safety":[],"results":{"added":5,"updated":1,"deactivated":1,"skipped":0,"conflicts":1,"failed":0},
            "durationMs":1234}"#;
        let s = run_summary(&record("applied", Some(json)));
        assert_eq!(s.state, RunState::Applied);
        assert_eq!((s.planned.added, s.planned.skipped, s.unchanged), (5, 3, 9));
        assert_eq!((s.groups.removed, s.groups.memberships_added), (2, 40));
        assert_eq!(s.results.unwrap().conflicts, 1);
        assert_eq!(s.duration_ms, Some(1234));
    }

    #[test]
    fn a_run_without_a_summary_shows_zeros() {
        let s = run_summary(&record("fetching", None));
        assert_eq!(s.state, RunState::Fetching);
        assert_eq!(s.planned, BucketCounts::default());
        assert_eq!(s.results, None);
    }
}
