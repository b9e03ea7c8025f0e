//! `plan_import`: the rules of the sync, in one pass over the directory.
//!
//! Matching is by Azure object id, the only stable key, so renames of
//! email or UPN update rather than duplicate. A directory user without a
//! link can take over, by email, a local user who came from Azure AD but
//! whose link is missing or points at an object the directory no longer has
//! (a user deleted and re-created in Azure AD): that relinks them.
//!
//! A platform user who never came from Azure AD (made by hand) is adopted
//! by the one directory user whose addresses include theirs: its email,
//! an SMTP alias among its `proxyAddresses`, or one of its `otherMails`
//! (compared NFC-normalised and case-insensitively). Where that is not one
//! to one, nobody is linked and every directory user involved is skipped,
//! naming the others. Platform users nothing matches are never touched.
//!
//! An admin's deactivation sticks: a user an admin deactivated is skipped
//! rather than reactivated. Links belong to a tenant: users linked in
//! another tenant are neither matched nor taken for gone.

use super::mapping::{ImportedUser, addresses_of, changes, email_of, import_user};
use super::options::SyncOptions;
use super::plan::*;
use super::safety::safety_check;
use crate::domain::directory::{DirectoryGroup, DirectoryUser};
use crate::domain::email::normalize_email;
use crate::domain::user::{LocalUser, StatusOrigin, UserSource, UserStatus};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// What the directory returned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectorySnapshot {
    pub users: Vec<DirectoryUser>,
    pub groups: Vec<DirectoryGroup>,
    /// Each group's user members, nested groups flattened, by object id.
    pub group_user_ids: BTreeMap<String, Vec<String>>,
    /// The tenant read (its id, from the token), when known.
    pub tenant_id: Option<String>,
}

/// A group the platform holds, linked to its Azure AD group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalGroup {
    pub azure_object_id: String,
    pub name: String,
    /// Members, by their Azure object ids.
    pub member_azure_ids: BTreeSet<String>,
}

/// What the platform holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalState {
    pub users: Vec<LocalUser>,
    pub groups: Vec<LocalGroup>,
    /// How many users the directory returned at the last applied sync.
    pub last_directory_count: Option<u64>,
    /// The tenant that sync read: a count from another tenant says nothing
    /// about this one.
    pub last_directory_tenant: Option<String>,
}

fn who(user: &LocalUser) -> String {
    format!("{} ({})", user.display_name, user.email)
}

/// Why a directory user is out of the sync's scope, if it is.
fn out_of_scope(
    user: &DirectoryUser,
    options: &SyncOptions,
    scope: Option<&HashSet<&str>>,
) -> Option<SkipReason> {
    if user.is_guest() && !options.include_guests {
        Some(SkipReason::GuestExcluded)
    } else if user.account_enabled == Some(false) && !options.include_disabled {
        Some(SkipReason::Disabled)
    } else if scope.is_some_and(|s| !s.contains(user.id.as_str())) {
        Some(SkipReason::OutOfScope)
    } else {
        None
    }
}

