//! The standalone `graph-sim`: it prints the registration it accepts, and a
//! client configured from those lines alone can read its tenant.

use secrecy::SecretString;
use server::graph::{Cloud, Credentials, Endpoints, GraphClient, RetryPolicy};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn prints_its_registration_and_serves_it() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_graph-sim"))
        .args([
            "--users", "1234", "--groups", "5", "--seed", "9", "--port", "0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start graph-sim");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = HashMap::new();
    while printed.len() < 5 {
        let line = lines
            .next()
            .expect("graph-sim printed its registration")
            .unwrap();
        let (key, value) = line.split_once('=').expect("KEY=value lines");
        printed.insert(key.to_owned(), value.to_owned());
    }
    let endpoints = Endpoints::for_cloud(Cloud::Global).with_overrides(
        Some(&printed["AZURE_AUTHORITY_HOST"]),
        Some(&printed["GRAPH_BASE_URL"]),
    );
    let credentials = Credentials {
        tenant_id: printed["TENANT_ID"].clone(),
        client_id: printed["CLIENT_ID"].clone(),
        client_secret: SecretString::from(printed["CLIENT_SECRET"].clone()),
    };
    let client = GraphClient::new(endpoints, credentials, RetryPolicy::default()).unwrap();
    let progress = client.list_users(true, |_, _| {}).await;
    let mut groups = 0;
    let group_result = client
        .list_groups(false, |page, _| groups += page.len())
        .await;
    child.kill().ok();
    child.wait().ok();
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
