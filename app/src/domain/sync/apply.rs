//! What applying a plan means. [`decide`] is the one place that says what
//! becomes of a stored row, given the row as it is now: the SQL apply calls
//! it for every row, and [`apply_plan`] (the model the property tests check
//! the planner against) calls it too.

use super::batch_facts::EmailHolder;
use super::mapping::ImportedUser;
use super::plan::{
    FieldChange, ImportPlan, PlanEntry, PlannedAdd, PlannedDeactivation, PlannedUpdate, SyncField,
    SyncedFields,
};
use super::planner::{LocalGroup, LocalState};
use crate::domain::email::normalize_email;
use crate::domain::user::{LocalUser, StatusOrigin, UserSource, UserStatus};
use std::collections::BTreeSet;

/// A local user's value of a field the sync changes.
pub fn field_value(user: &LocalUser, field: SyncField) -> Option<String> {
    match field {
        SyncField::DisplayName => Some(user.display_name.clone()),
        SyncField::Email => Some(user.email.clone()),
        SyncField::Profile(f) => user.profile.get(f).map(str::to_owned),
        SyncField::Manager => user.manager_azure_id.clone(),
        SyncField::UserPrincipalName => user.user_principal_name.clone(),
        SyncField::Status => Some(user.status.as_str().to_owned()),
        SyncField::AzureObjectId => user.azure_object_id.clone(),
    }
}

impl SyncedFields {
    pub fn of(user: &LocalUser) -> Self {
        Self(
            SyncField::all()
                .map(|f| (f, field_value(user, f)))
                .collect(),
        )
    }

    /// The first synced field whose value `user` no longer holds, with the
    /// value it holds now.
    pub fn first_difference(&self, user: &LocalUser) -> Option<(SyncField, Option<String>)> {
        self.0.iter().find_map(|(field, before)| {
            let now = field_value(user, *field);
            (&now != before).then_some((*field, now))
        })
    }
}

/// Applies planned changes, and only those, to a local user read from
/// `tenant`, linking it. A status the sync sets is Azure AD's.
pub fn apply_changes(
    user: &mut LocalUser,
    changes: &[FieldChange],
    tenant: Option<&str>,
    now: i64,
) {
    for change in changes {
        let value = change.new.clone();
        match change.field {
            SyncField::DisplayName => user.display_name = value.unwrap_or_default(),
            SyncField::Email => user.email = value.unwrap_or_default(),
            SyncField::Profile(f) => user.profile.set(f, value),
            SyncField::Manager => user.manager_azure_id = value,
            SyncField::UserPrincipalName => user.user_principal_name = value,
            SyncField::Status => {
                user.status = value
                    .as_deref()
                    .and_then(UserStatus::parse)
                    .unwrap_or(user.status);
                user.status_origin = StatusOrigin::AzureAd;
                user.status_changed_at = Some(now);
            }
            SyncField::AzureObjectId => user.azure_object_id = value,
        }
    }
    if tenant.is_some() {
        user.tenant_id = tenant.map(str::to_owned);
    }
    user.source = UserSource::AzureAd;
}

/// A new local user for an imported one.
pub fn new_local_user(imported: &ImportedUser, now: i64) -> LocalUser {
    LocalUser {
        id: 0,
        email: imported.email.clone(),
        display_name: imported.display_name.clone(),
        profile: imported.profile.clone(),
        manager_azure_id: imported.manager_azure_id.clone(),
        manager: None,
        status: imported.status,
        status_origin: StatusOrigin::AzureAd,
        status_changed_at: Some(now),
        source: UserSource::AzureAd,
        azure_object_id: Some(imported.azure_object_id.clone()),
        tenant_id: imported.tenant_id.clone(),
        user_principal_name: Some(imported.user_principal_name.clone()),
        created_at: now,
        updated_at: now,
        last_synced_at: Some(now),
    }
}