pub fn plan_import(
    directory: &DirectorySnapshot,
    local: &LocalState,
    options: &SyncOptions,
) -> ImportPlan {
    let mut plan = ImportPlan {
        directory_users: directory.users.len() as u64,
        tenant_id: directory.tenant_id.clone(),
        ..ImportPlan::default()
    };
    let directory_ids: HashSet<&str> = directory.users.iter().map(|u| u.id.as_str()).collect();
    let tenant = directory.tenant_id.as_deref();
    // Linked in the tenant read (a link made before tenants were recorded
    // counts as this tenant's).
    let this_tenant = |u: &LocalUser| match (u.tenant_id.as_deref(), tenant) {
        (Some(theirs), Some(ours)) => theirs.eq_ignore_ascii_case(ours),
        _ => true,
    };
    let linked: HashMap<&str, &LocalUser> = local
        .users
        .iter()
        .filter(|u| this_tenant(u))
        .filter_map(|u| u.azure_object_id.as_deref().map(|id| (id, u)))
        .collect();
    let owner_of_email: HashMap<String, &LocalUser> = local
        .users
        .iter()
        .map(|u| (normalize_email(&u.email), u))
        .collect();
    // Came from Azure AD, but unlinked or linked to an object that is gone.
    let relinkable = |u: &LocalUser| {
        u.source == UserSource::AzureAd
            && this_tenant(u)
            && u.azure_object_id
                .as_deref()
                .is_none_or(|id| !directory_ids.contains(id))
    };
    let scope: Option<HashSet<&str>> = (!options.scope_group_ids.is_empty()).then(|| {
        options
            .scope_group_ids
            .iter()
            .filter_map(|g| directory.group_user_ids.get(g))
            .flatten()
            .map(String::as_str)
            .collect()
    });
    let skip = |user: &DirectoryUser, email: Option<String>, reason: SkipReason| SkippedUser {
        directory_id: user.id.clone(),
        display_name: user.display_name.clone(),
        email_or_upn: email.unwrap_or_else(|| user.user_principal_name.clone()),
        reason,
    };

    let mut imported_ids: HashSet<String> = HashSet::new();

    // Scope and mapping.
    let mut candidates: Vec<(&DirectoryUser, ImportedUser)> =
        Vec::with_capacity(directory.users.len());
    for user in &directory.users {
        if let Some(reason) = out_of_scope(user, options, scope.as_ref()) {
            match linked.get(user.id.as_str()) {
                Some(l) if l.status == UserStatus::Active => {
                    let why = match reason {
                        SkipReason::Disabled => DeactivationReason::DisabledInDirectory,
                        SkipReason::GuestExcluded => DeactivationReason::GuestNotIncluded,
                        _ => DeactivationReason::OutOfScope,
                    };
                    if options.overwrite.deactivates() {
                        plan.deactivated
                            .push(deactivation(l, &user.id, why, status_only(l)));
                    } else {
                        plan.skipped.push(not_deactivated(l, &user.id, why));
                    }
                }
                Some(l)
                    if l.status == UserStatus::Deactivated && options.overwrite.deactivates() =>
                {
                    plan.unchanged += 1
                }
                _ => plan.skipped.push(skip(
                    user,
                    email_of(user).map(|e| e.as_str().to_owned()),
                    reason,
                )),
            }
            continue;
        }
        match import_user(user, tenant) {
            Ok(imported) => candidates.push((user, imported)),
            Err(reason) => plan.skipped.push(skip(
                user,
                email_of(user).map(|e| e.as_str().to_owned()),
                reason,
            )),
        }
    }

    // Two directory users with one email: neither is imported.
    let mut by_email: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, (_, imported)) in candidates.iter().enumerate() {
        by_email
            .entry(normalize_email(&imported.email))
            .or_default()
            .push(i);
    }

    // Directory users with a platform user already: linked by object id, or
    // about to relink the Azure AD orphan that holds their email. They adopt
    // nobody, and answer for nobody else either.
    let placed = |u: &DirectoryUser| {
        linked.contains_key(u.id.as_str())
            || email_of(u)
                .and_then(|e| owner_of_email.get(&e.normalized()).copied())
                .is_some_and(&relinkable)
    };
    let adoptions = adoptions(&candidates, &directory.users, local, &placed);

    // Matching: what each candidate would do, before email conflicts.
    let mut claimed: HashSet<i64> = HashSet::new();
    let mut decisions: Vec<Decision> = Vec::with_capacity(candidates.len());
    let mut adopts_by: Vec<Option<String>> = vec![None; candidates.len()];
    for (i, (user, imported)) in candidates.iter().enumerate() {
        let email_key = normalize_email(&imported.email);
        let same_email = &by_email[&email_key];
        if same_email.len() > 1 {
            let other = same_email
                .iter()
                .find(|j| **j != i)
                .map(|j| &candidates[*j].1)
                .expect("two or more");
            let other = format!("{} ({})", other.display_name, other.user_principal_name);
            decisions.push(Decision::Skip(SkipReason::DuplicateEmailInDirectory {
                other,
            }));
            continue;
        }
        let owner = owner_of_email.get(&email_key).copied();
        let orphan = owner.filter(|o| relinkable(o) && !claimed.contains(&o.id));
        let target = match (linked.get(user.id.as_str()).copied(), orphan, &adoptions[i]) {
            (Some(l), _, _) | (None, Some(l), _) => Some(l),
            (None, None, Some(Ok(l))) => {
                adopts_by[i] = Some(l.email.clone());
                Some(*l)
            }
            (None, None, Some(Err(reason))) => {
                decisions.push(Decision::Skip(reason.clone()));
                continue;
            }
            (None, None, None) => None,
        };
        decisions.push(match target {
            Some(l)
                if l.status == UserStatus::Deactivated
                    && l.status_origin == StatusOrigin::Admin
                    && imported.status == UserStatus::Active =>
            {
                Decision::Skip(SkipReason::DeactivatedByAdmin {
                    at: l.status_changed_at.unwrap_or(l.updated_at),
                })
            }
            Some(l) => {
                let changes = changes(l, imported);
                let relink = changes.iter().any(|c| c.field == SyncField::AzureObjectId);
                // Disabled in Azure AD while active here: taking a user out
                // of use is a deactivation, whatever else changes with it.
                let disables =
                    l.status == UserStatus::Active && imported.status == UserStatus::Deactivated;
                if changes.is_empty() {
                    Decision::Unchanged
                } else if disables && options.overwrite.deactivates() {
                    claimed.insert(l.id);
                    Decision::Disable(l, changes)
                } else if disables {
                    Decision::Skip(SkipReason::NotDeactivated {
                        reason: DeactivationReason::DisabledInDirectory,
                    })
                } else if options.overwrite.updates() {
                    claimed.insert(l.id);
                    Decision::Update(l, changes)
                } else if relink {
                    // Adding only: the local user keeps its old link.
                    Decision::Skip(SkipReason::EmailOwnedByLocalUser { owner: who(l) })
                } else {
                    Decision::Unchanged
                }
            }
            None => Decision::Add,
        });
    }
    resolve_email_conflicts(&mut decisions, &candidates, local);

    // Managers by object id, for the preview's words.
    let name_of: HashMap<&str, &str> = directory
        .users
        .iter()
        .map(|u| {
            let name = u.display_name.as_deref().unwrap_or(&u.user_principal_name);
            (u.id.as_str(), name)
        })
        .chain(local.users.iter().filter_map(|u| {
            u.azure_object_id
                .as_deref()
                .map(|id| (id, u.display_name.as_str()))
        }))
        .collect();
    let manager_names = |changes: &[FieldChange]| {
        let change = changes.iter().find(|c| c.field == SyncField::Manager);
        let name = |id: &Option<String>| {
            id.as_deref()
                .and_then(|id| name_of.get(id))
                .map(|n| (*n).to_owned())
        };
        ManagerNames {
            old: change.and_then(|c| name(&c.old)),
            new: change.and_then(|c| name(&c.new)),
        }
    };
    // The candidates are moved into the plan, not copied: a first import
    // of a large directory holds each new user once.
    for (((user, imported), decision), adopts_by) in
        candidates.into_iter().zip(decisions).zip(adopts_by)
    {
        match decision {
            Decision::Skip(reason) => plan.skipped.push(skip(user, Some(imported.email), reason)),
            Decision::Unchanged => {
                plan.unchanged += 1;
                imported_ids.insert(user.id.clone());
            }
            Decision::Update(l, changes) => {
                imported_ids.insert(user.id.clone());
                plan.updated.push(PlannedUpdate {
                    local_id: l.id,
                    user: imported,
                    manager_names: manager_names(&changes),
                    changes,
                    before: SyncedFields::of(l),
                    adopts_by,
                    by_admin: false,
                });
            }
            Decision::Disable(l, changes) => {
                imported_ids.insert(user.id.clone());
                plan.deactivated.push(deactivation(
                    l,
                    &user.id,
                    DeactivationReason::DisabledInDirectory,
                    changes,
                ));
            }
            Decision::Add => {
                imported_ids.insert(user.id.clone());
                plan.added.push(PlannedAdd { user: imported });
            }
        }
    }

    // Linked users the directory no longer has.
    for l in &local.users {
        let Some(id) = l.azure_object_id.as_deref() else {
            continue;
        };
        if !this_tenant(l) {
            if l.status == UserStatus::Active {
                plan.skipped.push(SkippedUser {
                    directory_id: id.to_owned(),
                    display_name: Some(l.display_name.clone()),
                    email_or_upn: l.email.clone(),
                    reason: SkipReason::OtherTenant {
                        tenant: l.tenant_id.clone().unwrap_or_default(),
                    },
                });
            }
            continue;
        }
        if l.source == UserSource::AzureAd
            && l.status == UserStatus::Active
            && !directory_ids.contains(id)
            && !claimed.contains(&l.id)
        {
            let why = DeactivationReason::GoneFromDirectory;
            if options.overwrite.deactivates() {
                plan.deactivated
                    .push(deactivation(l, id, why, status_only(l)));
            } else {
                plan.skipped.push(not_deactivated(l, id, why));
            }
        }
    }

    // A membership belongs to the local user: a relink carries it over.
    let relinked: HashMap<String, String> = plan
        .updated
        .iter()
        .map(|u| &u.changes)
        .chain(plan.deactivated.iter().map(|d| &d.changes))
        .flatten()
        .filter(|c| c.field == SyncField::AzureObjectId)
        .filter_map(|c| Some((c.old.clone()?, c.new.clone()?)))
        .collect();
    plan.groups = plan_groups(directory, local, options, &imported_ids, &relinked);
    plan.safety = safety_check(&plan, local, options);
    plan
}

