//! Small builders for the planner's tests.

use super::planner::{DirectorySnapshot, LocalState};
use crate::domain::directory::{DirectoryUser, DirectoryUserType};
use crate::domain::profile::Profile;
use crate::domain::user::{LocalUser, StatusOrigin, UserSource, UserStatus};

pub fn dir_user(id: &str, email: &str) -> DirectoryUser {
    DirectoryUser {
        id: id.to_owned(),
        display_name: Some(format!("User {id}")),
        mail: Some(email.to_owned()),
        user_principal_name: email.to_owned(),
        profile: Profile::default(),
        proxy_addresses: vec![],
        other_mails: vec![],
        manager_id: None,
        account_enabled: Some(true),
        user_type: Some(DirectoryUserType::Member),
    }
}

/// A local user who came from Azure AD, linked to `azure_id`, with the
/// same fields `dir_user(azure_id, email)` maps to.
pub fn linked(local_id: i64, azure_id: &str, email: &str) -> LocalUser {
    LocalUser {
        id: local_id,
        email: email.to_owned(),
        display_name: format!("User {azure_id}"),
        profile: Profile::default(),
        manager_azure_id: None,
        manager: None,
        status: UserStatus::Active,
        status_origin: StatusOrigin::AzureAd,
        status_changed_at: None,
        source: UserSource::AzureAd,
        azure_object_id: Some(azure_id.to_owned()),
        tenant_id: None,
        user_principal_name: Some(email.to_owned()),
        created_at: 1,
        updated_at: 1,
        last_synced_at: Some(1),
    }
}

/// A local user who never came from Azure AD.
pub fn local_only(local_id: i64, email: &str) -> LocalUser {
    LocalUser {
        source: UserSource::Local,
        status_origin: StatusOrigin::Admin,
        azure_object_id: None,
        user_principal_name: None,
        last_synced_at: None,
        display_name: format!("Local {local_id}"),
        ..linked(local_id, "unused", email)
    }
}

pub fn directory(users: Vec<DirectoryUser>) -> DirectorySnapshot {
    DirectorySnapshot {
        users,
        ..DirectorySnapshot::default()
    }
}

pub fn local(users: Vec<LocalUser>) -> LocalState {
    LocalState {
        users,
        ..LocalState::default()
    }
}