/// A row of the plan that writes a user.
#[derive(Debug, Clone, Copy)]
pub enum UserChange<'a> {
    Add(&'a PlannedAdd),
    Update(&'a PlannedUpdate),
    Deactivate(&'a PlannedDeactivation),
}

impl<'a> UserChange<'a> {
    /// The entry's user change, if it writes a user.
    pub fn of(entry: &'a PlanEntry) -> Option<Self> {
        match entry {
            PlanEntry::Add(a) => Some(Self::Add(a)),
            PlanEntry::Update(u) => Some(Self::Update(u)),
            PlanEntry::Deactivate(d) => Some(Self::Deactivate(d)),
            PlanEntry::Skip(_) | PlanEntry::Groups(_) => None,
        }
    }

    /// The local user the row changes (none for an addition).
    pub fn local_id(self) -> Option<i64> {
        match self {
            Self::Add(_) => None,
            Self::Update(u) => Some(u.local_id),
            Self::Deactivate(d) => Some(d.local_id),
        }
    }

    /// The email address the row gives a user, when it gives one: whoever
    /// else holds it now makes the row a conflict.
    pub fn email_taken(self) -> Option<&'a str> {
        let changes = match self {
            Self::Add(a) => return Some(&a.user.email),
            Self::Update(u) => &u.changes,
            Self::Deactivate(d) => &d.changes,
        };
        changes
            .iter()
            .find(|c| c.field == SyncField::Email)
            .and_then(|c| c.new.as_deref())
    }

    /// The Azure AD user a new local user is linked to.
    pub fn links_object(self) -> Option<&'a str> {
        match self {
            Self::Add(a) => Some(&a.user.azure_object_id),
            Self::Update(_) | Self::Deactivate(_) => None,
        }
    }
}

/// What the database holds now, for one row.
#[derive(Debug, Clone, Default)]
pub struct RowFacts {
    /// The local user the row changes, as it is now (`None`: deleted).
    pub user: Option<LocalUser>,
    /// Who else holds the address the row gives, in the admin's words.
    pub email_holder: Option<String>,
    /// A local user is already linked to the Azure AD user an addition links.
    pub object_linked: bool,
}

/// What becomes of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // one per row, used at once: not worth a box
pub enum RowDecision {
    /// Write this user (with id 0: insert it).
    Write(LocalUser),
    /// Left as it is: changed since the preview, or taken by another change.
    Conflict(String),
    /// Cannot be applied at all.
    Fail(String),
}

/// Decides one row of a confirmed plan against the database as it is now.
/// A user changed locally since the preview (any synced field) is not
/// overwritten; an address someone else now holds is not taken.
pub fn decide(change: UserChange<'_>, facts: &RowFacts, now: i64) -> RowDecision {
    if let Some(holder) = &facts.email_holder {
        let email = change.email_taken().unwrap_or_default();
        return RowDecision::Conflict(format!("The email {email} now belongs to {holder}."));
    }
    let (before, changes, tenant) = match change {
        UserChange::Add(add) => {
            if facts.object_linked {
                return RowDecision::Conflict(
                    "This Azure AD user was linked by another change.".into(),
                );
            }
            return RowDecision::Write(new_local_user(&add.user, now));
        }
        UserChange::Update(u) => (&u.before, &u.changes, u.user.tenant_id.as_deref()),
        UserChange::Deactivate(d) => (&d.before, &d.changes, None),
    };
    let Some(current) = &facts.user else {
        return RowDecision::Fail("The user was deleted after the preview.".into());
    };
    if let Some((field, now_value)) = before.first_difference(current) {
        let what = match change {
            UserChange::Deactivate(_) => "not deactivated",
            _ => "not overwritten",
        };
        return RowDecision::Conflict(format!(
            "{} was changed to “{}” after the preview; {what}.",
            field.label(),
            now_value.unwrap_or_default()
        ));
    }
    // An admin deactivated them after the preview: a sync does not undo that.
    let reactivates = changes.iter().any(|c| {
        c.field == SyncField::Status && c.new.as_deref() == Some(UserStatus::Active.as_str())
    });
    let by_admin = matches!(change, UserChange::Update(u) if u.by_admin);
    if reactivates
        && !by_admin
        && current.status == UserStatus::Deactivated
        && current.status_origin == StatusOrigin::Admin
    {
        return RowDecision::Conflict(
            "An admin deactivated this user after the preview; not reactivated.".into(),
        );
    }
    let mut user = current.clone();
    apply_changes(&mut user, changes, tenant, now);
    if by_admin {
        user.status_origin = StatusOrigin::Admin;
    }
    user.updated_at = now;
    user.last_synced_at = Some(now);
    RowDecision::Write(user)
}

/// Who holds `email` among `users`, other than `except`, in the admin's words.
pub fn email_holder(users: &[LocalUser], email: &str, except: Option<i64>) -> Option<String> {
    let key = normalize_email(email);
    users
        .iter()
        .find(|u| Some(u.id) != except && normalize_email(&u.email) == key)
        .map(|u| EmailHolder::of(u).in_words())
}