/// For each candidate without a link: the platform user (never linked to
/// Azure AD) whose email is one of its addresses, or why none is linked.
/// `None` where nothing matches. Every directory user without a link
/// counts as a claimant, in scope or not: a platform user two directory
/// users answer to is nobody's until Azure AD says which.
fn adoptions<'a>(
    candidates: &[(&DirectoryUser, ImportedUser)],
    directory: &[DirectoryUser],
    local: &'a LocalState,
    placed: &dyn Fn(&DirectoryUser) -> bool,
) -> Vec<Option<Result<&'a LocalUser, SkipReason>>> {
    let unlinked: HashMap<String, &LocalUser> = local
        .users
        .iter()
        .filter(|u| u.source == UserSource::Local && u.azure_object_id.is_none())
        .map(|u| (normalize_email(&u.email), u))
        .collect();
    if unlinked.is_empty() {
        return vec![None; candidates.len()];
    }
    let matches_of = |user: &DirectoryUser| -> Vec<&'a LocalUser> {
        if placed(user) {
            return Vec::new();
        }
        let mut found: Vec<&LocalUser> = addresses_of(user)
            .iter()
            .filter_map(|a| unlinked.get(a).copied())
            .collect();
        found.sort_by_key(|u| u.id);
        found.dedup_by_key(|u| u.id);
        found
    };
    // Who answers to each platform user: directory users, by name.
    let mut claimants: HashMap<i64, Vec<&DirectoryUser>> = HashMap::new();
    for user in directory {
        for l in matches_of(user) {
            claimants.entry(l.id).or_default().push(user);
        }
    }
    let name = |u: &DirectoryUser| {
        format!(
            "{} ({})",
            u.display_name.as_deref().unwrap_or(&u.user_principal_name),
            email_of(u).map_or_else(|| u.user_principal_name.clone(), |e| e.to_string())
        )
    };
    candidates
        .iter()
        .map(|(user, _)| match matches_of(user).as_slice() {
            [] => None,
            [only] => match claimants[&only.id].iter().find(|c| c.id != user.id) {
                None => Some(Ok(*only)),
                Some(other) => Some(Err(SkipReason::SamePlatformUserMatched {
                    user: who(only),
                    other: name(other),
                })),
            },
            several => Some(Err(SkipReason::MatchesSeveralUsers {
                users: several.iter().map(|u| who(u)).collect(),
            })),
        })
        .collect()
}

