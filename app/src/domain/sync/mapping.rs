//! From a directory user to the fields of a local user: the email rule,
//! the display-name fallback, and the same limits the Users form enforces.

use crate::domain::directory::DirectoryUser;
use crate::domain::email::Email;
use crate::domain::user::{LocalUser, UserStatus};
use crate::domain::user_input::UserField;
use serde::{Deserialize, Serialize};

use super::plan::{FieldChange, SkipReason, SyncField};

/// A directory user as the platform will hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedUser {
    pub azure_object_id: String,
    pub email: String,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub office_location: Option<String>,
    pub business_phone: Option<String>,
    pub mobile_phone: Option<String>,
    pub employee_id: Option<String>,
    pub user_principal_name: String,
    pub status: UserStatus,
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

fn check(field: UserField, value: &Option<String>) -> Result<(), SkipReason> {
    let Some(v) = value else { return Ok(()) };
    if v.chars().count() > field.max_len() {
        return Err(SkipReason::InvalidField {
            field: field.label().to_owned(),
            message: format!("longer than {} characters", field.max_len()),
        });
    }
    if v.chars().any(char::is_control) {
        return Err(SkipReason::InvalidField {
            field: field.label().to_owned(),
            message: "contains control characters".into(),
        });
    }
    Ok(())
}

/// Maps a directory user, or says why it cannot be imported.
pub fn import_user(user: &DirectoryUser) -> Result<ImportedUser, SkipReason> {
    let email = email_of(user).ok_or(SkipReason::NoUsableEmail)?;
    let display_name = user
        .display_name
        .clone()
        .or_else(|| {
            let joined = [user.given_name.as_deref(), user.surname.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            Some(joined).filter(|j| !j.trim().is_empty())
        })
        .unwrap_or_else(|| email.as_str().to_owned());
    let imported = ImportedUser {
        azure_object_id: user.id.clone(),
        email: email.as_str().to_owned(),
        display_name,
        given_name: user.given_name.clone(),
        surname: user.surname.clone(),
        job_title: user.job_title.clone(),
        department: user.department.clone(),
        office_location: user.office_location.clone(),
        business_phone: user.business_phones.first().cloned(),
        mobile_phone: user.mobile_phone.clone(),
        employee_id: user.employee_id.clone(),
        user_principal_name: user.user_principal_name.clone(),
        status: if user.account_enabled == Some(false) {
            UserStatus::Deactivated
        } else {
            UserStatus::Active
        },
    };
    check(UserField::DisplayName, &Some(imported.display_name.clone()))?;
    check(UserField::GivenName, &imported.given_name)?;
    check(UserField::Surname, &imported.surname)?;
    check(UserField::JobTitle, &imported.job_title)?;
    check(UserField::Department, &imported.department)?;
    check(UserField::OfficeLocation, &imported.office_location)?;
    check(UserField::BusinessPhone, &imported.business_phone)?;
    check(UserField::MobilePhone, &imported.mobile_phone)?;
    check(UserField::EmployeeId, &imported.employee_id)?;
    Ok(imported)
}

/// Every field where `local` differs from `imported`, old -> new.
pub fn changes(local: &LocalUser, imported: &ImportedUser) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut diff = |field: SyncField, old: Option<&str>, new: Option<&str>| {
        if old != new {
            out.push(FieldChange {
                field,
                old: old.map(str::to_owned),
                new: new.map(str::to_owned),
            });
        }
    };
    diff(
        SyncField::AzureObjectId,
        local.azure_object_id.as_deref(),
        Some(&imported.azure_object_id),
    );
    diff(
        SyncField::DisplayName,
        Some(&local.display_name),
        Some(&imported.display_name),
    );
    diff(SyncField::Email, Some(&local.email), Some(&imported.email));
    diff(
        SyncField::GivenName,
        local.given_name.as_deref(),
        imported.given_name.as_deref(),
    );
    diff(
        SyncField::Surname,
        local.surname.as_deref(),
        imported.surname.as_deref(),
    );
    diff(
        SyncField::JobTitle,
        local.job_title.as_deref(),
        imported.job_title.as_deref(),
    );
    diff(
        SyncField::Department,
        local.department.as_deref(),
        imported.department.as_deref(),
    );
    diff(
        SyncField::OfficeLocation,
        local.office_location.as_deref(),
        imported.office_location.as_deref(),
    );
    diff(
        SyncField::BusinessPhone,
        local.business_phone.as_deref(),
        imported.business_phone.as_deref(),
    );
    diff(
        SyncField::MobilePhone,
        local.mobile_phone.as_deref(),
        imported.mobile_phone.as_deref(),
    );
    diff(
        SyncField::EmployeeId,
        local.employee_id.as_deref(),
        imported.employee_id.as_deref(),
    );
    diff(
        SyncField::UserPrincipalName,
        local.user_principal_name.as_deref(),
        Some(&imported.user_principal_name),
    );
    diff(
        SyncField::Status,
        Some(local.status.as_str()),
        Some(imported.status.as_str()),
    );
    out
}
