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
use crate::domain::user::{LocalUser, StatusOrigin, UserStatus};
use std::collections::HashMap;

/// The plan that reactivates `deactivated` (the deactivations a run that
/// ended at `run_ended` applied), against the platform as it is now. A user
/// whose status changed since (an admin's decision above all, or a later
/// sync) is left as they are: the undo reverses that run, nothing newer.
pub fn plan_reactivation(
    deactivated: &[PlannedDeactivation],
    local: &LocalState,
    run_ended: i64,
) -> ImportPlan {
    let mut plan = ImportPlan::default();
    let by_id: HashMap<i64, &LocalUser> = local.users.iter().map(|u| (u.id, u)).collect();
    for d in deactivated {
        let Some(user) = by_id.get(&d.local_id).copied() else {
            continue;
        };
        let changed_since = user.status_origin == StatusOrigin::Admin
            || user.status_changed_at.is_some_and(|at| at > run_ended);
        let reason = if user.status == UserStatus::Active {
            Some(SkipReason::AlreadyActive)
        } else if changed_since {
            Some(SkipReason::DeactivatedSince)
        } else {
            None
        };
        if let Some(reason) = reason {
            plan.skipped.push(SkippedUser {
                directory_id: d.azure_object_id.clone(),
                display_name: Some(user.display_name.clone()),
                email_or_upn: user.email.clone(),
                reason,
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
        let deactivated = |id, azure: &str, email: &str, at| LocalUser {
            status: UserStatus::Deactivated,
            status_changed_at: Some(at),
            ..linked(id, azure, email)
        };
        // The run ended at 100.
        let gone = deactivated(1, "a", "ada@contoso.com", 100);
        let back = linked(2, "b", "bo@contoso.com");
        let untouched = deactivated(3, "c", "cy@contoso.com", 50);
        let by_admin = LocalUser {
            status_origin: StatusOrigin::Admin,
            ..deactivated(4, "d", "di@contoso.com", 120)
        };
        let by_a_later_sync = deactivated(5, "e", "ed@contoso.com", 200);
        let state = local(vec![
            gone.clone(),
            back.clone(),
            untouched.clone(),
            by_admin.clone(),
            by_a_later_sync.clone(),
        ]);
        let plan = plan_reactivation(
            &[
                deactivation(&gone),
                deactivation(&back),
                deactivation(&by_admin),
                deactivation(&by_a_later_sync),
            ],
            &state,
            100,
        );
        assert_eq!(
            plan.updated.iter().map(|u| u.local_id).collect::<Vec<_>>(),
            vec![1]
        );
        let reasons: Vec<_> = plan.skipped.iter().map(|s| s.reason.clone()).collect();
        assert_eq!(
            reasons,
            vec![
                SkipReason::AlreadyActive,
                SkipReason::DeactivatedSince,
                SkipReason::DeactivatedSince
            ]
        );
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
        for kept in [&untouched, &by_admin, &by_a_later_sync] {
            assert_eq!(after.users.iter().find(|u| u.id == kept.id), Some(kept));
        }
    }
}
