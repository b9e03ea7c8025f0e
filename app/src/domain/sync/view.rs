//! What the Import Users and Sync history pages show of a stored plan and
//! of past runs: one page of rows at a time, each row already in the words
//! the admin reads. Built on the server from the stored plan, sent to the
//! browser; the whole plan never leaves the server.

use super::options::SyncOptions;
use super::plan::GroupPlan;
use super::plan::{FieldChange, PlannedAdd, PlannedDeactivation, PlannedUpdate, SkippedUser};
use super::progress::BucketCounts;
use crate::domain::profile::ProfileField;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The lists of a preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PlanBucket {
    Added,
    Updated,
    Deactivated,
    Skipped,
}

impl PlanBucket {
    pub const ALL: [Self; 4] = [Self::Added, Self::Updated, Self::Deactivated, Self::Skipped];

    /// The name stored with each plan row.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Updated => "updated",
            Self::Deactivated => "deactivated",
            Self::Skipped => "skipped",
        }
    }

    /// The tab's name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Added => "Added",
            Self::Updated => "Updated",
            Self::Deactivated => "Deactivated",
            Self::Skipped => "Skipped",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.as_str() == value)
    }

    /// Rows of this bucket change something when applied (skipped ones do not).
    pub fn applies(self) -> bool {
        !matches!(self, Self::Skipped)
    }

    pub fn count_in(self, counts: &BucketCounts) -> u64 {
        match self {
            Self::Added => counts.added,
            Self::Updated => counts.updated,
            Self::Deactivated => counts.deactivated,
            Self::Skipped => counts.skipped,
        }
    }
}

/// A change as the admin reads it: a manager by name where known.
fn shown_change(change: &FieldChange, names: &super::plan::ManagerNames) -> FieldChange {
    if change.field != super::plan::SyncField::Manager {
        return change.clone();
    }
    FieldChange {
        field: change.field,
        old: names.old.clone().or_else(|| change.old.clone()),
        new: names.new.clone().or_else(|| change.new.clone()),
    }
}

/// One row of a preview (or of a run's results), ready to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRow {
    /// The row's place in the stored plan: what an exclusion names.
    pub seq: i64,
    pub excluded: bool,
    pub name: String,
    pub email: String,
    pub department: Option<String>,
    pub job_title: Option<String>,
    /// Updated rows: each field, old -> new.
    pub changes: Vec<FieldChange>,
    /// Updated rows that link a platform user made by hand: the address of
    /// theirs that matched.
    #[serde(default)]
    pub adopts_by: Option<String>,
    /// Skipped and deactivated rows: why.
    pub reason: Option<String>,
    /// After an apply: done, conflict, failed or excluded, and why.
    pub outcome: Option<String>,
    pub outcome_detail: Option<String>,
}

impl PlanRow {
    fn new(seq: i64, name: &str, email: &str) -> Self {
        Self {
            seq,
            excluded: false,
            name: name.to_owned(),
            email: email.to_owned(),
            department: None,
            job_title: None,
            changes: Vec::new(),
            adopts_by: None,
            reason: None,
            outcome: None,
            outcome_detail: None,
        }
    }

    pub fn added(seq: i64, add: &PlannedAdd) -> Self {
        let u = &add.user;
        Self {
            department: u.profile.get(ProfileField::Department).map(str::to_owned),
            job_title: u.profile.get(ProfileField::JobTitle).map(str::to_owned),
            ..Self::new(seq, &u.display_name, &u.email)
        }
    }

    pub fn updated(seq: i64, update: &PlannedUpdate) -> Self {
        let u = &update.user;
        Self {
            department: u.profile.get(ProfileField::Department).map(str::to_owned),
            job_title: u.profile.get(ProfileField::JobTitle).map(str::to_owned),
            changes: update
                .changes
                .iter()
                .map(|c| shown_change(c, &update.manager_names))
                .collect(),
            adopts_by: update.adopts_by.clone(),
            ..Self::new(seq, &u.display_name, &u.email)
        }
    }

    pub fn deactivated(seq: i64, d: &PlannedDeactivation) -> Self {
        Self {
            reason: Some(d.reason.to_string()),
            // The status change is the row itself; show what comes with it.
            changes: d
                .changes
                .iter()
                .filter(|c| c.field != super::plan::SyncField::Status)
                .cloned()
                .collect(),
            ..Self::new(seq, &d.display_name, &d.email)
        }
    }

    pub fn skipped(seq: i64, s: &SkippedUser) -> Self {
        let name = s.display_name.as_deref().unwrap_or(&s.email_or_upn);
        Self {
            reason: Some(s.reason.to_string()),
            ..Self::new(seq, name, &s.email_or_upn)
        }
    }
}

