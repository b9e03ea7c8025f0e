//! The platform's own users: what the Users page lists and the sync changes.

use crate::domain::profile::Profile;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Whether a user can use the platform. Deactivation never deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UserStatus {
    Active,
    Deactivated,
}

/// Where a user came from. Local users are never changed by a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UserSource {
    Local,
    AzureAd,
}

/// Who last set a user's status. A sync never reactivates a user an admin
/// deactivated: that decision stays until an admin reverses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StatusOrigin {
    AzureAd,
    Admin,
}

impl StatusOrigin {
    /// The value stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AzureAd => "azure_ad",
            Self::Admin => "admin",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        match stored {
            "azure_ad" => Some(Self::AzureAd),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// A user's manager, as the pages show it: the platform user the stored
/// Azure id resolves to, when that user has been imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagerLink {
    pub user_id: i64,
    pub display_name: String,
}

impl UserStatus {
    /// The value stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Deactivated => "deactivated",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        match stored {
            "active" => Some(Self::Active),
            "deactivated" => Some(Self::Deactivated),
            _ => None,
        }
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Active => "Active",
            Self::Deactivated => "Deactivated",
        })
    }
}

impl UserSource {
    /// The value stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::AzureAd => "azure_ad",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        match stored {
            "local" => Some(Self::Local),
            "azure_ad" => Some(Self::AzureAd),
            _ => None,
        }
    }
}

impl fmt::Display for UserSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Local => "Local",
            Self::AzureAd => "Azure AD",
        })
    }
}

/// A user of the platform, as stored. Times are milliseconds since the Unix
/// epoch (UTC): one representation on both database engines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalUser {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    #[serde(flatten)]
    pub profile: Profile,
    /// The manager's Azure AD object id, kept even before the manager is
    /// imported: the link resolves as soon as they are.
    pub manager_azure_id: Option<String>,
    /// The platform user `manager_azure_id` resolves to, when read for a
    /// page (not a stored column: a join).
    #[serde(default)]
    pub manager: Option<ManagerLink>,
    pub status: UserStatus,
    /// Who set `status`, and when.
    pub status_origin: StatusOrigin,
    pub status_changed_at: Option<i64>,
    pub source: UserSource,
    /// The Azure AD object id: the only stable key to the directory.
    pub azure_object_id: Option<String>,
    /// The tenant `azure_object_id` belongs to: an object id means nothing
    /// in another tenant.
    pub tenant_id: Option<String>,
    pub user_principal_name: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_synced_at: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip() {
        for s in [UserStatus::Active, UserStatus::Deactivated] {
            assert_eq!(UserStatus::parse(s.as_str()), Some(s));
        }
        for s in [UserSource::Local, UserSource::AzureAd] {
            assert_eq!(UserSource::parse(s.as_str()), Some(s));
        }
        for s in [StatusOrigin::AzureAd, StatusOrigin::Admin] {
            assert_eq!(StatusOrigin::parse(s.as_str()), Some(s));
        }
        assert_eq!(UserStatus::parse("deleted"), None);
        assert_eq!(UserSource::parse("ldap"), None);
    }

    #[test]
    fn display_names_are_for_people() {
        assert_eq!(UserSource::AzureAd.to_string(), "Azure AD");
        assert_eq!(UserStatus::Deactivated.to_string(), "Deactivated");
    }
}
