//! Properties of the planner over random small worlds, where ids and
//! emails are drawn from small pools so that collisions, renames, relinks
//! and duplicates happen often.

use super::apply::apply_plan;
use super::fixtures::{dir_user, linked, local_only};
use super::*;
use crate::domain::directory::{DirectoryGroup, DirectoryUserType};
use crate::domain::user::{UserSource, UserStatus};
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
        ),
        0..6,
    );
    let local_users = prop::collection::vec((0..6usize, 0..6usize, 0..3u8, any::<bool>()), 0..6);
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
                .map(|(id, email, guest, disabled, title, no_mail)| {
                    let mut u = dir_user(IDS[id], EMAILS[email]);
                    if guest {
                        u.user_type = Some(DirectoryUserType::Guest);
                    }
                    u.account_enabled = Some(!disabled);
                    u.job_title = title.map(|t| format!("Title {t}"));
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
                        _ => linked(local_ids, &format!("gone-{azure}"), EMAILS[email]),
                    };
                    if deactivated {
                        u.status = UserStatus::Deactivated;
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
            };
            (
                DirectorySnapshot {
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
        let gone = |s: &&SkippedUser| s.reason == SkipReason::NotDeactivated { reason: DeactivationReason::GoneFromDirectory };
        named.extend(plan.skipped.iter().filter(|s| !gone(s)).map(|s| s.directory_id.as_str()));
        named.extend(plan.deactivated.iter().map(|d| d.azure_object_id.as_str()).filter(|id| directory_ids.contains(id)));
        let distinct: HashSet<&str> = named.iter().copied().collect();
        prop_assert_eq!(distinct.len(), named.len(), "no directory user in two buckets");
        prop_assert!(distinct.iter().all(|id| directory_ids.contains(id)));
        prop_assert_eq!(named.len() as u64 + plan.unchanged, dir.users.len() as u64);
    }

    #[test]
    fn local_only_users_are_never_touched((dir, local, options) in world()) {
        let plan = plan_import(&dir, &local, &options);
        let local_only: HashSet<i64> = local.users.iter().filter(|u| u.source == UserSource::Local).map(|u| u.id).collect();
        prop_assert!(plan.updated.iter().all(|u| !local_only.contains(&u.local_id)));
        prop_assert!(plan.deactivated.iter().all(|d| !local_only.contains(&d.local_id)));
        let after = apply_plan(&local, &plan, 99);
        for user in local.users.iter().filter(|u| local_only.contains(&u.id)) {
            prop_assert_eq!(after.users.iter().find(|a| a.id == user.id), Some(user));
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