/// Groups and memberships a preview changes, as counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupCounts {
    pub added: u64,
    pub renamed: u64,
    pub removed: u64,
    // Earlier versions stored these in camelCase.
    #[serde(alias = "membershipsAdded")]
    pub memberships_added: u64,
    #[serde(alias = "membershipsRemoved")]
    pub memberships_removed: u64,
}

impl GroupCounts {
    pub fn total(&self) -> u64 {
        self.added + self.renamed + self.removed + self.memberships_added + self.memberships_removed
    }
}

/// What happens to one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupChangeKind {
    Added,
    Renamed {
        old_name: String,
    },
    Removed,
    /// Only its members change.
    Members,
}

/// One line of the preview's Groups section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupChange {
    pub name: String,
    pub kind: GroupChangeKind,
    pub members_added: u64,
    pub members_removed: u64,
}

impl GroupChange {
    fn new(name: &str, kind: GroupChangeKind) -> Self {
        Self {
            name: name.to_owned(),
            kind,
            members_added: 0,
            members_removed: 0,
        }
    }

    /// One line per group the plan touches, sorted by name; `names` are the
    /// platform's groups by Azure object id (for groups whose name stays).
    pub fn summarize(plan: &GroupPlan, names: &HashMap<String, String>) -> Vec<Self> {
        let mut by_id: HashMap<&str, Self> = HashMap::new();
        for (id, name) in &plan.added {
            by_id.insert(id, Self::new(name, GroupChangeKind::Added));
        }
        for (id, old_name, name) in &plan.renamed {
            let kind = GroupChangeKind::Renamed {
                old_name: old_name.clone(),
            };
            by_id.insert(id, Self::new(name, kind));
        }
        for (id, name) in &plan.removed {
            by_id.insert(id, Self::new(name, GroupChangeKind::Removed));
        }
        let added = plan.memberships_added.iter().map(|(g, _)| (g, true));
        let removed = plan.memberships_removed.iter().map(|(g, _)| (g, false));
        for (group, is_added) in added.chain(removed) {
            let line = by_id.entry(group).or_insert_with(|| {
                let name = names.get(group).unwrap_or(group);
                Self::new(name, GroupChangeKind::Members)
            });
            if is_added {
                line.members_added += 1;
            } else {
                line.members_removed += 1;
            }
        }
        let mut lines: Vec<Self> = by_id.into_values().collect();
        lines.sort_by_cached_key(|line| line.name.to_lowercase());
        lines
    }

    /// Whether the Groups tab's search (lowercased) finds this line: by the
    /// group's name, or the name it had before a rename.
    pub fn matches(&self, search: &str) -> bool {
        let old_name = match &self.kind {
            GroupChangeKind::Renamed { old_name } => Some(old_name),
            _ => None,
        };
        std::iter::once(&self.name)
            .chain(old_name)
            .any(|name| name.to_lowercase().contains(search))
    }
}

/// A run's life, as the history shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunState {
    Fetching,
    Previewed,
    Applying,
    Applied,
    Failed,
    Cancelled,
    Interrupted,
    Discarded,
}

impl RunState {
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "fetching" => Self::Fetching,
            "previewed" => Self::Previewed,
            "applying" => Self::Applying,
            "applied" => Self::Applied,
            "failed" => Self::Failed,
            "cancelled" => Self::Cancelled,
            "interrupted" => Self::Interrupted,
            "discarded" => Self::Discarded,
            _ => return None,
        })
    }

    /// The words on the badge.
    pub fn label(self) -> &'static str {
        match self {
            Self::Fetching => "Reading Azure AD",
            Self::Previewed => "Previewed, not applied",
            Self::Applying => "Applying",
            Self::Applied => "Applied",
            Self::Failed => "Failed",
            Self::Cancelled => "Cancelled",
            Self::Interrupted => "Interrupted",
            Self::Discarded => "Discarded",
        }
    }

    /// For the badge's colour (the label says it too).
    pub fn tone(self) -> &'static str {
        match self {
            Self::Applied => "ok",
            Self::Failed | Self::Interrupted => "bad",
            Self::Fetching | Self::Applying | Self::Previewed => "info",
            Self::Cancelled | Self::Discarded => "neutral",
        }
    }
}

