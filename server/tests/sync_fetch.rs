//! A preview's directory read, against the emulator: everything arrives,
//! and progress is published page by page.

mod common;

use app::domain::sync::progress::ProgressEvent;
use app::domain::sync::{SyncOptions, plan_import};
use server::graph::RetryPolicy;
use server::graph_sim::GraphSim;
use server::graph_sim::generate::generate;
use server::sync::ProgressHub;
use server::sync::fetch::fetch_directory;

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
    let read = fetch_directory(&client, &hub, 7, "admin@example.com")
        .await
        .unwrap();
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
    assert!(seen.len() > 12, "a progress event per page and per group");

    // The read is what planning needs: on an empty platform, every
    // enabled member with an address is added.
    let plan = plan_import(&snapshot, &Default::default(), &SyncOptions::default());
    assert_eq!(plan.added.len() + plan.skipped.len(), 2100);
    assert!(plan.skipped.iter().all(|s| !matches!(
        s.reason,
        app::domain::sync::SkipReason::DuplicateEmailInDirectory { .. }
    )));
}