/// The local state after `plan`, at time `now`, row by row through
/// [`decide`] in the order the apply job takes them (updates, then
/// deactivations, then additions; new users get ids above the highest one).
pub fn apply_plan(local: &LocalState, plan: &ImportPlan, now: i64) -> LocalState {
    let mut next = local.clone();
    let entries = PlanEntry::all_of(plan);
    for phase in super::order::APPLY_PHASES {
        for change in entries
            .iter()
            .filter(|e| e.bucket().is_some_and(|b| phase.contains(&b)))
            .filter_map(UserChange::of)
        {
            let facts = RowFacts {
                user: change
                    .local_id()
                    .and_then(|id| next.users.iter().find(|u| u.id == id).cloned()),
                email_holder: change
                    .email_taken()
                    .and_then(|e| email_holder(&next.users, e, change.local_id())),
                object_linked: change.links_object().is_some_and(|id| {
                    next.users
                        .iter()
                        .any(|u| u.azure_object_id.as_deref() == Some(id))
                }),
            };
            if let RowDecision::Write(mut user) = decide(change, &facts, now) {
                match next
                    .users
                    .iter_mut()
                    .find(|u| u.id == user.id && user.id != 0)
                {
                    Some(existing) => {
                        // As in the database, memberships belong to the
                        // local user: a relink carries them over.
                        if let (Some(old), Some(new)) = (
                            existing.azure_object_id.clone(),
                            user.azure_object_id.clone(),
                        ) && old != new
                        {
                            for g in &mut next.groups {
                                if g.member_azure_ids.remove(&old) {
                                    g.member_azure_ids.insert(new.clone());
                                }
                            }
                        }
                        *existing = user
                    }
                    None => {
                        user.id = next.users.iter().map(|u| u.id).max().unwrap_or(0) + 1;
                        next.users.push(user);
                    }
                }
            }
        }
    }
    apply_group_plan(&mut next, &plan.groups);
    next.last_directory_count = Some(plan.directory_users);
    next.last_directory_tenant = plan.tenant_id.clone();
    next
}