/// One run, as the history list and the Import page's "last run" show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: i64,
    pub state: RunState,
    pub started_by: String,
    pub applied_by: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    /// What the preview planned.
    pub planned: BucketCounts,
    pub unchanged: u64,
    pub groups: GroupCounts,
    /// What the apply did, once it did.
    pub results: Option<BucketCounts>,
    pub duration_ms: Option<u64>,
    /// Why the run failed, in the admin's words.
    pub error: Option<String>,
    /// Who confirmed past the safety threshold.
    pub override_by: Option<String>,
    pub directory_users: Option<u64>,
    /// The tenant the run read.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// The run whose deactivations this one undoes.
    #[serde(default)]
    pub undoes_run: Option<i64>,
    /// A scheduled preview not applied on its own: why ("Needs review").
    #[serde(default)]
    pub review_reason: Option<String>,
    /// Which kind of read of Azure AD the run made, once it finished reading.
    #[serde(default)]
    pub read_kind: Option<super::directory_read::ReadKind>,
}

impl RunSummary {
    /// A scheduled preview that tripped a safety check and waits for an
    /// admin.
    pub fn needs_review(&self) -> bool {
        self.state == RunState::Previewed && self.review_reason.is_some()
    }
}

/// Rows the admin excluded from the apply, per bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExcludedCounts {
    pub added: u64,
    pub updated: u64,
    pub deactivated: u64,
}

impl ExcludedCounts {
    pub fn total(&self) -> u64 {
        self.added + self.updated + self.deactivated
    }

    pub fn add(&mut self, bucket: PlanBucket, n: u64) {
        match bucket {
            PlanBucket::Added => self.added += n,
            PlanBucket::Updated => self.updated += n,
            PlanBucket::Deactivated => self.deactivated += n,
            PlanBucket::Skipped => {}
        }
    }
}

/// A stored preview: what the tabs count, what the dialog states.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewSummary {
    pub run: RunSummary,
    pub excluded: ExcludedCounts,
    /// Why the plan needs an explicit override, one sentence each; empty
    /// when it is within the safety threshold.
    pub safety_reasons: Vec<String>,
    /// The options the preview used.
    pub options: SyncOptions,
    /// Set when the preview can no longer be applied (too old, superseded,
    /// applied already), saying what to do.
    pub stale: Option<String>,
}

impl PreviewSummary {
    /// Why the Deactivated list is absent, when the options do not deactivate.
    pub fn deactivation_note(&self) -> Option<String> {
        (!self.options.overwrite.deactivates()).then(|| {
            format!(
                "Nobody is deactivated: the overwrite behavior is “{}” (see Settings).",
                self.options.overwrite.label()
            )
        })
    }

    /// The buckets to show as tabs.
    pub fn buckets(&self) -> Vec<PlanBucket> {
        PlanBucket::ALL
            .into_iter()
            .filter(|b| *b != PlanBucket::Deactivated || self.options.overwrite.deactivates())
            .collect()
    }

    /// What the confirm dialog says will be written: planned minus excluded.
    pub fn to_apply(&self) -> BucketCounts {
        let p = &self.run.planned;
        BucketCounts {
            added: p.added.saturating_sub(self.excluded.added),
            updated: p.updated.saturating_sub(self.excluded.updated),
            deactivated: p.deactivated.saturating_sub(self.excluded.deactivated),
            ..BucketCounts::default()
        }
    }

    pub fn needs_override(&self) -> bool {
        !self.safety_reasons.is_empty()
    }

    /// Nothing to write: no user rows left and no group changes.
    pub fn is_empty(&self) -> bool {
        let a = self.to_apply();
        a.added + a.updated + a.deactivated == 0 && self.run.groups.total() == 0
    }
}

