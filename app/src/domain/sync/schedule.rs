//! Scheduled syncs: off, or every N hours, and what a scheduled run may do
//! with its preview on its own. A scheduled run is an ordinary sync started
//! by "Schedule": it takes the same lock, keeps the same history, and is
//! applied only when the admin chose so and every safety check passed;
//! otherwise its preview waits for an admin.

use super::run::RunTotals;
use crate::domain::format::format_timestamp;
use serde::{Deserialize, Serialize};

/// Who a scheduled run is started by, in Sync history and in the lock.
pub const SCHEDULE_ACTOR: &str = "Schedule";
/// The longest interval: a week (delta tokens last seven days at most).
pub const MAX_HOURS: u32 = 168;

const HOUR: i64 = 3_600_000;

/// What a scheduled run does once its preview is ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum OnPreview {
    /// The preview waits for an admin to confirm it.
    #[default]
    PreviewOnly,
    /// Applied when every safety check passes; otherwise it waits, marked
    /// "Needs review" with the reason.
    ApplyWhenSafe,
}

impl OnPreview {
    pub const ALL: [OnPreview; 2] = [OnPreview::PreviewOnly, OnPreview::ApplyWhenSafe];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PreviewOnly => "preview_only",
            Self::ApplyWhenSafe => "apply_when_safe",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::PreviewOnly => "Preview only",
            Self::ApplyWhenSafe => "Apply when every safety check passes",
        }
    }
}

/// The schedule as the admin sets it in Settings > Sync options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Schedule {
    /// `None`: off (the default).
    pub every_hours: Option<u32>,
    pub on_preview: OnPreview,
}

impl Schedule {
    /// The schedule, or why it cannot be saved.
    pub fn validate(self) -> Result<Self, String> {
        match self.every_hours {
            Some(hours) if !(1..=MAX_HOURS).contains(&hours) => Err(format!(
                "Run a scheduled sync every 1 to {MAX_HOURS} hours (a week), or switch the schedule off."
            )),
            _ => Ok(self),
        }
    }

    /// "Off", "Every hour", "Every 6 hours".
    pub fn describe(&self) -> String {
        match self.every_hours {
            None => "Off".to_owned(),
            Some(1) => "Every hour".to_owned(),
            Some(n) => format!("Every {n} hours"),
        }
    }

    /// When a run that starts (or a schedule saved) at `from` runs next.
    pub fn next_after(&self, from: i64) -> Option<i64> {
        self.every_hours
            .map(|h| from.saturating_add(i64::from(h) * HOUR))
    }

    /// What changed, for the record of settings changes.
    pub fn changes_from(&self, old: &Schedule) -> Vec<String> {
        let mut changes = Vec::new();
        if self.every_hours != old.every_hours {
            changes.push(format!(
                "Scheduled sync: {} → {}",
                old.describe(),
                self.describe()
            ));
        }
        if self.on_preview != old.on_preview {
            changes.push(format!(
                "Scheduled previews: {} → {}",
                old.on_preview.label(),
                self.on_preview.label()
            ));
        }
        changes
    }
}

/// The schedule and where it stands, as the server keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ScheduleState {
    pub schedule: Schedule,
    /// When the next scheduled run is due (none when off).
    pub next_run_at: Option<i64>,
    /// When a scheduled run last started, and what came of it.
    pub last_run_at: Option<i64>,
    pub last_outcome: Option<String>,
}

impl ScheduleState {
    /// "Next scheduled sync: 2026-12-02 18:00 UTC (every 6 hours)", or
    /// `None` when the schedule is off.
    pub fn next_run_text(&self, now: i64) -> Option<String> {
        let next = self.next_run_at?;
        let every = self.schedule.describe().to_lowercase();
        Some(if next <= now {
            format!("A scheduled sync is due now ({every}).")
        } else {
            format!("Next scheduled sync: {} ({every}).", format_timestamp(next))
        })
    }
}

/// What a scheduled run does once its preview is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterPreview {
    /// Nothing to change: recorded as applied, nobody needs to look.
    NothingToDo,
    /// It waits for an admin.
    Wait,
    Apply,
    /// It waits for an admin, with the reason it was not applied.
    NeedsReview(String),
}

