//! What applying a plan means, as a pure function over the local state.
//! The sync job does the same through the database; this is the definition
//! the property tests check the planner against (apply, plan again: nothing
//! left to do).

use super::mapping::ImportedUser;
use super::plan::ImportPlan;
use super::planner::{LocalGroup, LocalState};
use crate::domain::user::{LocalUser, UserSource, UserStatus};
use std::collections::BTreeSet;

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
            write_fields(user, &update.user);
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
        let mut user = LocalUser {
            id: next_id,
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
        write_fields(&mut user, &add.user);
        next.users.push(user);
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
