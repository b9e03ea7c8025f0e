//! Undoing a run's deactivations: a plan of its own, previewed, confirmed
//! and recorded like any other, that reactivates the users the run
//! deactivated (those still deactivated) and changes nothing else. The
//! reactivation is an admin's decision, and is recorded as one.

use super::mapping::ImportedUser;
use super::plan::{
    FieldChange, ImportPlan, PlannedDeactivation, PlannedUpdate, SkipReason, SkippedUser,
    SyncField, SyncedFields,
};
use super::planner::LocalState;
use crate::domain::user::{LocalUser, UserStatus};

/// The plan that reactivates `deactivated` (the deactivations a run
/// applied), against the platform as it is now.
pub fn plan_reactivation(deactivated: &[PlannedDeactivation], local: &LocalState) -> ImportPlan {
    let mut plan = ImportPlan::default();
    for d in deactivated {
        let Some(user) = local.users.iter().find(|u| u.id == d.local_id) else {
            continue;
        };
        if user.status == UserStatus::Active {
            plan.skipped.push(SkippedUser {
                directory_id: d.azure_object_id.clone(),
                display_name: Some(user.display_name.clone()),
                email_or_upn: user.email.clone(),
                reason: SkipReason::AlreadyActive,
            });
            continue;
        }
        plan.updated.push(PlannedUpdate {
            local_id: user.id,
            user: as_imported(user),
            changes: vec![FieldChange {
                field: SyncField::Status,
                old: Some(UserStatus::Deactivated.as_str().to_owned()),
                new: Some(UserStatus::Active.as_str().to_owned()),
            }],
            before: SyncedFields::of(user),
            adopts_by: None,
            manager_names: Default::default(),
            by_admin: true,
        });
    }
    plan
}

/// A platform user as the row's "directory version": itself, active.
fn as_imported(user: &LocalUser) -> ImportedUser {
    ImportedUser {
        azure_object_id: user.azure_object_id.clone().unwrap_or_default(),
        email: user.email.clone(),
        display_name: user.display_name.clone(),
        profile: user.profile.clone(),
        manager_azure_id: user.manager_azure_id.clone(),
        user_principal_name: user.user_principal_name.clone().unwrap_or_default(),
        status: UserStatus::Active,
        tenant_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sync::apply::apply_plan;
    use crate::domain::sync::fixtures::{linked, local};
    use crate::domain::sync::plan::DeactivationReason;
    use crate::domain::user::StatusOrigin;

    fn deactivation(user: &LocalUser) -> PlannedDeactivation {
        PlannedDeactivation {
            local_id: user.id,
            display_name: user.display_name.clone(),
            email: user.email.clone(),
            azure_object_id: user.azure_object_id.clone().unwrap(),
            reason: DeactivationReason::GoneFromDirectory,
            changes: vec![],
            before: SyncedFields::default(),
        }
    }

    #[test]
    fn reactivates_exactly_the_runs_deactivations_still_in_force() {
        let mut gone = linked(1, "a", "ada@contoso.com");
        gone.status = UserStatus::Deactivated;
        let back = linked(2, "b", "bo@contoso.com");
        let mut untouched = linked(3, "c", "cy@contoso.com");
        untouched.status = UserStatus::Deactivated;
        let state = local(vec![gone.clone(), back.clone(), untouched.clone()]);
        let plan = plan_reactivation(&[deactivation(&gone), deactivation(&back)], &state);
        assert_eq!(
            plan.updated.iter().map(|u| u.local_id).collect::<Vec<_>>(),
            vec![1]
        );
        assert_eq!(plan.skipped.len(), 1);
        assert_eq!(plan.skipped[0].reason, SkipReason::AlreadyActive);
        assert!(plan.deactivated.is_empty() && plan.added.is_empty());
        assert!(!plan.groups.has_changes());

        let after = apply_plan(&state, &plan, 9);
        let ada = after.users.iter().find(|u| u.id == 1).unwrap();
        assert_eq!(ada.status, UserStatus::Active);
        assert_eq!(
            ada.status_origin,
            StatusOrigin::Admin,
            "an admin's decision"
        );
        assert_eq!(ada.email, gone.email);
        assert_eq!(ada.tenant_id, gone.tenant_id);
        assert_eq!(after.users.iter().find(|u| u.id == 3), Some(&untouched));
    }
}