/// Everything the Import page needs when it opens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportOverview {
    pub connection: crate::domain::connection::ConnectionStatus,
    /// The sync's state now, so the page renders it before the event
    /// stream connects.
    pub progress: super::progress::ProgressEvent,
    /// The newest run, if any.
    pub last_run: Option<RunSummary>,
    /// A preview waiting for review (the newest run, when it is previewed).
    pub open_preview: Option<i64>,
    /// A run interrupted mid-apply, to resume or discard.
    pub interrupted: Option<RunSummary>,
    /// When the client secret expires, once the warning period began (or
    /// it has ended).
    pub secret_expiry: Option<crate::domain::connection::ExpiryNotice>,
    /// "Next scheduled sync: …", when a schedule is on.
    pub next_scheduled: Option<String>,
    /// What came of the last scheduled sync.
    pub last_scheduled: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sync::OverwriteBehavior;

    fn summary(overwrite: OverwriteBehavior) -> PreviewSummary {
        PreviewSummary {
            run: RunSummary {
                id: 1,
                state: RunState::Previewed,
                started_by: "a@example.com".into(),
                applied_by: None,
                created_at: 0,
                finished_at: None,
                planned: BucketCounts {
                    added: 10,
                    updated: 4,
                    deactivated: 2,
                    skipped: 3,
                    ..BucketCounts::default()
                },
                unchanged: 7,
                groups: GroupCounts::default(),
                results: None,
                duration_ms: None,
                tenant_id: None,
                undoes_run: None,
                review_reason: None,
                read_kind: None,
                error: None,
                override_by: None,
                directory_users: Some(24),
            },
            excluded: ExcludedCounts::default(),
            safety_reasons: vec![],
            options: SyncOptions {
                overwrite,
                ..SyncOptions::default()
            },
            stale: None,
        }
    }

    #[test]
    fn buckets_round_trip_and_count() {
        for b in PlanBucket::ALL {
            assert_eq!(PlanBucket::parse(b.as_str()), Some(b));
        }
        assert_eq!(PlanBucket::parse("groups"), None);
        let s = summary(OverwriteBehavior::AddUpdateAndDeactivate);
        assert_eq!(PlanBucket::Skipped.count_in(&s.run.planned), 3);
    }

    #[test]
    fn deactivated_is_shown_only_when_the_behavior_deactivates() {
        let s = summary(OverwriteBehavior::AddAndUpdate);
        assert!(!s.buckets().contains(&PlanBucket::Deactivated));
        assert!(
            s.deactivation_note()
                .unwrap()
                .contains("Add new and update existing users")
        );
        let s = summary(OverwriteBehavior::AddUpdateAndDeactivate);
        assert_eq!(s.buckets().len(), 4);
        assert_eq!(s.deactivation_note(), None);
    }

    #[test]
    fn exclusions_come_off_what_is_applied() {
        let mut s = summary(OverwriteBehavior::AddUpdateAndDeactivate);
        s.excluded.add(PlanBucket::Added, 3);
        s.excluded.add(PlanBucket::Deactivated, 2);
        s.excluded.add(PlanBucket::Skipped, 9);
        let a = s.to_apply();
        assert_eq!((a.added, a.updated, a.deactivated), (7, 4, 0));
        assert_eq!(s.excluded.total(), 5);
        assert!(!s.is_empty());
        s.excluded.add(PlanBucket::Added, 7);
        s.excluded.add(PlanBucket::Updated, 4);
        assert!(s.is_empty());
    }

    #[test]
    fn group_changes_are_one_line_per_group_by_name() {
        let plan = GroupPlan {
            added: vec![("g1".into(), "Sales".into())],
            renamed: vec![("g2".into(), "Eng".into(), "Engineering".into())],
            removed: vec![("g3".into(), "Old team".into())],
            memberships_added: vec![
                ("g1".into(), "u1".into()),
                ("g1".into(), "u2".into()),
                ("g4".into(), "u1".into()),
            ],
            memberships_removed: vec![("g4".into(), "u3".into()), ("g5".into(), "u3".into())],
        };
        let names = HashMap::from([("g4".to_owned(), "Support".to_owned())]);
        let lines = GroupChange::summarize(&plan, &names);
        let shown: Vec<(&str, u64, u64)> = lines
            .iter()
            .map(|l| (l.name.as_str(), l.members_added, l.members_removed))
            .collect();
        assert_eq!(
            shown,
            [
                ("Engineering", 0, 0),
                ("g5", 0, 1),
                ("Old team", 0, 0),
                ("Sales", 2, 0),
                ("Support", 1, 1)
            ]
        );
        assert_eq!(
            lines[0].kind,
            GroupChangeKind::Renamed {
                old_name: "Eng".into()
            }
        );
        assert_eq!(lines[4].kind, GroupChangeKind::Members);
        // The Groups tab's search: by name, or by the name before a rename.
        let found = |search: &str| -> Vec<&str> {
            let search = search.to_lowercase();
            lines
                .iter()
                .filter(|l| l.matches(&search))
                .map(|l| l.name.as_str())
                .collect()
        };
        assert_eq!(found("ENG"), ["Engineering"]);
        assert_eq!(found("sup"), ["Support"]);
        assert!(found("nobody").is_empty());
    }

    #[test]
    fn run_states_parse_and_have_words() {
        for s in [
            "fetching",
            "previewed",
            "applying",
            "applied",
            "failed",
            "cancelled",
            "interrupted",
            "discarded",
        ] {
            let state = RunState::parse(s).unwrap();
            assert!(!state.label().is_empty());
        }
        assert_eq!(RunState::parse("bogus"), None);
    }
}