/// Deactivating `l`, linked to `azure_id`, with `changes`.
fn deactivation(
    l: &LocalUser,
    azure_id: &str,
    reason: DeactivationReason,
    changes: Vec<FieldChange>,
) -> PlannedDeactivation {
    PlannedDeactivation {
        local_id: l.id,
        display_name: l.display_name.clone(),
        email: l.email.clone(),
        azure_object_id: azure_id.to_owned(),
        reason,
        changes,
        before: SyncedFields::of(l),
    }
}

/// The one change of a deactivation for a user gone or out of scope.
fn status_only(l: &LocalUser) -> Vec<FieldChange> {
    vec![FieldChange {
        field: SyncField::Status,
        old: Some(l.status.as_str().to_owned()),
        new: Some(UserStatus::Deactivated.as_str().to_owned()),
    }]
}

/// A linked, active user the overwrite behavior keeps in use.
fn not_deactivated(l: &LocalUser, azure_id: &str, reason: DeactivationReason) -> SkippedUser {
    SkippedUser {
        directory_id: azure_id.to_owned(),
        display_name: Some(l.display_name.clone()),
        email_or_upn: l.email.clone(),
        reason: SkipReason::NotDeactivated { reason },
    }
}

/// What one in-scope directory user will do.
enum Decision<'a> {
    Unchanged,
    Update(&'a LocalUser, Vec<FieldChange>),
    /// An update that also deactivates: disabled in Azure AD.
    Disable(&'a LocalUser, Vec<FieldChange>),
    Add,
    Skip(SkipReason),
}

/// Emails stay unique *after* the plan: a new or changed email may take an
/// address that another update of this same plan releases, but never one a
/// local user keeps. Conflicting changes are skipped, naming the holder;
/// skipping one can bring back an address that clashes again, so this
/// repeats until nothing changes (rejections only grow, so it ends).
fn resolve_email_conflicts(
    decisions: &mut [Decision<'_>],
    candidates: &[(&DirectoryUser, ImportedUser)],
    local: &LocalState,
) {
    loop {
        // Who holds each address once the plan is applied.
        let mut holders: HashMap<String, Vec<Holder>> = HashMap::new();
        let mut moving: HashSet<i64> = HashSet::new();
        for (i, decision) in decisions.iter().enumerate() {
            let key = normalize_email(&candidates[i].1.email);
            match decision {
                Decision::Update(l, _) | Decision::Disable(l, _) => {
                    moving.insert(l.id);
                    holders.entry(key).or_default().push(Holder::Proposal(i));
                }
                Decision::Add => holders.entry(key).or_default().push(Holder::Proposal(i)),
                Decision::Unchanged | Decision::Skip(_) => {}
            }
        }
        for l in local.users.iter().filter(|l| !moving.contains(&l.id)) {
            holders
                .entry(normalize_email(&l.email))
                .or_default()
                .push(Holder::Keeps(l));
        }
        let mut rejected = Vec::new();
        for claimants in holders.values().filter(|c| c.len() > 1) {
            for (n, claimant) in claimants.iter().enumerate() {
                let Holder::Proposal(i) = claimant else {
                    continue;
                };
                let other = claimants
                    .iter()
                    .enumerate()
                    .find(|(m, _)| *m != n)
                    .map(|(_, h)| h)
                    .expect("two or more");
                let owner = match other {
                    Holder::Keeps(l) => who(l),
                    Holder::Proposal(j) => match &decisions[*j] {
                        Decision::Update(l, _) | Decision::Disable(l, _) => who(l),
                        _ => format!(
                            "{} ({})",
                            candidates[*j].1.display_name, candidates[*j].1.email
                        ),
                    },
                };
                rejected.push((*i, owner));
            }
        }
        if rejected.is_empty() {
            // Users whose new addresses wait on each other in a circle (two
            // swapping addresses) can never be changed one at a time: those,
            // and whoever waits on them, keep their addresses.
            rejected = stuck_moves(decisions, candidates);
            if rejected.is_empty() {
                return;
            }
        }
        for (i, owner) in rejected {
            decisions[i] = Decision::Skip(SkipReason::EmailOwnedByLocalUser { owner });
        }
    }
}

/// Changes of linked users that wait, directly or not, on a circle of
/// address moves: each with who holds the address it wants.
fn stuck_moves<'a>(
    decisions: &[Decision<'a>],
    candidates: &[(&DirectoryUser, ImportedUser)],
) -> Vec<(usize, String)> {
    fn moving<'a>(d: &Decision<'a>) -> Option<&'a LocalUser> {
        match d {
            Decision::Update(l, _) | Decision::Disable(l, _) => Some(*l),
            _ => None,
        }
    }
    // Who, among those changing, holds each address now.
    let holder: HashMap<String, usize> = decisions
        .iter()
        .enumerate()
        .filter_map(|(j, d)| moving(d).map(|l| (normalize_email(&l.email), j)))
        .collect();
    // i waits on j: j holds the address i takes.
    let waits_on: HashMap<usize, usize> = decisions
        .iter()
        .enumerate()
        .filter(|(_, d)| moving(d).is_some())
        .filter_map(|(i, _)| {
            let j = *holder.get(&normalize_email(&candidates[i].1.email))?;
            (j != i).then_some((i, j))
        })
        .collect();
    let mut stuck = Vec::new();
    for &i in waits_on.keys() {
        // Follow the chain of waits: it ends (fine) or comes round (stuck).
        let mut seen = HashSet::from([i]);
        let mut at = i;
        while let Some(&next) = waits_on.get(&at) {
            if !seen.insert(next) {
                let owner = moving(&decisions[waits_on[&i]])
                    .map(who)
                    .unwrap_or_default();
                stuck.push((i, owner));
                break;
            }
            at = next;
        }
    }
    stuck.sort();
    stuck
}

