//! A sync run's record as it is stored: its state and its totals, typed
//! here and parsed once where the rows are read.

use super::plan::ImportPlan;
use super::progress::BucketCounts;
use super::view::{GroupCounts, RunState};
use serde::{Deserialize, Serialize};

impl RunState {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fetching => "fetching",
            Self::Previewed => "previewed",
            Self::Applying => "applying",
            Self::Applied => "applied",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Interrupted => "interrupted",
            Self::Discarded => "discarded",
        }
    }

    /// A preview not applied yet, or an apply that stopped part-way: its
    /// rows may still be excluded, applied or discarded.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Previewed | Self::Interrupted)
    }

    /// A process is reading the directory for it, or applying it.
    pub fn is_running(self) -> bool {
        matches!(self, Self::Fetching | Self::Applying)
    }
}

/// A preview may be applied for this long after it was made.
pub const PLAN_MAX_AGE_MS: i64 = 60 * 60 * 1000;
/// An interrupted run may be resumed this long after its preview: longer
/// than a fresh preview's hour, since a resume finishes what an admin has
/// already confirmed, but not forever.
pub const RESUME_MAX_AGE_MS: i64 = 24 * 60 * 60 * 1000;

/// Whether a run in `state`, previewed at `previewed_at`, may be applied
/// (or resumed) at `now`; `changed_since` says another run committed a
/// change after the preview. The refusal says what to do instead.
pub fn applicability(
    state: RunState,
    previewed_at: i64,
    now: i64,
    changed_since: bool,
) -> Result<(), String> {
    let age = now - previewed_at;
    match state {
        RunState::Previewed if age > PLAN_MAX_AGE_MS => {
            Err("This preview is more than an hour old. Preview again.".into())
        }
        RunState::Interrupted if age > RESUME_MAX_AGE_MS => Err(
            "This interrupted sync was previewed more than 24 hours ago, too long to finish safely. Discard it \
             and preview again."
                .into(),
        ),
        RunState::Previewed if changed_since => {
            Err("Another sync was applied after this preview was made. Preview again.".into())
        }
        RunState::Interrupted if changed_since => Err(
            "Another sync has changed users since this one was previewed, so it cannot be resumed. Discard it \
             and preview again."
                .into(),
        ),
        RunState::Previewed | RunState::Interrupted => Ok(()),
        RunState::Applied => Err("This preview was applied already.".into()),
        RunState::Discarded => Err("This preview was discarded. Preview again.".into()),
        other => Err(format!(
            "This run cannot be applied (it is {}). Preview again.",
            other.label().to_lowercase()
        )),
    }
}

/// What became of one row of a plan when it was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowOutcome {
    Done,
    Conflict,
    Failed,
    Excluded,
}

impl RowOutcome {
    /// The name stored in the database (and shown in the CSV).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Conflict => "conflict",
            Self::Failed => "failed",
            Self::Excluded => "excluded",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Done, Self::Conflict, Self::Failed, Self::Excluded]
            .into_iter()
            .find(|o| o.as_str() == value)
    }
}

/// What a run's summary holds: what its preview planned and why it needs an
/// override, then what its apply did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RunTotals {
    /// Rows per bucket, as planned.
    pub counts: BucketCounts,
    pub unchanged: u64,
    pub groups: GroupCounts,
    /// Why applying needs an explicit override; empty when it does not.
    pub safety: Vec<String>,
    /// What the apply did, once it ended.
    pub results: Option<BucketCounts>,
    pub duration_ms: Option<u64>,
}

impl RunTotals {
    pub fn of_plan(plan: &ImportPlan) -> Self {
        let g = &plan.groups;
        Self {
            counts: BucketCounts {
                added: plan.added.len() as u64,
                updated: plan.updated.len() as u64,
                deactivated: plan.deactivated.len() as u64,
                skipped: plan.skipped.len() as u64,
                conflicts: 0,
                failed: 0,
            },
            unchanged: plan.unchanged,
            groups: GroupCounts {
                added: g.added.len() as u64,
                renamed: g.renamed.len() as u64,
                removed: g.removed.len() as u64,
                memberships_added: g.memberships_added.len() as u64,
                memberships_removed: g.memberships_removed.len() as u64,
            },
            safety: plan.safety.reasons.clone(),
            results: None,
            duration_ms: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_stored_by_name_and_read_back() {
        for state in [
            RunState::Fetching,
            RunState::Previewed,
            RunState::Applying,
            RunState::Applied,
            RunState::Failed,
            RunState::Cancelled,
            RunState::Interrupted,
            RunState::Discarded,
        ] {
            assert_eq!(RunState::parse(state.as_str()), Some(state));
        }
    }

    #[test]
    fn a_run_is_applicable_while_open_fresh_and_unchanged_since() {
        let hour = PLAN_MAX_AGE_MS;
        assert_eq!(applicability(RunState::Previewed, 0, hour, false), Ok(()));
        assert!(applicability(RunState::Previewed, 0, hour + 1, false).is_err());
        assert!(
            applicability(RunState::Previewed, 0, 1, true)
                .unwrap_err()
                .contains("Another sync")
        );
        assert_eq!(
            applicability(RunState::Interrupted, 0, 2 * hour, false),
            Ok(()),
            "a resume may be older"
        );
        assert!(applicability(RunState::Interrupted, 0, RESUME_MAX_AGE_MS + 1, false).is_err());
        assert!(
            applicability(RunState::Interrupted, 0, 1, true)
                .unwrap_err()
                .contains("cannot be resumed")
        );
        assert!(
            applicability(RunState::Applying, 0, 1, false)
                .unwrap_err()
                .contains("it is applying")
        );
        assert!(
            applicability(RunState::Applied, 0, 1, false)
                .unwrap_err()
                .contains("applied already")
        );
    }

    #[test]
    fn totals_written_by_earlier_versions_are_read() {
        let json = r#"{"counts":{"added":5,"updated":2,"deactivated":1,"skipped":3,"conflicts":0,"failed":0},
            "unchanged":9,"groups":{"added":1,"renamed":0,"removed":2,"membershipsAdded":40,"membershipsRemoved":1},
            "safety":[],"results":{"added":5,"updated":1,"deactivated":1,"skipped":0,"conflicts":1,"failed":0},
            "durationMs":1234}"#;
        let t: RunTotals = serde_json::from_str(json).unwrap();
        assert_eq!((t.counts.added, t.counts.skipped, t.unchanged), (5, 3, 9));
        assert_eq!((t.groups.removed, t.groups.memberships_added), (2, 40));
        assert_eq!(t.results.unwrap().conflicts, 1);
        assert_eq!(t.duration_ms, Some(1234));
        let back: RunTotals = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(back, t);
    }
}
