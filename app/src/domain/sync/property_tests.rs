//! Properties of the planner over random small worlds, where ids and
//! emails are drawn from small pools so that collisions, renames, relinks
//! and duplicates happen often.

use super::apply::apply_plan;
use super::fixtures::{dir_user, linked, local_only};
use super::mapping::addresses_of;
use super::*;
use crate::domain::directory::DirectoryUser;
use crate::domain::directory::{DirectoryGroup, DirectoryUserType};
use crate::domain::email::normalize_email;
use crate::domain::profile::ProfileField;
use crate::domain::user::{StatusOrigin, UserSource, UserStatus};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashSet};

const IDS: [&str; 6] = ["a", "b", "c", "d", "e", "f"];
const EMAILS: [&str; 6] = [
    "ada@x.com",
    "ADA@x.com",
    "bo@x.com",
    "cy@x.com",
    "di@x.com",
    "ed@x.com",
];

fn world() -> impl Strategy<Value = (DirectorySnapshot, LocalState, SyncOptions)> {
    let dir_users = prop::collection::vec(
        (
            0..6usize,
            0..6usize,
            any::<bool>(),
            any::<bool>(),
            prop::option::of(0..3u8),
            any::<bool>(),
            prop::option::of((0..6usize, any::<bool>())),
        ),
        0..6,
    );
    let local_users = prop::collection::vec((0..6usize, 0..6usize, 0..5u8, any::<bool>()), 0..6);
    let memberships = prop::collection::vec((0..2usize, 0..6usize), 0..8);
    let options = (
        0..3u8,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        0..60u32,
        0..10u32,
    );
    (
        dir_users,
        local_users,
        memberships,
        options,
        prop::option::of(0..8u64),
    )
        .prop_map(|(dir_users, local_users, memberships, opts, last_count)| {
            let mut seen = HashSet::new();
            let users = dir_users
                .into_iter()
                .filter(|(id, ..)| seen.insert(*id))
                .map(|(id, email, guest, disabled, title, no_mail, alias)| {
                    let mut u = dir_user(IDS[id], EMAILS[email]);
                    match alias {
                        Some((a, true)) => u.proxy_addresses.push(format!("smtp:{}", EMAILS[a])),
                        Some((a, false)) => u.other_mails.push(EMAILS[a].to_uppercase()),
                        None => {}
                    }
                    if guest {
                        u.user_type = Some(DirectoryUserType::Guest);
                    }
                    u.account_enabled = Some(!disabled);
                    u.profile
                        .set(ProfileField::JobTitle, title.map(|t| format!("Title {t}")));
                    if no_mail {
                        u.mail = None;
                    }
                    u
                })
                .collect();
            let mut local_ids = 0;
            let mut local_emails = HashSet::new();
            let users_local = local_users
                .into_iter()
                .filter(|(_, email, ..)| local_emails.insert(EMAILS[*email].to_lowercase()))
                .map(|(azure, email, kind, deactivated)| {
                    local_ids += 1;
                    let mut u = match kind {
                        0 => local_only(local_ids, EMAILS[email]),
                        1 => linked(local_ids, IDS[azure], EMAILS[email]),
                        // Linked in the tenant read, recorded as such.
                        2 => crate::domain::user::LocalUser {
                            tenant_id: Some("T1".into()),
                            ..linked(local_ids, IDS[azure], EMAILS[email])
                        },
                        // Linked in another tenant (object ids are GUIDs: no
                        // tenant shares one with another).
                        3 => crate::domain::user::LocalUser {
                            tenant_id: Some("t2".into()),
                            ..linked(local_ids, &format!("other-{azure}"), EMAILS[email])
                        },
                        _ => linked(local_ids, &format!("gone-{azure}"), EMAILS[email]),
                    };
                    if deactivated {
                        u.status = UserStatus::Deactivated;
                        // Half of them by an admin.
                        if azure % 2 == 0 {
                            u.status_origin = StatusOrigin::Admin;
                        }
                    }
                    u
                })
                .fold(
                    Vec::<crate::domain::user::LocalUser>::new(),
                    |mut acc, u| {
                        // Azure object ids are unique locally too.
                        if u.azure_object_id.is_none()
                            || !acc.iter().any(|o| o.azure_object_id == u.azure_object_id)
                        {
                            acc.push(u);
                        }
                        acc
                    },
                );
            let groups = vec![
                DirectoryGroup {
                    id: "g0".into(),
                    display_name: Some("Zero".into()),
                    description: None,
                    mail: None,
                },
                DirectoryGroup {
                    id: "g1".into(),
                    display_name: Some("One".into()),
                    description: None,
                    mail: None,
                },
            ];
            let mut group_user_ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for (g, u) in memberships {
                let members = group_user_ids.entry(format!("g{g}")).or_default();
                if !members.contains(&IDS[u].to_owned()) {
                    members.push(IDS[u].to_owned());
                }
            }
            let (overwrite, guests, disabled, scoped, share, count) = opts;
            let options = SyncOptions {
                overwrite: match overwrite {
                    0 => OverwriteBehavior::AddOnly,
                    1 => OverwriteBehavior::AddAndUpdate,
                    _ => OverwriteBehavior::AddUpdateAndDeactivate,
                },
                include_guests: guests,
                include_disabled: disabled,
                scope_group_ids: if scoped { vec!["g0".into()] } else { vec![] },
                threshold: DeactivationThreshold {
                    max_share_percent: share,
                    max_count: count,
                },
            };
            let local = LocalState {
                users: users_local,
                groups: vec![],
                last_directory_count: last_count,
                last_directory_tenant: Some("t1".into()),
            };
            (
                DirectorySnapshot {
                    tenant_id: Some("t1".into()),
                    users,
                    groups,
                    group_user_ids,
                },
                local,
                options,
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn every_directory_user_lands_in_exactly_one_bucket((dir, local, options) in world()) {
        let plan = plan_import(&dir, &local, &options);
        let directory_ids: HashSet<&str> = dir.users.iter().map(|u| u.id.as_str()).collect();
        let mut named: Vec<&str> = Vec::new();
        named.extend(plan.added.iter().map(|a| a.user.azure_object_id.as_str()));
        named.extend(plan.updated.iter().map(|u| u.user.azure_object_id.as_str()));
        // A linked user gone from the directory and kept in use is listed
        // under Skipped too, by the object it was linked to.
        // So is one linked in another tenant.
        let gone = |s: &&SkippedUser| s.reason == SkipReason::NotDeactivated { reason: DeactivationReason::GoneFromDirectory }
            || matches!(s.reason, SkipReason::OtherTenant { .. });
        named.extend(plan.skipped.iter().filter(|s| !gone(s)).map(|s| s.directory_id.as_str()));
        named.extend(plan.deactivated.iter().map(|d| d.azure_object_id.as_str()).filter(|id| directory_ids.contains(id)));
        let distinct: HashSet<&str> = named.iter().copied().collect();
        prop_assert_eq!(distinct.len(), named.len(), "no directory user in two buckets");
        prop_assert!(distinct.iter().all(|id| directory_ids.contains(id)));
        prop_assert_eq!(named.len() as u64 + plan.unchanged, dir.users.len() as u64);
    }

    #[test]
    fn local_only_users_change_only_when_one_directory_user_adopts_them((dir, local, options) in world()) {
        let plan = plan_import(&dir, &local, &options);
        let after = apply_plan(&local, &plan, 99);
        for user in local.users.iter().filter(|u| u.source == UserSource::Local) {
            let key = normalize_email(&user.email);
            // Directory users with no platform user yet (in the tenant
            // read): not linked, and not about to relink an Azure AD user
            // whose object is gone and who holds their email.
            let this_tenant = |l: &crate::domain::user::LocalUser| {
                l.tenant_id.as_deref().is_none_or(|t| t.eq_ignore_ascii_case("t1"))
            };
            let unlinked = |d: &&DirectoryUser| {
                let linked = local.users.iter().any(|l| {
                    l.azure_object_id.as_deref() == Some(d.id.as_str()) && this_tenant(l)
                });
                let relinks = super::mapping::email_of(d).is_some_and(|e| {
                    local.users.iter().any(|l| {
                        l.source == UserSource::AzureAd
                            && this_tenant(l)
                            && normalize_email(&l.email) == e.normalized()
                            && l.azure_object_id.as_deref().is_none_or(|id| !dir.users.iter().any(|o| o.id == id))
                    })
                });
                !linked && !relinks
            };
            let claimants: Vec<&DirectoryUser> = dir.users.iter().filter(unlinked).filter(|d| addresses_of(d).contains(&key)).collect();
            if let Some(update) = plan.updated.iter().find(|u| u.local_id == user.id) {
                prop_assert_eq!(update.adopts_by.as_deref(), Some(user.email.as_str()));
                prop_assert_eq!(claimants.len(), 1, "adopted though several directory users match");
                prop_assert_eq!(&claimants[0].id, &update.user.azure_object_id);
            }
            if let Some(d) = plan.deactivated.iter().find(|d| d.local_id == user.id) {
                prop_assert_eq!(d.reason, DeactivationReason::DisabledInDirectory);
                prop_assert!(d.changes.iter().any(|c| c.field == SyncField::AzureObjectId));
            }
            if dir.users.iter().all(|d| !addresses_of(d).contains(&key)) {
                prop_assert_eq!(after.users.iter().find(|a| a.id == user.id), Some(user), "nothing in the directory matches them");
            }
        }
    }

    #[test]
    fn an_admins_deactivation_and_another_tenants_links_stay((dir, local, options) in world()) {
        let plan = plan_import(&dir, &local, &options);
        let after = apply_plan(&local, &plan, 99);
        for user in &local.users {
            let now = after.users.iter().find(|a| a.id == user.id).expect("users are never deleted");
            if user.status == UserStatus::Deactivated && user.status_origin == StatusOrigin::Admin {
                prop_assert_eq!(now.status, UserStatus::Deactivated, "reactivated though an admin deactivated them");
            }
            if user.tenant_id.as_deref() == Some("t2") {
                prop_assert_eq!(now, user, "a user of another tenant changed");
            }
        }
    }

    #[test]
    fn nobody_is_deactivated_unless_the_behavior_deactivates((dir, local, options) in world()) {
        let plan = plan_import(&dir, &local, &options);
        let after = apply_plan(&local, &plan, 99);
        let taken_out_of_use = local.users.iter().filter(|u| u.status == UserStatus::Active).filter(|u| {
            after.users.iter().any(|a| a.id == u.id && a.status == UserStatus::Deactivated)
        }).count() as u64;
        if !options.overwrite.deactivates() {
            prop_assert_eq!(taken_out_of_use, 0);
        }
        prop_assert_eq!(taken_out_of_use, plan.deactivated.len() as u64, "every deactivation is listed as one");
        let linked = local.users.iter().filter(|u| u.azure_object_id.is_some() && u.status == UserStatus::Active).count() as u64;
        if taken_out_of_use > options.threshold.allowed(linked) {
            prop_assert!(plan.safety.exceeds_threshold, "past the threshold without a reason: {:?}", plan);
        }
    }

    #[test]
    fn applying_a_plan_then_planning_again_finds_nothing_to_do((dir, local, options) in world()) {
        let plan = plan_import(&dir, &local, &options);
        let after = apply_plan(&local, &plan, 99);
        let again = plan_import(&dir, &after, &options);
        prop_assert!(!again.has_changes(), "second plan: {:?}\nfirst plan: {:?}", again, plan);
        let emails: Vec<String> = after.users.iter().map(|u| u.email.to_lowercase()).collect();
        let distinct: BTreeSet<&String> = emails.iter().collect();
        prop_assert_eq!(distinct.len(), emails.len(), "applying never creates two users with one email");
    }
}