enum Holder<'a> {
    /// A local user whose address does not change.
    Keeps(&'a LocalUser),
    /// The candidate at this index adds a user or changes one to the address.
    Proposal(usize),
}

/// Groups follow the directory; members only among the users this sync
/// imports, nested groups flattened.
fn plan_groups(
    directory: &DirectorySnapshot,
    local: &LocalState,
    options: &SyncOptions,
    imported_ids: &HashSet<String>,
    relinked: &HashMap<String, String>,
) -> GroupPlan {
    let mut plan = GroupPlan::default();
    let local_groups: HashMap<&str, &LocalGroup> = local
        .groups
        .iter()
        .map(|g| (g.azure_object_id.as_str(), g))
        .collect();
    let empty = BTreeSet::new();
    for group in &directory.groups {
        let name = group
            .display_name
            .clone()
            .unwrap_or_else(|| group.id.clone());
        let existing = local_groups.get(group.id.as_str()).copied();
        match existing {
            None => plan.added.push((group.id.clone(), name)),
            Some(g) if g.name != name && options.overwrite.updates() => {
                plan.renamed.push((group.id.clone(), g.name.clone(), name));
            }
            Some(_) => {}
        }
        let desired: BTreeSet<&String> = directory
            .group_user_ids
            .get(&group.id)
            .into_iter()
            .flatten()
            .filter(|id| imported_ids.contains(*id))
            .collect();
        // Members as they will be once this plan's relinks are applied.
        let current: BTreeSet<String> = existing
            .map_or(&empty, |g| &g.member_azure_ids)
            .iter()
            .map(|id| relinked.get(id).unwrap_or(id).clone())
            .collect();
        let current = &current;
        for id in desired.iter().filter(|id| !current.contains(**id)) {
            plan.memberships_added
                .push((group.id.clone(), (*id).clone()));
        }
        if options.overwrite.updates() {
            for id in current.iter().filter(|id| !desired.contains(id)) {
                plan.memberships_removed
                    .push((group.id.clone(), id.clone()));
            }
        }
    }
    if options.overwrite.deactivates() {
        let present: HashSet<&str> = directory.groups.iter().map(|g| g.id.as_str()).collect();
        for g in &local.groups {
            if !present.contains(g.azure_object_id.as_str()) {
                plan.removed
                    .push((g.azure_object_id.clone(), g.name.clone()));
            }
        }
    }
    plan
}
