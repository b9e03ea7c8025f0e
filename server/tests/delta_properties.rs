//! A delta read plans exactly like a full read: over random changes to a
//! generated tenant (renames, new job titles, disabled accounts, deletions,
//! new users, managers set and cleared, members joining and leaving,
//! groups created and deleted), the directory mirror kept up to date by
//! `/users/delta` and `/groups/delta` equals a full read of the changed
//! tenant, and so does a preview's read (`read_directory`: a full read,
//! then only the changes). The planner being a pure function of what it is
//! given, they plan alike. Emulator, client and mirror together, over real
//! HTTP.

mod common;

use app::domain::directory_mirror::{DirectoryMirror, normalized};
use app::domain::sync::apply::new_local_user;
use app::domain::sync::directory_read::{FullReadReason, ReadKind};
use app::domain::sync::{
    DirectorySnapshot, LocalState, OverwriteBehavior, SyncOptions, plan_import,
};
use app::domain::user::LocalUser;
use common::full_read::fetch_directory;
use proptest::prelude::*;
use server::graph::GraphClient;
use server::graph_sim::generate::generate;
use server::graph_sim::{GraphSim, SimGroup, SimUser, Tenant};
use server::sync::ProgressHub;
use server::sync::fetch::read_directory;

#[derive(Debug, Clone)]
enum Change {
    Rename(usize),
    NewJobTitle(usize),
    Disable(usize),
    Delete(usize),
    Add(u16),
    SetManager(usize, usize),
    ClearManager(usize),
    Join(usize, usize),
    Leave(usize, usize),
    DeleteGroup(usize),
    NewGroup(u16, Vec<usize>),
}

fn change() -> impl Strategy<Value = Change> {
    let i = 0usize..1000;
    prop_oneof![
        i.clone().prop_map(Change::Rename),
        i.clone().prop_map(Change::NewJobTitle),
        i.clone().prop_map(Change::Disable),
        i.clone().prop_map(Change::Delete),
        any::<u16>().prop_map(Change::Add),
        (i.clone(), i.clone()).prop_map(|(a, b)| Change::SetManager(a, b)),
        i.clone().prop_map(Change::ClearManager),
        (i.clone(), i.clone()).prop_map(|(g, u)| Change::Join(g, u)),
        (i.clone(), i.clone()).prop_map(|(g, m)| Change::Leave(g, m)),
        i.clone().prop_map(Change::DeleteGroup),
        (any::<u16>(), prop::collection::vec(i, 0..30)).prop_map(|(k, m)| Change::NewGroup(k, m)),
    ]
}

fn guid(prefix: u32, k: u16) -> String {
    format!("{prefix:08x}-0000-4000-8000-{k:012x}")
}

fn apply(tenant: &mut Tenant, change: &Change) {
    let users = tenant.users.len();
    let groups = tenant.groups.len();
    let user_id = |t: &Tenant, i: usize| t.users[i % users].id.clone();
    match change {
        _ if users == 0 => {}
        Change::Rename(i) => {
            let u = &mut tenant.users[i % users];
            u.display_name = Some(format!("Renamed {i}"));
        }
        Change::NewJobTitle(i) => tenant.users[i % users].job_title = Some(format!("Title {i}")),
        Change::Disable(i) => tenant.users[i % users].account_enabled = false,
        Change::Delete(i) => {
            let id = user_id(tenant, *i);
            tenant.delete_user(&id);
        }
        Change::Add(k) => {
            let id = guid(0xadd, *k);
            if tenant.user(&id).is_none() {
                let user: SimUser = serde_json::from_value(serde_json::json!({
                    "id": id,
                    "displayName": format!("New {k}"),
                    "userPrincipalName": format!("new.{k}@contoso.com"),
                    "mail": format!("new.{k}@contoso.com"),
                }))
                .unwrap();
                tenant.users.push(user);
            }
        }
        Change::SetManager(a, b) => {
            let boss = user_id(tenant, *b);
            let u = &mut tenant.users[a % users];
            if u.id != boss {
                u.manager_id = Some(boss);
            }
        }
        Change::ClearManager(i) => tenant.users[i % users].manager_id = None,
        Change::Join(g, u) if groups > 0 => {
            let id = user_id(tenant, *u);
            let group = &mut tenant.groups[g % groups];
            if !group.members.contains(&id) {
                group.members.push(id);
            }
        }
        Change::Leave(g, m) if groups > 0 => {
            let group = &mut tenant.groups[g % groups];
            if !group.members.is_empty() {
                let k = m % group.members.len();
                group.members.remove(k);
            }
        }
        Change::DeleteGroup(g) if groups > 0 => {
            let id = tenant.groups.remove(g % groups).id;
            for group in &mut tenant.groups {
                group.members.retain(|m| m != &id);
            }
        }
        Change::NewGroup(k, members) => {
            let id = guid(0x9a0, *k);
            if tenant.group(&id).is_none() {
                let mut ids: Vec<String> = members.iter().map(|m| user_id(tenant, *m)).collect();
                ids.sort();
                ids.dedup();
                // Sometimes nested: the new group holds an existing one.
                if let Some(first) = tenant.groups.first().filter(|_| k % 3 == 0) {
                    ids.push(first.id.clone());
                }
                tenant.groups.push(SimGroup {
                    id,
                    display_name: Some(format!("Group {k}")),
                    description: None,
                    mail: None,
                    security_enabled: true,
                    mail_enabled: false,
                    members: ids,
                });
            }
        }
        Change::Join(..) | Change::Leave(..) | Change::DeleteGroup(_) => {}
    }
}

