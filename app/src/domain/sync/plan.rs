//! What a planned import holds: every directory user in exactly one of
//! added, updated, deactivated, skipped or unchanged, and the groups.

use super::mapping::ImportedUser;
use crate::domain::profile::ProfileField;
use crate::domain::user::UserStatus;
use crate::domain::user_input::UserField;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A field the sync can change on a local user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum SyncField {
    AzureObjectId,
    DisplayName,
    Email,
    Profile(ProfileField),
    /// The manager's Azure object id.
    Manager,
    UserPrincipalName,
    Status,
}

impl SyncField {
    /// Every field the sync writes, in the order the pages list them.
    pub fn all() -> impl Iterator<Item = Self> {
        [Self::AzureObjectId, Self::DisplayName, Self::Email]
            .into_iter()
            .chain(ProfileField::all().map(Self::Profile))
            .chain([Self::Manager, Self::UserPrincipalName, Self::Status])
    }

    /// The form field this is, for the fields an admin can also edit.
    pub fn user_field(self) -> Option<UserField> {
        Some(match self {
            Self::DisplayName => UserField::DisplayName,
            Self::Email => UserField::Email,
            Self::Profile(field) => UserField::Profile(field),
            Self::Manager | Self::UserPrincipalName | Self::Status | Self::AzureObjectId => {
                return None;
            }
        })
    }

    /// The same words the Users form uses, and names for the rest.
    pub fn label(self) -> &'static str {
        match (self.user_field(), self) {
            (Some(field), _) => field.label(),
            (None, Self::UserPrincipalName) => "User principal name",
            (None, Self::Status) => "Status",
            (None, Self::Manager) => "Manager",
            (None, _) => "Azure object ID",
        }
    }

    /// The stable name stored in plans.
    pub fn name(self) -> &'static str {
        match self {
            Self::AzureObjectId => "AzureObjectId",
            Self::DisplayName => "DisplayName",
            Self::Email => "Email",
            Self::Profile(field) => field.name(),
            Self::Manager => "Manager",
            Self::UserPrincipalName => "UserPrincipalName",
            Self::Status => "Status",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        ProfileField::from_name(name)
            .map(Self::Profile)
            .or_else(|| Self::all().find(|f| f.name() == name))
    }
}

impl From<SyncField> for String {
    fn from(field: SyncField) -> Self {
        field.name().to_owned()
    }
}

impl TryFrom<String> for SyncField {
    type Error = String;
    fn try_from(name: String) -> Result<Self, String> {
        Self::from_name(&name).ok_or_else(|| format!("unknown field {name:?}"))
    }
}

/// One field, before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: SyncField,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// A local user's synced fields as the preview saw them. Applying a row
/// first compares the user as it is now with this: any difference is a
/// local change made after the preview, which the sync does not overwrite.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncedFields(pub Vec<(SyncField, Option<String>)>);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedAdd {
    pub user: ImportedUser,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedUpdate {
    pub local_id: i64,
    /// The directory's version, which the local user will match.
    pub user: ImportedUser,
    pub changes: Vec<FieldChange>,
    /// The local user when the preview was made.
    #[serde(default)]
    pub before: SyncedFields,
    /// A platform user who never came from Azure AD, linked to it by this
    /// update: the address (theirs) that matched the directory user's
    /// email, one of its SMTP aliases or other mails.
    #[serde(default)]
    pub adopts_by: Option<String>,
    /// The names of the managers a manager change is between, for the
    /// preview (the change itself holds their object ids).
    #[serde(default)]
    pub manager_names: ManagerNames,
    /// An admin's change (undoing a run's deactivations), not Azure AD's:
    /// the status it sets is recorded as the admin's.
    #[serde(default)]
    pub by_admin: bool,
}

/// Who a manager's object id is, old and new, where known.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagerNames {
    pub old: Option<String>,
    pub new: Option<String>,
}

impl PlannedUpdate {
    pub fn relinks(&self) -> bool {
        self.changes
            .iter()
            .any(|c| c.field == SyncField::AzureObjectId)
    }

