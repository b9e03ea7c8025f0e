//! The admin's choices for a sync.

use serde::{Deserialize, Serialize};

/// What a sync may do to the platform's users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum OverwriteBehavior {
    /// Only new users are added; existing ones are left as they are.
    AddOnly,
    /// New users are added and linked users follow the directory.
    #[default]
    AddAndUpdate,
    /// As above, and linked users gone from the directory, out of scope or
    /// disabled there are deactivated (never deleted).
    AddUpdateAndDeactivate,
}

impl OverwriteBehavior {
    pub fn updates(self) -> bool {
        !matches!(self, Self::AddOnly)
    }

    pub fn deactivates(self) -> bool {
        matches!(self, Self::AddUpdateAndDeactivate)
    }

    /// The words on the Settings page.
    pub fn label(self) -> &'static str {
        match self {
            Self::AddOnly => "Add new users only",
            Self::AddAndUpdate => "Add new and update existing users",
            Self::AddUpdateAndDeactivate => {
                "Add, update and deactivate users missing from Azure AD"
            }
        }
    }
}

/// When a sync would deactivate too many people to be trusted blindly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeactivationThreshold {
    /// Percent of the linked, active users.
    pub max_share_percent: u32,
    /// A count.
    pub max_count: u32,
}

impl Default for DeactivationThreshold {
    /// More than 10% of linked users or more than 50, whichever is smaller.
    fn default() -> Self {
        Self {
            max_share_percent: 10,
            max_count: 50,
        }
    }
}

impl DeactivationThreshold {
    /// The most deactivations allowed without an override, for `linked`
    /// active users.
    pub fn allowed(self, linked: u64) -> u64 {
        let share = linked * u64::from(self.max_share_percent) / 100;
        share.min(u64::from(self.max_count))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SyncOptions {
    pub overwrite: OverwriteBehavior,
    /// Import guests (`userType: Guest`, `#EXT#` UPNs). Off by default.
    pub include_guests: bool,
    /// Import accounts disabled in Azure AD (as deactivated users). Off by default.
    pub include_disabled: bool,
    /// Only members (direct or nested) of these groups; empty means everyone.
    pub scope_group_ids: Vec<String>,
    pub threshold: DeactivationThreshold,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_threshold_is_the_smaller_of_ten_percent_and_fifty() {
        let t = DeactivationThreshold::default();
        assert_eq!(t.allowed(100), 10);
        assert_eq!(t.allowed(499), 49);
        assert_eq!(t.allowed(10_000), 50);
        assert_eq!(t.allowed(5), 0);
    }

    #[test]
    fn the_default_behavior_adds_and_updates() {
        let b = OverwriteBehavior::default();
        assert!(b.updates() && !b.deactivates());
        assert!(!OverwriteBehavior::AddOnly.updates());
        assert!(OverwriteBehavior::AddUpdateAndDeactivate.deactivates());
    }
}