/// Reads the changes since the links (or everything, the first time) into
/// the mirror; returns the new links.
async fn catch_up(
    client: &GraphClient,
    mirror: &mut DirectoryMirror,
    links: Option<(String, String)>,
) -> (String, String) {
    let (users_from, groups_from) =
        links.unwrap_or_else(|| (client.users_delta_start(), client.groups_delta_start()));
    let users = client
        .read_users_delta(&users_from, |page, _| {
            for change in page {
                mirror.apply_user(change);
            }
        })
        .await
        .unwrap();
    let groups = client
        .read_groups_delta(&groups_from, |page, _| {
            for change in page {
                mirror.apply_group(change);
            }
        })
        .await
        .unwrap();
    (users, groups)
}

async fn full_read(client: &GraphClient) -> DirectorySnapshot {
    let read = fetch_directory(client, &ProgressHub::new(), 0, "test")
        .await
        .unwrap();
    normalized(read.snapshot)
}

async fn delta_equals_full(seed: u64, changes: Vec<Change>) {
    let sim = GraphSim::new(generate(60, 5, seed), seed, "");
    let base = common::emulator::serve(&sim).await;
    let client = common::emulator::client(
        &base,
        common::emulator::credentials(&sim),
        Default::default(),
    );
    let hub = ProgressHub::new();
    let options = SyncOptions::default();
    let preview_read =
        |stored| read_directory(&client, &hub, 0, "test", stored, &options, false, 0);
    let mut mirror = DirectoryMirror::default();
    let links = catch_up(&client, &mut mirror, None).await;
    let first = preview_read(None).await.unwrap();
    let full = full_read(&client).await;
    assert_eq!(
        mirror.snapshot(full.tenant_id.clone()),
        full,
        "the first read"
    );
    assert_eq!(first.kind, ReadKind::Full(FullReadReason::FirstRead));
    let first_snapshot = first
        .directory
        .mirror
        .snapshot(first.directory.tenant_id.clone());
    assert_eq!(first_snapshot, full, "a preview's first read");

    sim.with_tenant(|t| changes.iter().for_each(|c| apply(t, c)));
    catch_up(&client, &mut mirror, Some(links)).await;
    let second = preview_read(Some(first.directory)).await.unwrap();
    let full = full_read(&client).await;
    let delta = mirror.snapshot(full.tenant_id.clone());
    assert_eq!(delta, full, "after {changes:?}");
    assert_eq!(second.kind, ReadKind::Changes);
    let second_snapshot = second.into_read().snapshot;
    assert_eq!(second_snapshot, full, "a preview's read of the changes");
    // And so the plans, against the platform the first read imported, with
    // every kind of change acted on.
    let options = SyncOptions {
        overwrite: OverwriteBehavior::AddUpdateAndDeactivate,
        include_disabled: true,
        ..SyncOptions::default()
    };
    let imported = platform_after(&first_snapshot, &options);
    assert_eq!(
        plan_import(&second_snapshot, &imported, &options),
        plan_import(&full, &imported, &options),
        "delta plan == full plan after {changes:?}"
    );
}

/// The platform after the first read's adds were applied.
fn platform_after(read: &DirectorySnapshot, options: &SyncOptions) -> LocalState {
    let plan = plan_import(read, &LocalState::default(), options);
    let users = plan
        .added
        .iter()
        .enumerate()
        .map(|(i, add)| LocalUser {
            id: i as i64 + 1,
            ..new_local_user(&add.user, 0)
        })
        .collect();
    LocalState {
        users,
        last_directory_count: Some(read.users.len() as u64),
        last_directory_tenant: read.tenant_id.clone(),
        ..LocalState::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn a_delta_read_plans_exactly_like_a_full_read_of_the_same_tenant(
        seed in 0u64..10_000,
        changes in prop::collection::vec(change(), 0..30),
    ) {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(delta_equals_full(seed, changes));
    }
}