/// The group changes of a plan, on a local state.
pub fn apply_group_plan(next: &mut LocalState, groups: &super::plan::GroupPlan) {
    for (id, name) in &groups.added {
        if !next.groups.iter().any(|g| &g.azure_object_id == id) {
            next.groups.push(LocalGroup {
                azure_object_id: id.clone(),
                name: name.clone(),
                member_azure_ids: BTreeSet::new(),
            });
        }
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
    let linked: BTreeSet<&str> = next
        .users
        .iter()
        .filter_map(|u| u.azure_object_id.as_deref())
        .collect();
    let mut added = Vec::new();
    for (group, user) in &groups.memberships_added {
        // As in the database: a membership needs both ends.
        if linked.contains(user.as_str()) {
            added.push((group, user));
        }
    }
    for (group, user) in added {
        if let Some(g) = next.groups.iter_mut().find(|g| &g.azure_object_id == group) {
            g.member_azure_ids.insert(user.clone());
        }
    }
    for (group, user) in &groups.memberships_removed {
        if let Some(g) = next.groups.iter_mut().find(|g| &g.azure_object_id == group) {
            g.member_azure_ids.remove(user);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::profile::{Profile, ProfileField};
    use crate::domain::sync::fixtures::linked;
    use crate::domain::sync::plan::DeactivationReason;

    fn title_update(user: &LocalUser) -> PlannedUpdate {
        PlannedUpdate {
            local_id: user.id,
            user: ImportedUser {
                azure_object_id: "a".into(),
                email: user.email.clone(),
                display_name: user.display_name.clone(),
                profile: Profile::default().with(ProfileField::JobTitle, "Countess"),
                manager_azure_id: None,
                tenant_id: None,
                user_principal_name: user.email.clone(),
                status: UserStatus::Active,
            },
            changes: vec![FieldChange {
                field: SyncField::Profile(ProfileField::JobTitle),
                old: None,
                new: Some("Countess".into()),
            }],
            before: SyncedFields::of(user),
            adopts_by: None,
            manager_names: Default::default(),
            by_admin: false,
        }
    }

    fn facts(user: &LocalUser) -> RowFacts {
        RowFacts {
            user: Some(user.clone()),
            ..RowFacts::default()
        }
    }

    #[test]
    fn a_local_edit_after_the_preview_is_a_conflict() {
        let mut user = linked(1, "a", "ada@contoso.com");
        let update = title_update(&user);
        assert!(matches!(
            decide(UserChange::Update(&update), &facts(&user), 5),
            RowDecision::Write(u) if u.profile.get(ProfileField::JobTitle) == Some("Countess") && u.updated_at == 5
        ));
        user.profile
            .set(ProfileField::JobTitle, Some("Analyst".into()));
        assert_eq!(
            decide(UserChange::Update(&update), &facts(&user), 5),
            RowDecision::Conflict(
                "Job title was changed to “Analyst” after the preview; not overwritten.".into()
            )
        );
    }

    #[test]
    fn a_deactivation_checks_every_synced_field_not_only_the_status() {
        let mut user = linked(1, "a", "ada@contoso.com");
        let deactivation = PlannedDeactivation {
            local_id: 1,
            display_name: user.display_name.clone(),
            email: user.email.clone(),
            azure_object_id: "a".into(),
            reason: DeactivationReason::GoneFromDirectory,
            changes: vec![FieldChange {
                field: SyncField::Status,
                old: Some("active".into()),
                new: Some("deactivated".into()),
            }],
            before: SyncedFields::of(&user),
        };
        user.profile
            .set(ProfileField::Department, Some("Moved by an admin".into()));
        assert!(matches!(
            decide(UserChange::Deactivate(&deactivation), &facts(&user), 5),
            RowDecision::Conflict(why) if why.starts_with("Department was changed") && why.ends_with("not deactivated.")
        ));
    }

    #[test]
    fn a_deleted_user_fails_and_a_taken_email_conflicts() {
        let user = linked(1, "a", "ada@contoso.com");
        let update = title_update(&user);
        assert!(matches!(
            decide(UserChange::Update(&update), &RowFacts::default(), 5),
            RowDecision::Fail(_)
        ));
        let add = PlannedAdd {
            user: update.user.clone(),
        };
        let taken = RowFacts {
            email_holder: Some("Ada (ada@contoso.com)".into()),
            ..RowFacts::default()
        };
        assert_eq!(
            decide(UserChange::Add(&add), &taken, 5),
            RowDecision::Conflict(
                "The email ada@contoso.com now belongs to Ada (ada@contoso.com).".into()
            )
        );
        let linked_already = RowFacts {
            object_linked: true,
            ..RowFacts::default()
        };
        assert!(matches!(
            decide(UserChange::Add(&add), &linked_already, 5),
            RowDecision::Conflict(_)
        ));
    }

    #[test]
    fn an_admins_deactivation_after_the_preview_is_not_reversed() {
        let mut user = linked(1, "a", "ada@contoso.com");
        user.status = UserStatus::Deactivated;
        let mut reactivation = title_update(&user);
        reactivation.changes = vec![FieldChange {
            field: SyncField::Status,
            old: Some("deactivated".into()),
            new: Some("active".into()),
        }];
        // Between the preview and the apply: reactivated, then deactivated
        // by an admin (the status reads the same as at the preview).
        user.status_origin = StatusOrigin::Admin;
        assert_eq!(
            decide(UserChange::Update(&reactivation), &facts(&user), 5),
            RowDecision::Conflict(
                "An admin deactivated this user after the preview; not reactivated.".into()
            )
        );
        // An undo is the admin's own reactivation.
        reactivation.by_admin = true;
        assert!(matches!(
            decide(UserChange::Update(&reactivation), &facts(&user), 5),
            RowDecision::Write(u) if u.status == UserStatus::Active && u.status_origin == StatusOrigin::Admin
        ));
    }

    #[test]
    fn only_the_planned_fields_change() {
        let mut user = linked(1, "a", "ada@contoso.com");
        user.profile
            .set(ProfileField::Department, Some("Edited locally".into()));
        apply_changes(
            &mut user,
            &[
                FieldChange {
                    field: SyncField::Profile(ProfileField::JobTitle),
                    old: None,
                    new: Some("Countess".into()),
                },
                FieldChange {
                    field: SyncField::Status,
                    old: Some("active".into()),
                    new: Some("deactivated".into()),
                },
            ],
            None,
            5,
        );
        assert_eq!(user.profile.get(ProfileField::JobTitle), Some("Countess"));
        assert_eq!(user.status, UserStatus::Deactivated);
        assert_eq!(
            user.profile.get(ProfileField::Department),
            Some("Edited locally")
        );
    }
}
