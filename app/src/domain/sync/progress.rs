//! What a running sync reports as it goes: one typed event stream that the
//! server publishes and the browser renders (over server-sent events).

use serde::{Deserialize, Serialize};

/// Counts per bucket so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketCounts {
    pub added: u64,
    pub updated: u64,
    pub deactivated: u64,
    pub skipped: u64,
    pub conflicts: u64,
    pub failed: u64,
}

/// The state of the sync, as a late subscriber first sees it and as every
/// update replaces it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum ProgressEvent {
    /// No sync is running.
    Idle,
    /// Reading the directory.
    Fetching {
        run_id: i64,
        started_by: String,
        pages: u32,
        users_so_far: u64,
        total: Option<u64>,
        groups_so_far: u64,
        /// Only the changes since the last read are read: the counts are
        /// of changed users and groups.
        #[serde(default)]
        changes_only: bool,
    },
    /// Comparing the directory with the platform.
    Planning {
        run_id: i64,
        started_by: String,
    },
    /// A preview is ready for review.
    Previewed {
        run_id: i64,
        counts: BucketCounts,
        unchanged: u64,
    },
    /// Changes are being written, batch by batch.
    Applying {
        run_id: i64,
        started_by: String,
        done: u64,
        total: u64,
        counts: BucketCounts,
        rate_per_sec: f64,
        eta_secs: Option<u64>,
    },
    Finished {
        run_id: i64,
        counts: BucketCounts,
        duration_ms: u64,
    },
    Failed {
        run_id: i64,
        message: String,
    },
    /// The admin stopped the fetch; nothing was planned or changed.
    Cancelled {
        run_id: i64,
        by: String,
    },
}

impl ProgressEvent {
    /// True while a sync holds the app (a second one must wait).
    pub fn is_running(&self) -> bool {
        matches!(
            self,
            Self::Fetching { .. } | Self::Planning { .. } | Self::Applying { .. }
        )
    }

    /// The run this event is about.
    pub fn run_id(&self) -> Option<i64> {
        match self {
            Self::Idle => None,
            Self::Fetching { run_id, .. }
            | Self::Planning { run_id, .. }
            | Self::Previewed { run_id, .. }
            | Self::Applying { run_id, .. }
            | Self::Finished { run_id, .. }
            | Self::Failed { run_id, .. }
            | Self::Cancelled { run_id, .. } => Some(*run_id),
        }
    }

    /// Who started the running sync, for "started by … " and refusals.
    pub fn started_by(&self) -> Option<&str> {
        match self {
            Self::Fetching { started_by, .. }
            | Self::Planning { started_by, .. }
            | Self::Applying { started_by, .. } => Some(started_by),
            _ => None,
        }
    }

    /// Percent done, for `aria-valuenow`, when it can be known.
    pub fn percent(&self) -> Option<u8> {
        let ratio = match self {
            Self::Fetching {
                users_so_far,
                total: Some(total),
                ..
            } if *total > 0 => *users_so_far as f64 / *total as f64,
            Self::Applying { done, total, .. } if *total > 0 => *done as f64 / *total as f64,
            Self::Applying { .. } | Self::Finished { .. } | Self::Previewed { .. } => 1.0,
            _ => return None,
        };
        Some((ratio.clamp(0.0, 1.0) * 100.0).round() as u8)
    }
}

/// Rows per second and the seconds left, from what is done so far.
pub fn rate_and_eta(done: u64, total: u64, elapsed_ms: u64) -> (f64, Option<u64>) {
    if done == 0 || elapsed_ms == 0 {
        return (0.0, None);
    }
    let rate = done as f64 * 1000.0 / elapsed_ms as f64;
    let left = total.saturating_sub(done) as f64 / rate;
    (rate, Some(left.ceil() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_follows_the_phase() {
        let fetching = ProgressEvent::Fetching {
            run_id: 1,
            started_by: "a".into(),
            pages: 2,
            users_so_far: 1998,
            total: Some(4000),
            groups_so_far: 0,
            changes_only: false,
        };
        assert_eq!(fetching.percent(), Some(50));
        let unknown = ProgressEvent::Fetching {
            run_id: 1,
            started_by: "a".into(),
            pages: 1,
            users_so_far: 999,
            total: None,
            groups_so_far: 0,
            changes_only: false,
        };
        assert_eq!(unknown.percent(), None);
        let applying = ProgressEvent::Applying {
            run_id: 1,
            started_by: "a".into(),
            done: 250,
            total: 1000,
            counts: BucketCounts::default(),
            rate_per_sec: 1.0,
            eta_secs: None,
        };
        assert_eq!(applying.percent(), Some(25));
        assert!(applying.is_running() && fetching.is_running());
        assert!(!ProgressEvent::Idle.is_running());
    }

    #[test]
    fn events_serialise_with_their_phase_and_round_trip() {
        let e = ProgressEvent::Failed {
            run_id: 3,
            message: "Tenant not found".into(),
        };
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(
            json,
            r#"{"phase":"failed","run_id":3,"message":"Tenant not found"}"#
        );
        assert_eq!(serde_json::from_str::<ProgressEvent>(&json).unwrap(), e);
        assert_eq!(
            serde_json::to_string(&ProgressEvent::Idle).unwrap(),
            r#"{"phase":"idle"}"#
        );
    }

    #[test]
    fn rate_and_eta_come_from_what_is_done() {
        assert_eq!(rate_and_eta(0, 100, 1000), (0.0, None));
        assert_eq!(rate_and_eta(50, 150, 10_000), (5.0, Some(20)));
        assert_eq!(rate_and_eta(150, 150, 10_000).1, Some(0));
    }
}
