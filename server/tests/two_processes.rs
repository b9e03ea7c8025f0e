//! Several server processes on one database behave as one, proven with
//! two real server processes over one database and one Graph tenant (its
//! own `graph-sim` process), as behind a load balancer without session
//! affinity: a sync started through one is followed and cancelled through
//! the other, a preview made by one is applied by the other and followed
//! live by both, and a process killed mid-sync is not shown running for
//! ever by the one left.

mod common;

use common::graph_sim_process::GraphSimProcess;
use common::server_process::Server;
use reqwest::StatusCode;
use serde_json::Value;
use server::graph_sim::generate::generate;
use std::time::{Duration, Instant};

/// Long enough for a reaper to find a killed process gone (its stale
/// window and more) and for the other to say so.
const PATIENCE: Duration = Duration::from_secs(90);

fn start_servers(url: &str, sim: &GraphSimProcess) -> (Server, Server) {
    let env = sim.server_env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    (Server::start_with(url, &env), Server::start_with(url, &env))
}

const OTHER_ADMIN: &str = "second.admin@example.com";
const OTHER_PASSWORD: &str = "another-long-password";

async fn add_admin(url: &str, email: &str, password: &str) {
    let store = server::store::Store::open(url).await.unwrap();
    let hash = server::auth::hash_password(password).unwrap();
    store.create_admin(email, &hash).await.unwrap();
    store.close().await;
}

async fn overview(server: &Server, cookie: &str) -> Value {
    let (status, overview) = server.call_form(cookie, "sync_overview", "").await;
    assert_eq!(status, StatusCode::OK, "{overview}");
    overview
}

async fn start_preview(server: &Server, cookie: &str) -> i64 {
    let (status, run) = server
        .call_form(cookie, "start_preview", "full_read=true")
        .await;
    assert_eq!(status, StatusCode::OK, "{run}");
    run.as_i64().unwrap()
}

async fn two_processes_behave_as_one(url: &str) {
    let tenant = generate(3_000, 20, 7);
    let file = std::env::temp_dir().join(format!("dirsync_two_{}.json", std::process::id()));
    let sim = GraphSimProcess::start(&tenant, &file);
    let _ = std::fs::remove_file(&file);
    let (a, b) = start_servers(url, &sim);
    // One session for both: sessions live in the database.
    let cookie = a.sign_in().await;
    add_admin(url, OTHER_ADMIN, OTHER_PASSWORD).await;
    let mut on_b = b.progress_stream(&cookie).await;
    on_b.patience = PATIENCE;

    // A reads slowly (3,000 users at 500 ms a request: several seconds, far
    // longer than a look and a Cancel take); a page of B shows the read, and
    // B's Cancel stops it.
    sim.set_latency(500).await;
    let run = start_preview(&a, &cookie).await;
    on_b.until_run("fetching", run).await;
    assert_eq!(
        overview(&b, &cookie).await["progress"]["phase"],
        "fetching",
        "B's Import page, loaded now, shows A's read"
    );
    // Another admin cancels, so the record can only name them if their
    // click crossed to A.
    let other = b.sign_in_as(OTHER_ADMIN, OTHER_PASSWORD).await;
    let (status, body) = b.call_form(&other, "cancel_fetch", "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cancelled = on_b.until_run("cancelled", run).await;
    assert_eq!(cancelled["by"], OTHER_ADMIN);
    assert_eq!(a.run_state(&cookie, run).await, "Cancelled");

    // B previews; A applies; both pages follow the apply to its end.
    sim.set_latency(0).await;
    let mut on_a = a.progress_stream(&cookie).await;
    on_a.patience = PATIENCE;
    let run = b.preview_reading(&cookie, true).await;
    let previewed = on_a.until_run("previewed", run).await;
    assert!(
        previewed["counts"]["added"].as_u64().unwrap() > 0,
        "{previewed}"
    );
    let (status, body) = a.apply(&cookie, run).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    a.wait_applied(&cookie, run).await;
    let finished = on_b.until_run("finished", run).await;
    assert_eq!(finished["counts"]["added"], previewed["counts"]["added"]);
    // A's own apply, from B's preview on: nothing from another run, and
    // nothing from B's read shown late over it.
    let seen = on_a.until("finished").await;
    for event in &seen {
        let value = serde_json::to_value(event).unwrap();
        assert_eq!(event.run_id(), Some(run), "{value}");
        assert!(
            ["previewed", "applying", "finished"].contains(&value["phase"].as_str().unwrap()),
            "{seen:?}"
        );
    }

    // A dies reading: B's reaper ends the run, and B's pages stop showing
    // it running.
    sim.set_latency(500).await;
    let run = start_preview(&a, &cookie).await;
    on_b.until_run("fetching", run).await;
    a.kill();
    on_b.until_idle().await;
    let deadline = Instant::now() + PATIENCE;
    loop {
        let overview = overview(&b, &cookie).await;
        if overview["progress"]["phase"] == "idle" && overview["last_run"]["state"] == "Failed" {
            break;
        }
        assert!(Instant::now() < deadline, "{overview}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    b.kill();
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread")]
    async fn two_server_processes_share_progress_and_cancel() {
        let db = super::common::sqlite().await;
        super::two_processes_behave_as_one(&db.url).await;
        db.teardown().await;
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread")]
    #[ignore = "needs DIRSYNC_TEST_POSTGRES_URL; make test runs it when set"]
    async fn two_server_processes_share_progress_and_cancel() {
        let db = super::common::postgres().await;
        super::two_processes_behave_as_one(&db.url).await;
        db.teardown().await;
    }
}
