//! What applying a plan means, as a pure function over the local state.
//! The sync job does the same through the database; this is the definition
//! the property tests check the planner against (apply, plan again: nothing
//! left to do).

use super::mapping::ImportedUser;
use super::plan::{FieldChange, ImportPlan, SyncField};
use super::planner::{LocalGroup, LocalState};
use crate::domain::user::{LocalUser, UserSource, UserStatus};
use std::collections::BTreeSet;

/// A local user's value of a field the sync changes.
pub fn field_value(user: &LocalUser, field: SyncField) -> Option<String> {
    match field {
        SyncField::DisplayName => Some(user.display_name.clone()),
        SyncField::Email => Some(user.email.clone()),
        SyncField::GivenName => user.given_name.clone(),
        SyncField::Surname => user.surname.clone(),
        SyncField::JobTitle => user.job_title.clone(),
        SyncField::Department => user.department.clone(),
        SyncField::OfficeLocation => user.office_location.clone(),
        SyncField::BusinessPhone => user.business_phone.clone(),
        SyncField::MobilePhone => user.mobile_phone.clone(),
        SyncField::EmployeeId => user.employee_id.clone(),
        SyncField::UserPrincipalName => user.user_principal_name.clone(),
        SyncField::Status => Some(user.status.as_str().to_owned()),
        SyncField::AzureObjectId => user.azure_object_id.clone(),
    }
}

/// The first planned change whose old value the user no longer holds: a
/// local edit made after the preview, which the sync must not overwrite.
pub fn first_conflict<'a>(
    user: &LocalUser,
    changes: &'a [FieldChange],
) -> Option<(&'a FieldChange, Option<String>)> {
    changes.iter().find_map(|c| {
        let now = field_value(user, c.field);
        (now != c.old).then_some((c, now))
    })
}

/// Applies planned changes, and only those, to a local user, linking it.
pub fn apply_changes(user: &mut LocalUser, changes: &[FieldChange]) {
    for change in changes {
        let value = change.new.clone();
        match change.field {
            SyncField::DisplayName => user.display_name = value.unwrap_or_default(),
            SyncField::Email => user.email = value.unwrap_or_default(),
            SyncField::GivenName => user.given_name = value,
            SyncField::Surname => user.surname = value,
            SyncField::JobTitle => user.job_title = value,
            SyncField::Department => user.department = value,
            SyncField::OfficeLocation => user.office_location = value,
            SyncField::BusinessPhone => user.business_phone = value,
            SyncField::MobilePhone => user.mobile_phone = value,
            SyncField::EmployeeId => user.employee_id = value,
            SyncField::UserPrincipalName => user.user_principal_name = value,
            SyncField::Status => {
                user.status = value
                    .as_deref()
                    .and_then(UserStatus::parse)
                    .unwrap_or(user.status);
            }
            SyncField::AzureObjectId => user.azure_object_id = value,
        }
    }
    user.source = UserSource::AzureAd;
}

/// A new local user for an imported one.
pub fn new_local_user(imported: &ImportedUser, now: i64) -> LocalUser {
    let mut user = LocalUser {
        id: 0,
        email: String::new(),
        display_name: String::new(),
        given_name: None,
        surname: None,
        job_title: None,
        department: None,
        office_location: None,
        business_phone: None,
        mobile_phone: None,
        employee_id: None,
        status: UserStatus::Active,
        source: UserSource::AzureAd,
        azure_object_id: None,
        user_principal_name: None,
        created_at: now,
        updated_at: now,
        last_synced_at: Some(now),
    };
    write_fields(&mut user, imported);
    user
}

