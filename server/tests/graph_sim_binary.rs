//! The standalone `graph-sim`: it prints the registration it accepts, and a
//! client configured from those lines alone can read its tenant.

mod common;

use common::graph_sim_process::GraphSimProcess;
use server::graph::{GraphClient, RetryPolicy};
use std::process::Command;

#[tokio::test]
async fn prints_its_registration_and_serves_it() {
    // Configured from the lines it printed alone.
    let sim = GraphSimProcess::start_with_args(&[
        "--users", "1234", "--groups", "5", "--seed", "9", "--port", "0",
    ]);
    let client =
        GraphClient::new(sim.endpoints(), sim.credentials(), RetryPolicy::default()).unwrap();
    let progress = client.list_users(true, |_, _| {}).await;
    let mut groups = 0;
    let group_result = client
        .list_groups(false, |page, _| groups += page.len())
        .await;
    drop(sim);
    let progress = progress.unwrap();
    group_result.unwrap();
    assert_eq!(
        (progress.items_so_far, progress.total, progress.pages),
        (1234, Some(1234), 2)
    );
    assert_eq!(groups, 5);

    let bad = Command::new(env!("CARGO_BIN_EXE_graph-sim"))
        .args(["--users", "many"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--users takes a number"));
}