    pub fn reactivates(&self) -> bool {
        self.changes.iter().any(|c| {
            c.field == SyncField::Status && c.new.as_deref() == Some(UserStatus::Active.as_str())
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeactivationReason {
    GoneFromDirectory,
    OutOfScope,
    DisabledInDirectory,
    /// Now a guest, and guests are not included.
    GuestNotIncluded,
}

impl fmt::Display for DeactivationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::GoneFromDirectory => "No longer in Azure AD",
            Self::OutOfScope => "No longer in the chosen groups",
            Self::DisabledInDirectory => "Account disabled in Azure AD",
            Self::GuestNotIncluded => {
                "A guest account now, and guests are not included (see Settings)"
            }
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedDeactivation {
    pub local_id: i64,
    pub display_name: String,
    pub email: String,
    /// The directory object the local user is linked to.
    pub azure_object_id: String,
    pub reason: DeactivationReason,
    /// Every field written: the status, and for an account disabled in
    /// Azure AD the directory's other changes too.
    #[serde(default)]
    pub changes: Vec<FieldChange>,
    /// The local user when the preview was made.
    #[serde(default)]
    pub before: SyncedFields,
}

/// Why a directory user is not imported, worded for the admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SkipReason {
    GuestExcluded,
    Disabled,
    OutOfScope,
    NoUsableEmail,
    /// Another directory user has the same email; both are skipped.
    DuplicateEmailInDirectory {
        other: String,
    },
    /// The email belongs to a local user who is not this directory user's.
    EmailOwnedByLocalUser {
        owner: String,
    },
    InvalidField {
        field: String,
        message: String,
    },
    /// A linked, active user would be taken out of use, but the overwrite
    /// behavior does not deactivate.
    NotDeactivated {
        reason: DeactivationReason,
    },
    /// An admin deactivated the user (at this time, ms since the epoch); a
    /// sync does not reactivate them.
    DeactivatedByAdmin {
        at: i64,
    },
    /// The directory user's addresses match several platform users.
    MatchesSeveralUsers {
        users: Vec<String>,
    },
    /// Another directory user's addresses match the same platform user.
    SamePlatformUserMatched {
        user: String,
        other: String,
    },
    /// Undoing a deactivation of a user who is active again.
    AlreadyActive,
    /// Undoing a deactivation of a user deactivated again since (by an
    /// admin, or by a later sync): that newer decision stands.
    DeactivatedSince,
    /// A platform user linked to a user of another tenant: this sync cannot
    /// see them, so it does not take them for gone.
    OtherTenant {
        tenant: String,
    },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::GuestExcluded => {
                f.write_str("Guest account; guests are not imported (see Settings)")
            }
            Self::Disabled => f.write_str(
                "Account disabled in Azure AD; disabled accounts are not imported (see Settings)",
            ),
            Self::OutOfScope => f.write_str("Not a member of the groups chosen in Settings"),
            Self::NoUsableEmail => {
                f.write_str("No email: neither mail nor a usable user principal name")
            }
            Self::DuplicateEmailInDirectory { other } => {
                write!(
                    f,
                    "Same email as another Azure AD user, {other}; fix one of them in Azure AD"
                )
            }
            Self::EmailOwnedByLocalUser { owner } => {
                write!(
                    f,
                    "The email already belongs to {owner}, who is not linked to this Azure AD user"
                )
            }
            Self::InvalidField { field, message } => write!(f, "{field}: {message}"),
            Self::NotDeactivated { reason } => write!(
                f,
                "{reason}; not deactivated, because the overwrite behavior does not deactivate (see Settings)"
            ),
            Self::DeactivatedByAdmin { at } => write!(
                f,
                "Deactivated by an admin on {}; a sync does not reactivate them (reactivate them on the Users page to sync them again)",
                crate::domain::format::format_date(*at)
            ),
            Self::MatchesSeveralUsers { users } => write!(
                f,
                "Its addresses match several platform users: {}; not linked to any (make the addresses unique)",
                users.join(" and ")
            ),
            Self::SamePlatformUserMatched { user, other } => write!(
                f,
                "Matches the platform user {user}, whom another Azure AD user, {other}, matches too; neither is linked (fix the addresses in Azure AD)"
            ),
            Self::AlreadyActive => f.write_str("Active again already; nothing to undo"),
            Self::DeactivatedSince => f.write_str(
                "Deactivated again since, by an admin or a later sync; that decision stands",
            ),
            Self::OtherTenant { tenant } => write!(
                f,
                "Linked to a user of another Azure AD tenant ({tenant}); left as it is"
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedUser {
    /// The directory user's object id (for a linked user gone from the
    /// directory: the object it was linked to).
    pub directory_id: String,
    pub display_name: Option<String>,
    /// The email it would have had, or its UPN.
    pub email_or_upn: String,
    pub reason: SkipReason,
}

/// Groups and memberships, by Azure object id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupPlan {
    pub added: Vec<(String, String)>,
    /// (id, old name, new name)
    pub renamed: Vec<(String, String, String)>,
    /// (id, name)
    pub removed: Vec<(String, String)>,
    /// (group id, user id)
    pub memberships_added: Vec<(String, String)>,
    pub memberships_removed: Vec<(String, String)>,
}

impl GroupPlan {
    pub fn has_changes(&self) -> bool {
        !(self.added.is_empty()
            && self.renamed.is_empty()
            && self.removed.is_empty()
            && self.memberships_added.is_empty()
            && self.memberships_removed.is_empty())
    }
}

/// Whether the plan may be applied without an explicit override.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetyCheck {
    pub exceeds_threshold: bool,
    /// Each reason in plain words.
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPlan {
    pub added: Vec<PlannedAdd>,
    pub updated: Vec<PlannedUpdate>,
    pub deactivated: Vec<PlannedDeactivation>,
    pub skipped: Vec<SkippedUser>,
    pub unchanged: u64,
    pub groups: GroupPlan,
    pub safety: SafetyCheck,
    /// How many users the directory returned.
    pub directory_users: u64,
    /// The tenant read.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

impl ImportPlan {
    /// True when applying the plan would change anything.
    pub fn has_changes(&self) -> bool {
        !(self.added.is_empty() && self.updated.is_empty() && self.deactivated.is_empty())
            || self.groups.has_changes()
    }
}

/// A plan as it is stored: its totals, and its rows in the order they are
/// stored and applied ([`PlanEntry::all_of`]). Made by moving the plan's
/// rows, not copying them, so that a large plan is held once while it is
/// written.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPlan {
    pub totals: super::run::RunTotals,
    /// How many users the directory returned.
    pub directory_users: u64,
    /// The tenant read.
    pub tenant_id: Option<String>,
    pub rows: Vec<PlanEntry>,
}

impl From<ImportPlan> for StoredPlan {
    fn from(plan: ImportPlan) -> Self {
        let totals = super::run::RunTotals::of_plan(&plan);
        let ImportPlan {
            added,
            updated,
            deactivated,
            skipped,
            groups,
            directory_users,
            tenant_id,
            ..
        } = plan;
        let mut rows =
            Vec::with_capacity(added.len() + updated.len() + deactivated.len() + skipped.len() + 1);
        rows.extend(added.into_iter().map(PlanEntry::Add));
        rows.extend(updated.into_iter().map(PlanEntry::Update));
        rows.extend(deactivated.into_iter().map(PlanEntry::Deactivate));
        rows.extend(skipped.into_iter().map(PlanEntry::Skip));
        rows.push(PlanEntry::Groups(groups));
        Self {
            totals,
            directory_users,
            tenant_id,
            rows: super::order::in_apply_order(rows),
        }
    }
}

/// One stored row of a plan: what the preview decided for one user, or the
/// groups. Stored as it is and read back as it is, so the apply works on
/// exactly what the admin confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum PlanEntry {
    Add(PlannedAdd),
    Update(PlannedUpdate),
    Deactivate(PlannedDeactivation),
    Skip(SkippedUser),
    Groups(GroupPlan),
}

impl PlanEntry {
    /// The plan's rows, in the order they are stored and applied: users
    /// (changes of existing users in an order that can be applied one at a
    /// time), then the groups (applied together, after the users they
    /// refer to).
    pub fn all_of(plan: &ImportPlan) -> Vec<PlanEntry> {
        StoredPlan::from(plan.clone()).rows
    }

    /// The list the row is shown in; groups have a section of their own.
    pub fn bucket(&self) -> Option<super::view::PlanBucket> {
        use super::view::PlanBucket;
        match self {
            Self::Add(_) => Some(PlanBucket::Added),
            Self::Update(_) => Some(PlanBucket::Updated),
            Self::Deactivate(_) => Some(PlanBucket::Deactivated),
            Self::Skip(_) => Some(PlanBucket::Skipped),
            Self::Groups(_) => None,
        }
    }

    /// The lower-cased text a search of the preview looks in.
    pub fn search_text(&self) -> String {
        let parts: Vec<Option<&str>> = match self {
            Self::Add(PlannedAdd { user: u }) | Self::Update(PlannedUpdate { user: u, .. }) => {
                vec![
                    Some(&u.display_name),
                    Some(&u.email),
                    u.profile.get(ProfileField::Department),
                    u.profile.get(ProfileField::JobTitle),
                ]
            }
            Self::Deactivate(d) => vec![Some(&d.display_name), Some(&d.email)],
            Self::Skip(s) => vec![s.display_name.as_deref(), Some(&s.email_or_upn)],
            Self::Groups(_) => vec![],
        };
        parts
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("\n")
            .to_lowercase()
    }
}
