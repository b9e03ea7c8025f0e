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

/// Highest count threshold accepted (far above any tenant's size).
pub const MAX_THRESHOLD_COUNT: u32 = 1_000_000;
/// Most groups a sync can be limited to.
pub const MAX_SCOPE_GROUPS: usize = 500;

impl SyncOptions {
    /// Refuses options no admin means, with the message for the form.
    pub fn validate(&self) -> Result<(), String> {
        if self.threshold.max_share_percent > 100 {
            return Err("The share of linked users must be between 0 and 100 percent.".into());
        }
        if self.threshold.max_count > MAX_THRESHOLD_COUNT {
            return Err(format!(
                "The number of users must be at most {}.",
                crate::domain::format::format_count(u64::from(MAX_THRESHOLD_COUNT))
            ));
        }
        if self.scope_group_ids.len() > MAX_SCOPE_GROUPS {
            return Err(format!("Choose at most {MAX_SCOPE_GROUPS} groups."));
        }
        // Azure AD's object ids are GUIDs: anything else is no group.
        if self
            .scope_group_ids
            .iter()
            .any(|id| crate::domain::connection::input::parse_guid(id).is_none())
        {
            return Err("A chosen group is not a directory group.".into());
        }
        Ok(())
    }

    /// What changed from `old` to `self`, one line per option, for the
    /// settings' change record.
    pub fn changes_from(&self, old: &SyncOptions) -> Vec<String> {
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let mut changes = Vec::new();
        if self.overwrite != old.overwrite {
            changes.push(format!(
                "Overwrite behavior: “{}” → “{}”",
                old.overwrite.label(),
                self.overwrite.label()
            ));
        }
        if self.include_guests != old.include_guests {
            changes.push(format!(
                "Include guests: {} → {}",
                yes_no(old.include_guests),
                yes_no(self.include_guests)
            ));
        }
        if self.include_disabled != old.include_disabled {
            changes.push(format!(
                "Include disabled accounts: {} → {}",
                yes_no(old.include_disabled),
                yes_no(self.include_disabled)
            ));
        }
        if self.scope_group_ids != old.scope_group_ids {
            let describe = |ids: &[String]| match ids.len() {
                0 => "everyone".to_owned(),
                1 => "members of 1 group".to_owned(),
                n => format!("members of {n} groups"),
            };
            changes.push(format!(
                "Limit to: {} → {}",
                describe(&old.scope_group_ids),
                describe(&self.scope_group_ids)
            ));
        }
        if self.threshold != old.threshold {
            changes.push(format!(
                "Deactivation threshold: {}% or {} users → {}% or {} users",
                old.threshold.max_share_percent,
                old.threshold.max_count,
                self.threshold.max_share_percent,
                self.threshold.max_count
            ));
        }
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_validated_with_a_message() {
        assert_eq!(SyncOptions::default().validate(), Ok(()));
        let mut o = SyncOptions::default();
        o.threshold.max_share_percent = 101;
        assert!(o.validate().unwrap_err().contains("between 0 and 100"));
        let mut o = SyncOptions::default();
        o.threshold.max_count = MAX_THRESHOLD_COUNT + 1;
        assert!(o.validate().is_err());
        for id in [
            "",
            "not-a-guid",
            "g1",
            "00000000-0000-0000-0000-00000000000g",
        ] {
            let o = SyncOptions {
                scope_group_ids: vec![id.into()],
                ..SyncOptions::default()
            };
            assert!(o.validate().is_err(), "{id}");
        }
        let o = SyncOptions {
            scope_group_ids: vec!["0f3c2a1b-9d8e-4c7b-a6f5-e4d3c2b1a098".into()],
            ..SyncOptions::default()
        };
        assert_eq!(o.validate(), Ok(()));
    }

    #[test]
    fn changes_are_described_one_line_each() {
        let old = SyncOptions::default();
        assert!(old.changes_from(&old).is_empty());
        let new = SyncOptions {
            overwrite: OverwriteBehavior::AddUpdateAndDeactivate,
            include_guests: true,
            scope_group_ids: vec!["g1".into()],
            ..SyncOptions::default()
        };
        assert_eq!(
            new.changes_from(&old),
            [
                "Overwrite behavior: “Add new and update existing users” → “Add, update and deactivate users missing from Azure AD”",
                "Include guests: no → yes",
                "Limit to: everyone → members of 1 group",
            ]
        );
    }

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