/// Writes an imported user's fields onto a local user, linking it.
pub fn write_fields(user: &mut LocalUser, imported: &ImportedUser) {
    user.email = imported.email.clone();
    user.display_name = imported.display_name.clone();
    user.given_name = imported.given_name.clone();
    user.surname = imported.surname.clone();
    user.job_title = imported.job_title.clone();
    user.department = imported.department.clone();
    user.office_location = imported.office_location.clone();
    user.business_phone = imported.business_phone.clone();
    user.mobile_phone = imported.mobile_phone.clone();
    user.employee_id = imported.employee_id.clone();
    user.user_principal_name = Some(imported.user_principal_name.clone());
    user.azure_object_id = Some(imported.azure_object_id.clone());
    user.source = UserSource::AzureAd;
    user.status = imported.status;
}

/// The local state after `plan`, at time `now` (new users get ids above
/// the highest one).
pub fn apply_plan(local: &LocalState, plan: &ImportPlan, now: i64) -> LocalState {
    let mut next = local.clone();
    for update in &plan.updated {
        if let Some(user) = next.users.iter_mut().find(|u| u.id == update.local_id) {
            apply_changes(user, &update.changes);
            user.updated_at = now;
            user.last_synced_at = Some(now);
        }
    }
    for deactivation in &plan.deactivated {
        if let Some(user) = next
            .users
            .iter_mut()
            .find(|u| u.id == deactivation.local_id)
        {
            user.status = UserStatus::Deactivated;
            user.updated_at = now;
            user.last_synced_at = Some(now);
        }
    }
    let first_new_id = next.users.iter().map(|u| u.id).max().unwrap_or(0) + 1;
    for (next_id, add) in (first_new_id..).zip(&plan.added) {
        next.users.push(LocalUser {
            id: next_id,
            ..new_local_user(&add.user, now)
        });
    }

    let groups = &plan.groups;
    for (id, name) in &groups.added {
        next.groups.push(LocalGroup {
            azure_object_id: id.clone(),
            name: name.clone(),
            member_azure_ids: BTreeSet::new(),
        });
    }
    for (id, _, name) in &groups.renamed {
        if let Some(g) = next.groups.iter_mut().find(|g| &g.azure_object_id == id) {
            g.name = name.clone();
        }
    }
    next.groups.retain(|g| {
        !groups
            .removed
            .iter()
            .any(|(id, _)| id == &g.azure_object_id)
    });
    for (group, user) in &groups.memberships_added {
        if let Some(g) = next.groups.iter_mut().find(|g| &g.azure_object_id == group) {
            g.member_azure_ids.insert(user.clone());
        }
    }
    for (group, user) in &groups.memberships_removed {
        if let Some(g) = next.groups.iter_mut().find(|g| &g.azure_object_id == group) {
            g.member_azure_ids.remove(user);
        }
    }
    next.last_directory_count = Some(plan.directory_users);
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sync::fixtures::linked;

    #[test]
    fn a_local_edit_after_the_preview_is_a_conflict() {
        let mut user = linked(1, "a", "ada@contoso.com");
        let changes = vec![FieldChange {
            field: SyncField::JobTitle,
            old: None,
            new: Some("Countess".into()),
        }];
        assert!(first_conflict(&user, &changes).is_none());
        user.job_title = Some("Analyst".into());
        let (change, now) = first_conflict(&user, &changes).unwrap();
        assert_eq!(
            (change.field, now.as_deref()),
            (SyncField::JobTitle, Some("Analyst"))
        );
    }

    #[test]
    fn only_the_planned_fields_change() {
        let mut user = linked(1, "a", "ada@contoso.com");
        user.department = Some("Edited locally".into());
        apply_changes(
            &mut user,
            &[
                FieldChange {
                    field: SyncField::JobTitle,
                    old: None,
                    new: Some("Countess".into()),
                },
                FieldChange {
                    field: SyncField::Status,
                    old: Some("active".into()),
                    new: Some("deactivated".into()),
                },
            ],
        );
        assert_eq!(user.job_title.as_deref(), Some("Countess"));
        assert_eq!(user.status, UserStatus::Deactivated);
        assert_eq!(user.department.as_deref(), Some("Edited locally"));
    }
}
