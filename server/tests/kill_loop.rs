//! The sync's guarantees, proven the way they break in production: the
//! real server binary, killed with SIGKILL at random points of an apply and
//! restarted at once; two server processes racing on one database.
//!
//! The kill loop applies a plan that mixes additions, updates,
//! deactivations and group changes, kills the server part-way, restarts it,
//! resumes over HTTP, and repeats until at least `KILL_LOOP_KILLS` kills
//! (20 by default; `make soak` asks for more). After every run it checks
//! that each row has exactly one outcome, that the database equals the one
//! a second, never-killed server reached from the same tenant, and that a
//! new preview finds nothing left to do. It prints the kills, the resumes
//! and the rows lost (which must be 0).

mod common;

use common::server_process::Server;
use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::json;
use server::graph_sim::generate::generate;
use server::graph_sim::{SimUser, Tenant};
use server::store::Store;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// A tiny deterministic random source (no dependency for one test).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The next state of the tenant: titles and departments changed, people
/// deleted and disabled, new hires, group memberships moved.
fn churn(tenant: &mut Tenant, rng: &mut Rng, cycle: usize) {
    let n = tenant.users.len() as u64;
    for _ in 0..n / 4 {
        let i = rng.below(n) as usize;
        tenant.users[i].job_title = Some(format!("Title {cycle}-{}", rng.below(1000)));
    }
    for _ in 0..n / 10 {
        let i = rng.below(n) as usize;
        tenant.users[i].department = Some(format!("Dept {}", rng.below(7)));
    }
    for _ in 0..n / 40 {
        let i = rng.below(tenant.users.len() as u64) as usize;
        tenant.users[i].account_enabled = false;
    }
    // As many leave as join: the tenant keeps its size however long a soak runs.
    for _ in 0..n / 25 {
        let i = rng.below(tenant.users.len() as u64) as usize;
        let id = tenant.users[i].id.clone();
        tenant.delete_user(&id);
    }
    let template: SimUser = tenant.users[0].clone();
    for k in 0..n / 25 {
        let mut hire = template.clone();
        hire.id = format!("00000000-0000-4000-8000-{cycle:04}{k:08}");
        hire.mail = Some(format!("hire{cycle}.{k}@{}", tenant.domain));
        hire.user_principal_name = format!("hire{cycle}.{k}@{}", tenant.domain);
        hire.display_name = Some(format!("New Hire {cycle}.{k}"));
        hire.account_enabled = true;
        hire.user_type = "Member".into();
        tenant.users.push(hire);
    }
    let ids: Vec<String> = tenant.users.iter().map(|u| u.id.clone()).collect();
    for group in &mut tenant.groups {
        if !group.members.is_empty() {
            group.members.remove(0);
        }
        for _ in 0..5 {
            let id = &ids[rng.below(ids.len() as u64) as usize];
            if !group.members.contains(id) {
                group.members.push(id.clone());
            }
        }
    }
}

/// Every user's synced fields and every group's members, by Azure object
/// id: a database's end state, whatever its local ids.
async fn end_state(store: &Store) -> BTreeMap<String, String> {
    let local = store.load_local_state().await.unwrap();
    let mut out = BTreeMap::new();
    for u in local.users {
        let key = u
            .azure_object_id
            .clone()
            .unwrap_or_else(|| format!("local {}", u.email));
        let synced = app::domain::sync::SyncedFields::of(&u);
        out.insert(format!("user {key}"), format!("{:?}", synced.0));
    }
    for g in local.groups {
        out.insert(
            format!("group {}", g.azure_object_id),
            format!("{} {:?}", g.name, g.member_azure_ids),
        );
    }
    out
}

/// Rows that change users but have no outcome, or a conflict or failure
/// (nobody edits users here: either means a row was half-applied).
async fn rows_lost(store: &Store, run_id: i64) -> usize {
    store
        .plan_entries(run_id)
        .await
        .unwrap()
        .iter()
        .filter(|r| {
            app::domain::sync::apply::UserChange::of(&r.entry).is_some()
                && r.outcome != Some(app::domain::sync::run::RowOutcome::Done)
        })
        .count()
}