/// The rule for a stored scheduled preview: applied on its own only when
/// the admin chose so and no safety check tripped (a read that was not
/// complete never gets this far: it fails).
pub fn after_preview(on_preview: OnPreview, totals: &RunTotals) -> AfterPreview {
    let c = &totals.counts;
    let g = &totals.groups;
    let changes = c.added
        + c.updated
        + c.deactivated
        + g.added
        + g.renamed
        + g.removed
        + g.memberships_added
        + g.memberships_removed;
    if changes == 0 && totals.safety.is_empty() {
        return AfterPreview::NothingToDo;
    }
    match on_preview {
        OnPreview::PreviewOnly => AfterPreview::Wait,
        OnPreview::ApplyWhenSafe if totals.safety.is_empty() => AfterPreview::Apply,
        OnPreview::ApplyWhenSafe => AfterPreview::NeedsReview(format!(
            "Not applied on its own: {}",
            totals.safety.join(" ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sync::progress::BucketCounts;

    fn totals(added: u64, safety: &[&str]) -> RunTotals {
        RunTotals {
            counts: BucketCounts {
                added,
                ..BucketCounts::default()
            },
            safety: safety.iter().map(|s| (*s).to_owned()).collect(),
            ..RunTotals::default()
        }
    }

    #[test]
    fn a_schedule_is_off_or_every_one_to_168_hours() {
        assert!(Schedule::default().validate().is_ok());
        assert_eq!(Schedule::default().describe(), "Off");
        for hours in [1, 6, 168] {
            let s = Schedule {
                every_hours: Some(hours),
                ..Schedule::default()
            };
            assert!(s.validate().is_ok(), "{hours}");
        }
        for hours in [0, 169, u32::MAX] {
            let s = Schedule {
                every_hours: Some(hours),
                ..Schedule::default()
            };
            assert!(s.validate().unwrap_err().contains("every 1 to 168 hours"));
        }
        let hourly = Schedule {
            every_hours: Some(1),
            ..Schedule::default()
        };
        assert_eq!(hourly.describe(), "Every hour");
        assert_eq!(hourly.next_after(1000), Some(1000 + HOUR));
        assert_eq!(Schedule::default().next_after(1000), None);
    }

    #[test]
    fn changes_name_the_interval_and_what_a_run_may_do() {
        let new = Schedule {
            every_hours: Some(6),
            on_preview: OnPreview::ApplyWhenSafe,
        };
        assert_eq!(
            new.changes_from(&Schedule::default()),
            vec![
                "Scheduled sync: Off → Every 6 hours",
                "Scheduled previews: Preview only → Apply when every safety check passes"
            ]
        );
        assert!(new.changes_from(&new).is_empty());
    }

    #[test]
    fn only_a_safe_run_is_applied_on_its_own() {
        assert_eq!(
            after_preview(OnPreview::ApplyWhenSafe, &totals(3, &[])),
            AfterPreview::Apply
        );
        assert_eq!(
            after_preview(OnPreview::PreviewOnly, &totals(3, &[])),
            AfterPreview::Wait
        );
        assert_eq!(
            after_preview(
                OnPreview::ApplyWhenSafe,
                &totals(3, &["This sync would deactivate 40 users."])
            ),
            AfterPreview::NeedsReview(
                "Not applied on its own: This sync would deactivate 40 users.".into()
            )
        );
        // A risky plan waits even when it changes nobody (an empty answer).
        assert_eq!(
            after_preview(OnPreview::PreviewOnly, &totals(0, &["no users"])),
            AfterPreview::Wait
        );
        assert_eq!(
            after_preview(OnPreview::PreviewOnly, &totals(0, &[])),
            AfterPreview::NothingToDo
        );
    }

    #[test]
    fn the_next_run_is_said_with_its_interval() {
        let state = ScheduleState {
            schedule: Schedule {
                every_hours: Some(6),
                ..Schedule::default()
            },
            next_run_at: Some(1_795_668_878_000),
            ..ScheduleState::default()
        };
        assert_eq!(
            state.next_run_text(0).unwrap(),
            "Next scheduled sync: 2026-11-26 04:54 UTC (every 6 hours)."
        );
        assert!(state.next_run_text(i64::MAX).unwrap().contains("due now"));
        assert_eq!(ScheduleState::default().next_run_text(0), None);
    }
}
