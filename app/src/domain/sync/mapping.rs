//! From a directory user to the fields of a local user: the email rule,
//! the display-name fallback, and the same limits the Users form enforces.

use crate::domain::directory::DirectoryUser;
use crate::domain::email::Email;
use crate::domain::profile::{PROFILE, Profile, ProfileField, ValueKind, date_of_graph_timestamp};
use crate::domain::user::{LocalUser, UserStatus};
use crate::domain::user_input::UserField;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use super::apply::field_value;
use super::plan::{FieldChange, SkipReason, SyncField};

/// A directory user as the platform will hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedUser {
    pub azure_object_id: String,
    pub email: String,
    pub display_name: String,
    #[serde(flatten)]
    pub profile: Profile,
    #[serde(default)]
    pub manager_azure_id: Option<String>,
    pub user_principal_name: String,
    pub status: UserStatus,
    /// The tenant the user was read from.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

/// The email a directory user gets: `mail`, else the UPN unless it is a
/// guest's `#EXT#` name; `None` when neither is a usable address.
pub fn email_of(user: &DirectoryUser) -> Option<Email> {
    let from_mail = user.mail.as_deref().and_then(|m| Email::parse(m).ok());
    from_mail.or_else(|| {
        (!user.user_principal_name.contains("#EXT#"))
            .then(|| Email::parse(&user.user_principal_name).ok())
            .flatten()
    })
}

/// Every address a directory user answers to, normalised: the email it
/// gets, its SMTP proxy addresses and its other mails. A platform user
/// holding any of them is the same person.
pub fn addresses_of(user: &DirectoryUser) -> BTreeSet<String> {
    email_of(user)
        .map(|e| e.normalized())
        .into_iter()
        .chain(
            user.smtp_aliases()
                .chain(user.other_mails.iter().map(String::as_str))
                .filter_map(|a| Email::parse(a).ok())
                .map(|e| e.normalized()),
        )
        .collect()
}

fn invalid(field: &str, message: String) -> SkipReason {
    SkipReason::InvalidField {
        field: field.to_owned(),
        message,
    }
}

/// The profile as the platform keeps it: dates as days, every value within
/// its limit.
fn import_profile(raw: &Profile) -> Result<Profile, SkipReason> {
    let mut profile = Profile::default();
    for spec in PROFILE {
        let Some(value) = raw.get(spec.field) else {
            continue;
        };
        let value = match spec.kind {
            ValueKind::Date => date_of_graph_timestamp(value)
                .ok_or_else(|| invalid(spec.label, format!("{value:?} is not a date")))?,
            ValueKind::Text | ValueKind::List => value.to_owned(),
        };
        spec.field
            .check(&value)
            .map_err(|message| invalid(spec.label, message))?;
        profile.set(spec.field, Some(value));
    }
    Ok(profile)
}

/// Maps a directory user read from `tenant`, or says why it cannot be
/// imported.
pub fn import_user(user: &DirectoryUser, tenant: Option<&str>) -> Result<ImportedUser, SkipReason> {
    let email = email_of(user).ok_or(SkipReason::NoUsableEmail)?;
    let profile = import_profile(&user.profile)?;
    let display_name = user
        .display_name
        .clone()
        .or_else(|| {
            let joined = [
                profile.get(ProfileField::GivenName),
                profile.get(ProfileField::Surname),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
            Some(joined).filter(|j| !j.trim().is_empty())
        })
        .unwrap_or_else(|| email.as_str().to_owned());
    let name_field = UserField::DisplayName;
    if display_name.chars().count() > name_field.max_len() {
        return Err(invalid(
            name_field.label(),
            format!("longer than {} characters", name_field.max_len()),
        ));
    }
    if display_name.chars().any(char::is_control) {
        return Err(invalid(
            name_field.label(),
            "contains control characters".into(),
        ));
    }
    Ok(ImportedUser {
        azure_object_id: user.id.clone(),
        email: email.as_str().to_owned(),
        display_name,
        profile,
        manager_azure_id: user.manager_id.clone(),
        user_principal_name: user.user_principal_name.clone(),
        status: if user.account_enabled == Some(false) {
            UserStatus::Deactivated
        } else {
            UserStatus::Active
        },
        tenant_id: tenant.map(str::to_owned),
    })
}

/// An imported user's value of a field the sync writes.
pub fn imported_value(imported: &ImportedUser, field: SyncField) -> Option<String> {
    match field {
        SyncField::AzureObjectId => Some(imported.azure_object_id.clone()),
        SyncField::DisplayName => Some(imported.display_name.clone()),
        SyncField::Email => Some(imported.email.clone()),
        SyncField::Profile(f) => imported.profile.get(f).map(str::to_owned),
        SyncField::Manager => imported.manager_azure_id.clone(),
        SyncField::UserPrincipalName => Some(imported.user_principal_name.clone()),
        SyncField::Status => Some(imported.status.as_str().to_owned()),
    }
}

/// Every field where `local` differs from `imported`, old -> new.
pub fn changes(local: &LocalUser, imported: &ImportedUser) -> Vec<FieldChange> {
    SyncField::all()
        .filter_map(|field| {
            let old = field_value(local, field);
            let new = imported_value(imported, field);
            (old != new).then_some(FieldChange { field, old, new })
        })
        .collect()
}