async fn kill_loop(killed_url: &str, reference_url: &str) {
    let kills_wanted: usize = std::env::var("KILL_LOOP_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let killed_store = Store::open(killed_url).await.unwrap();
    let reference_store = Store::open(reference_url).await.unwrap();
    let reference = Server::start(reference_url);
    let ref_cookie = reference.sign_in().await;
    let mut server = Server::start(killed_url);
    let cookie = server.sign_in().await;
    let options = json!({"options": {
        "overwrite": "AddUpdateAndDeactivate",
        "include_guests": false,
        "include_disabled": true,
        "scope_group_ids": [],
        "threshold": {"max_share_percent": 10, "max_count": 50}
    }});
    for (s, c) in [(&server, &cookie), (&reference, &ref_cookie)] {
        let (status, body) = s.call(c, "save_sync_options", options.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut tenant = generate(1500, 12, 77);
    // The first import, uninterrupted on both: the runs killed below mix
    // additions, updates, deactivations and group changes.
    for (s, c) in [(&server, &cookie), (&reference, &ref_cookie)] {
        s.set_tenant(c, &tenant).await;
        let run = s.preview(c).await;
        assert_eq!(s.apply(c, run).await.0, StatusCode::OK);
        s.wait_applied(c, run).await;
    }
    let (mut kills, mut resumes, mut cycles) = (0usize, 0usize, 0usize);
    let started = Instant::now();
    while kills < kills_wanted {
        cycles += 1;
        churn(&mut tenant, &mut rng, cycles);
        reference.set_tenant(&ref_cookie, &tenant).await;
        let ref_run = reference.preview(&ref_cookie).await;
        assert_eq!(
            reference.apply(&ref_cookie, ref_run).await.0,
            StatusCode::OK
        );
        reference.wait_applied(&ref_cookie, ref_run).await;

        server.set_tenant(&cookie, &tenant).await;
        let run = server.preview(&cookie).await;
        let (status, body) = server.apply(&cookie, run).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // Kill part-way, restart, resume; until the run is applied. Each
        // resume of the same run gets a little longer before the next kill.
        let mut kills_this_run = 0;
        loop {
            let wait = 10 + rng.below(300) + 60 * kills_this_run;
            tokio::time::sleep(Duration::from_millis(wait)).await;
            if server.run_state(&cookie, run).await == "Applied" {
                break;
            }
            server.kill();
            kills += 1;
            kills_this_run += 1;
            server = Server::start(killed_url);
            server.set_tenant(&cookie, &tenant).await;
            // The restart marks the run interrupted, resumable (on
            // PostgreSQL the dead session may take a moment to end).
            let mut state = server.run_state(&cookie, run).await;
            let deadline = Instant::now() + Duration::from_secs(30);
            while state == "Applying" && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(100)).await;
                state = server.run_state(&cookie, run).await;
            }
            assert!(
                state == "Interrupted" || state == "Applied",
                "after a restart the run is {state}"
            );
            if state == "Applied" {
                break;
            }
            let (status, body) = server.apply(&cookie, run).await;
            assert_eq!(status, StatusCode::OK, "resume refused: {body}");
            resumes += 1;
        }
        server.wait_applied(&cookie, run).await;
        assert_eq!(
            rows_lost(&killed_store, run).await,
            0,
            "cycle {cycles}: rows lost"
        );
        assert_eq!(
            end_state(&killed_store).await,
            end_state(&reference_store).await,
            "cycle {cycles}: the killed database differs from the uninterrupted one"
        );
        let again = server.preview(&cookie).await;
        let (_, summary) = server
            .call_form(&cookie, "load_preview", &format!("run_id={again}"))
            .await;
        let planned = &summary["run"]["planned"];
        assert_eq!(
            (
                planned["added"].as_u64(),
                planned["updated"].as_u64(),
                planned["deactivated"].as_u64()
            ),
            (Some(0), Some(0), Some(0)),
            "cycle {cycles}: a new preview finds work left: {summary}"
        );
        let (status, _) = server
            .call_form(&cookie, "discard_run", &format!("run_id={again}"))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    println!(
        "kill loop: {kills} kills, {resumes} resumes, {cycles} runs, 0 rows lost, in {:.0?}",
        started.elapsed()
    );
    server.kill();
    reference.kill();
    killed_store.close().await;
    reference_store.close().await;
}

/// Many previews and applies at once from two processes on one database:
/// exactly one runs each time.
async fn two_processes_race(url: &str) {
    let a = Server::start(url);
    let b = Server::start(url);
    let cookie = a.sign_in().await;
    // Slow reads (each server reads its own demo tenant), so that every
    // call below arrives while the one preview that won still runs.
    for s in [&a, &b] {
        let response = s
            .http
            .put(format!("{}/graph-sim/_sim/faults", s.base))
            .header(COOKIE, &cookie)
            .json(&json!({"latencyMs": 300}))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
    }
    for round in 0..3 {
        let calls = (0..8).map(|i| {
            let s = if i % 2 == 0 { &a } else { &b };
            s.call_form(&cookie, "start_preview", "full_read=false")
        });
        let answers = futures::future::join_all(calls).await;
        let started: Vec<i64> = answers
            .iter()
            .filter(|(status, _)| *status == StatusCode::OK)
            .map(|(_, run)| run.as_i64().unwrap())
            .collect();
        assert_eq!(
            started.len(),
            1,
            "round {round}: exactly one preview runs: {answers:?}"
        );
        for (status, body) in answers.iter().filter(|(s, _)| *s != StatusCode::OK) {
            assert_eq!(*status, StatusCode::CONFLICT, "{body}");
        }
        let run = started[0];
        let deadline = Instant::now() + Duration::from_secs(60);
        while a.run_state(&cookie, run).await != "Previewed" {
            assert!(Instant::now() < deadline);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let applies = (0..8).map(|i| {
            let s = if i % 2 == 0 { &a } else { &b };
            s.apply(&cookie, run)
        });
        let answers = futures::future::join_all(applies).await;
        let accepted = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
        assert_eq!(
            accepted, 1,
            "round {round}: exactly one apply runs: {answers:?}"
        );
        a.wait_applied(&cookie, run).await;
    }
    a.kill();
    b.kill();
}

/// The scheduled runs recorded, and whether any is still reading.
async fn scheduled_runs(store: &Store) -> (i64, i64) {
    sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN state = 'fetching' THEN 1 ELSE 0 END), 0) \
         FROM sync_runs WHERE started_by = 'Schedule'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap()
}

/// Waits until `n` scheduled runs exist and none is still reading.
async fn wait_scheduled_runs(store: &Store, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (runs, reading) = scheduled_runs(store).await;
        if runs >= n && reading == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{runs} scheduled runs, {reading} reading"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Makes the schedule due, as if its time passed while nobody looked.
async fn make_schedule_due(store: &Store) {
    sqlx::query("UPDATE sync_schedule SET next_run_at = 1")
        .execute(store.pool())
        .await
        .unwrap();
}

/// Two real server processes, each looking every second, see the same
/// scheduled sync due: exactly one runs it. Then both are stopped, the
/// schedule's time passes, and the one restarted runs the missed sync once,
/// at start.
async fn two_processes_share_a_schedule(url: &str) {
    let check = [("DIRSYNC_SCHEDULE_CHECK_SECS", "1")];
    let a = Server::start_with(url, &check);
    let b = Server::start_with(url, &check);
    let cookie = a.sign_in().await;
    let (status, body) = a
        .call(
            &cookie,
            "save_schedule",
            json!({"schedule": {"every_hours": 6, "on_preview": "PreviewOnly"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let store = Store::open(url).await.unwrap();
    make_schedule_due(&store).await;
    wait_scheduled_runs(&store, 1).await;
    // Both processes look several more times: nothing more is due.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        scheduled_runs(&store).await,
        (1, 0),
        "exactly one process ran it"
    );
    // A second claim would have found the lock held and said so here.
    let outcome: Option<String> = sqlx::query_scalar("SELECT last_outcome FROM sync_schedule")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let outcome = outcome.unwrap_or_default();
    assert!(outcome.contains("waits for an admin"), "{outcome}");
    let next: Option<i64> = sqlx::query_scalar("SELECT next_run_at FROM sync_schedule")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let five_hours = 5 * 3_600_000;
    assert!(next.unwrap() > server::store::now_millis() + five_hours);
    a.kill();
    b.kill();

    // Down while the next one fell due: it runs once, when a server starts.
    make_schedule_due(&store).await;
    let c = Server::start_with(url, &check);
    wait_scheduled_runs(&store, 2).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        scheduled_runs(&store).await,
        (2, 0),
        "the missed run ran once"
    );
    c.kill();
    store.close().await;
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread")]
    async fn two_server_processes_run_a_due_scheduled_sync_once() {
        let db = super::common::sqlite().await;
        super::two_processes_share_a_schedule(&db.url).await;
        db.teardown().await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_killed_apply_resumes_to_the_uninterrupted_end_state() {
        let killed = super::common::sqlite().await;
        let reference = super::common::sqlite().await;
        super::kill_loop(&killed.url, &reference.url).await;
        killed.teardown().await;
        reference.teardown().await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn two_server_processes_never_sync_at_once() {
        let db = super::common::sqlite().await;
        super::two_processes_race(&db.url).await;
        db.teardown().await;
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread")]
    #[ignore = "needs DIRSYNC_TEST_POSTGRES_URL; make test runs it when set"]
    async fn two_server_processes_run_a_due_scheduled_sync_once() {
        let db = super::common::postgres().await;
        super::two_processes_share_a_schedule(&db.url).await;
        db.teardown().await;
    }

    #[tokio::test(flavor = "multi_thread")]
    #[ignore = "needs DIRSYNC_TEST_POSTGRES_URL; make test runs it when set"]
    async fn a_killed_apply_resumes_to_the_uninterrupted_end_state() {
        let killed = super::common::postgres().await;
        let reference = super::common::postgres().await;
        super::kill_loop(&killed.url, &reference.url).await;
        killed.teardown().await;
        reference.teardown().await;
    }

    #[tokio::test(flavor = "multi_thread")]
    #[ignore = "needs DIRSYNC_TEST_POSTGRES_URL; make test runs it when set"]
    async fn two_server_processes_never_sync_at_once() {
        let db = super::common::postgres().await;
        super::two_processes_race(&db.url).await;
        db.teardown().await;
    }
}
