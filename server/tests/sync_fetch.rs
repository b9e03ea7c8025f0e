//! A preview's directory read, against the emulator: everything arrives,
//! progress is published page by page, and the next read takes only the
//! changes.

mod common;

use app::domain::sync::completeness::DirectoryRead;
use app::domain::sync::directory_read::{FullReadReason, ReadKind};
use app::domain::sync::progress::ProgressEvent;
use app::domain::sync::{SyncOptions, plan_import};
use server::graph::RetryPolicy;
use server::graph_sim::GraphSim;
use server::graph_sim::generate::generate;
use server::sync::ProgressHub;
use server::sync::fetch::{DirectoryReadOutcome, read_directory};

#[tokio::test]
async fn the_directory_arrives_whole_with_progress_along_the_way() {
    let tenant = generate(2100, 12, 31);
    let sim = GraphSim::new(tenant.clone(), 31, "");
    let base = common::emulator::serve(&sim).await;
    let client = common::emulator::client(
        &base,
        common::emulator::credentials(&sim),
        RetryPolicy::default(),
    );

    let hub = ProgressHub::new();
    let (_, mut updates) = hub.subscribe();
    let options = SyncOptions::default();
    let first = read_directory(
        &client,
        &hub,
        7,
        "admin@example.com",
        None,
        &options,
        false,
        0,
    )
    .await
    .unwrap();
    assert_eq!(first.kind, ReadKind::Full(FullReadReason::FirstRead));
    let read = copy_of(&first);
    assert_eq!(
        (read.users_reported, read.groups_reported),
        (Some(2100), Some(12)),
        "the counts Graph reports, to check the read against"
    );
    let snapshot = read.snapshot;
    assert_eq!(snapshot.users.len(), 2100);
    assert_eq!(snapshot.groups.len(), 12);
    let all_staff = tenant
        .groups
        .iter()
        .find(|g| g.display_name.as_deref() == Some("All Staff"))
        .unwrap();
    let members = tenant
        .users
        .iter()
        .filter(|u| u.user_type == "Member")
        .count();
    assert_eq!(
        snapshot.group_user_ids[&all_staff.id].len(),
        members,
        "nested groups flattened to users"
    );

    let mut seen = Vec::new();
    while let Ok(event) = updates.try_recv() {
        seen.push(event);
    }
    let users_so_far: Vec<u64> = seen
        .iter()
        .filter_map(|e| match e {
            ProgressEvent::Fetching {
                users_so_far,
                total,
                run_id: 7,
                ..
            } => {
                assert!(total.is_none() || *total == Some(2100));
                Some(*users_so_far)
            }
            _ => None,
        })
        .collect();
    assert!(
        users_so_far.starts_with(&[0, 999, 1998, 2100]),
        "{users_so_far:?}"
    );
    let groups_so_far = seen.iter().rev().find_map(|e| match e {
        ProgressEvent::Fetching { groups_so_far, .. } => Some(*groups_so_far),
        _ => None,
    });
    assert_eq!(
        groups_so_far,
        Some(12),
        "the groups are counted as they come"
    );

    // The read is what planning needs: on an empty platform, every
    // enabled member with an address is added.
    let plan = plan_import(&snapshot, &Default::default(), &options);
    assert_eq!(plan.added.len() + plan.skipped.len(), 2100);
    assert!(plan.skipped.iter().all(|s| !matches!(
        s.reason,
        app::domain::sync::SkipReason::DuplicateEmailInDirectory { .. }
    )));
}

#[tokio::test]
async fn the_next_read_takes_only_the_changes_and_says_so() {
    let sim = GraphSim::new(generate(1500, 6, 32), 32, "");
    let base = common::emulator::serve(&sim).await;
    let client = common::emulator::client(
        &base,
        common::emulator::credentials(&sim),
        RetryPolicy::default(),
    );
    let options = SyncOptions::default();
    let hub = ProgressHub::new();
    let first = read_directory(&client, &hub, 1, "a", None, &options, false, 0)
        .await
        .unwrap();
    let renamed = sim.with_tenant(|t| {
        t.users[3].display_name = Some("Renamed Once".into());
        t.users[3].id.clone()
    });

    let (_, mut updates) = hub.subscribe();
    let second = read_directory(
        &client,
        &hub,
        2,
        "a",
        Some(first.directory),
        &options,
        false,
        0,
    )
    .await
    .unwrap();
    assert_eq!(second.kind, ReadKind::Changes);
    let second_snapshot = copy_of(&second).snapshot;
    let renamed = second_snapshot
        .users
        .iter()
        .find(|u| u.id == renamed)
        .unwrap();
    assert_eq!(renamed.display_name.as_deref(), Some("Renamed Once"));
    assert_eq!(second.directory.mirror.users.len(), 1500);
    let mut last = None;
    while let Ok(event) = updates.try_recv() {
        last = Some(event);
    }
    match last {
        Some(ProgressEvent::Fetching {
            changes_only: true,
            users_so_far: 1,
            total: None,
            ..
        }) => {}
        other => panic!("the progress counts the one change: {other:?}"),
    }

    // The admin's "Full read" reads everything again.
    let third = read_directory(
        &client,
        &hub,
        3,
        "a",
        Some(second.directory),
        &options,
        true,
        0,
    )
    .await
    .unwrap();
    assert_eq!(third.kind, ReadKind::Full(FullReadReason::AdminAsked));
    assert_eq!(third.into_read().snapshot, second_snapshot);
}

/// What the planner would get of `outcome`, leaving the outcome whole.
fn copy_of(outcome: &DirectoryReadOutcome) -> DirectoryRead {
    DirectoryRead {
        snapshot: outcome
            .directory
            .mirror
            .snapshot(outcome.directory.tenant_id.clone()),
        users_reported: outcome.users_reported,
        groups_reported: outcome.groups_reported,
    }
}
