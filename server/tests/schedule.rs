//! Scheduled syncs through the whole server on both engines, with the
//! scheduler's clock moved by hand (nothing sleeps): a due run starts once,
//! missed runs run once, two servers on one database never both run it, a
//! scheduled run and a click exclude each other through the one lock, and
//! "Apply when every safety check passes" applies a clean run and stops a
//! risky one as "Needs review". (Real processes: `kill_loop.rs`.)

mod common;

use app::domain::sync::schedule::SCHEDULE_ACTOR;
use app::domain::sync::view::{ImportOverview, RunState, RunSummary};
use common::TestDb;
use common::app::{Setup, TestApp, spawn_on};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::DEMO_GRAPH_PREFIX;
use server::graph_sim::generate::generate;
use server::graph_sim::{Faults, GraphSim};
use server::sync::Tick;
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);

macro_rules! on_both_engines_served {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::common::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                #[ignore = "needs DIRSYNC_TEST_POSTGRES_URL; make test runs it when set"]
                async fn $name() {
                    super::$name(super::common::postgres().await).await;
                }
            )*
        }
    };
}

on_both_engines_served!(
    a_due_run_starts_once_and_missed_runs_run_once,
    two_servers_on_one_database_never_both_run_it,
    a_scheduled_run_and_a_click_take_the_same_lock,
    apply_when_safe_applies_a_clean_run_and_stops_a_risky_one,
);

/// The demo tenant of `users` people, served on `db`.
async fn demo_on(db: TestDb, users: usize, seed: u64) -> (TestApp, GraphSim) {
    let sim = GraphSim::new(generate(users, 2, seed), seed, DEMO_GRAPH_PREFIX);
    let app = spawn_on(db, Setup::demo(sim.clone())).await;
    (app, sim)
}

impl TestApp {
    async fn save_schedule(&self, cookie: &str, every_hours: u32, on_preview: &str) -> Value {
        let response = self
            .call_json(
                "/api/save_schedule",
                Some(cookie),
                json!({"schedule": {"every_hours": every_hours, "on_preview": on_preview}}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    async fn overview(&self, cookie: &str) -> ImportOverview {
        let (status, body) = self.call_form("/api/sync_overview", cookie, "").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        serde_json::from_value(body).unwrap()
    }

    async fn run(&self, cookie: &str, run_id: i64) -> RunSummary {
        let (status, body) = self
            .call_form("/api/get_run", cookie, &format!("run_id={run_id}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        serde_json::from_value(body).unwrap()
    }

    async fn waiting_preview(&self, cookie: &str) -> Option<i64> {
        let (_, body) = self.call_form("/api/waiting_preview", cookie, "").await;
        serde_json::from_value(body).unwrap()
    }

    /// Moves the clock on by `by` and lets the scheduler look.
    async fn after(&self, by: Duration) -> Tick {
        self.clock.advance(by);
        self.scheduler.tick().await.unwrap()
    }

    async fn active_users(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE status = 'active'")
            .fetch_one(self.store().pool())
            .await
            .unwrap()
    }

    async fn scheduled_runs(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM sync_runs WHERE started_by = $1")
            .bind(SCHEDULE_ACTOR)
            .fetch_one(self.store().pool())
            .await
            .unwrap()
    }
}

fn ran(tick: Tick) -> (i64, String) {
    match tick {
        Tick::Ran {
            run_id: Some(run_id),
            outcome,
        } => (run_id, outcome),
        other => panic!("expected a scheduled run, got {other:?}"),
    }
}

async fn a_due_run_starts_once_and_missed_runs_run_once(db: TestDb) {
    let (app, _sim) = demo_on(db, 30, 41).await;
    let cookie = app.session_cookie().await;
    assert_eq!(app.after(HOUR * 1000).await, Tick::NotDue, "off by default");
    assert_eq!(app.overview(&cookie).await.next_scheduled, None);

    let changes = app.save_schedule(&cookie, 6, "PreviewOnly").await;
    assert_eq!(changes, json!(["Scheduled sync: Off → Every 6 hours"]));
    let next = app.overview(&cookie).await.next_scheduled.unwrap();
    assert!(next.starts_with("Next scheduled sync: ") && next.ends_with("(every 6 hours)."));
    assert_eq!(app.after(HOUR * 5).await, Tick::NotDue, "not yet");

    let (run_id, outcome) = ran(app.after(HOUR).await);
    assert_eq!(
        outcome,
        format!("Scheduled preview #{run_id} is ready; it waits for an admin.")
    );
    assert_eq!(app.after(Duration::ZERO).await, Tick::NotDue, "it ran once");
    let run = app.run(&cookie, run_id).await;
    assert_eq!(
        (run.state, run.started_by.as_str()),
        (RunState::Previewed, "Schedule")
    );
    assert_eq!(app.waiting_preview(&cookie).await, Some(run_id));
    let overview = app.overview(&cookie).await;
    assert_eq!(overview.open_preview, Some(run_id));
    assert_eq!(overview.last_scheduled.as_deref(), Some(outcome.as_str()));

    // A day and more without a look: the four missed runs run once.
    let (second, _) = ran(app.after(HOUR * 30).await);
    assert!(second > run_id);
    assert_eq!(app.after(Duration::ZERO).await, Tick::NotDue);
    assert_eq!(
        app.after(HOUR * 5).await,
        Tick::NotDue,
        "next one 6 hours on"
    );
    assert_eq!(app.scheduled_runs().await, 2);

    // Off: nothing is due any more.
    app.call_json(
        "/api/save_schedule",
        Some(&cookie),
        json!({"schedule": {"every_hours": null, "on_preview": "PreviewOnly"}}),
    )
    .await;
    assert_eq!(app.after(HOUR * 100).await, Tick::NotDue);
    assert_eq!(app.overview(&cookie).await.next_scheduled, None);
    app.db.teardown().await;
}

async fn two_servers_on_one_database_never_both_run_it(db: TestDb) {
    let other_db = db.another_connection().await;
    let (a, _sim) = demo_on(db, 20, 42).await;
    let (b, _sim_b) = demo_on(other_db, 20, 42).await;
    let cookie = a.session_cookie().await;
    a.save_schedule(&cookie, 1, "PreviewOnly").await;
    for round in 0..5 {
        a.clock.advance(HOUR);
        b.clock.advance(HOUR);
        let (x, y) = tokio::join!(a.scheduler.tick(), b.scheduler.tick());
        let ticks = [x.unwrap(), y.unwrap()];
        let runs = ticks
            .iter()
            .filter(|t| matches!(t, Tick::Ran { .. }))
            .count();
        assert_eq!(
            runs, 1,
            "round {round}: exactly one server ran it: {ticks:?}"
        );
    }
    assert_eq!(a.scheduled_runs().await, 5);
    b.db.teardown().await;
    a.db.teardown().await;
}

async fn a_scheduled_run_and_a_click_take_the_same_lock(db: TestDb) {
    let (app, sim) = demo_on(db, 30, 43).await;
    let cookie = app.session_cookie().await;
    app.save_schedule(&cookie, 2, "PreviewOnly").await;
    // Slow pages: each sync holds the lock for a while.
    sim.set_faults(Faults {
        latency_ms: 400,
        ..Faults::default()
    });

    // An admin's preview is reading: the scheduled run does not start.
    let (status, manual) = app
        .call_form("/api/start_preview", &cookie, "full_read=false")
        .await;
    assert_eq!(status, StatusCode::OK, "{manual}");
    let Tick::Ran { run_id, outcome } = app.after(HOUR * 2).await else {
        panic!("the scheduled run was due")
    };
    assert_eq!(run_id, None, "{outcome}");
    assert!(
        outcome.contains("was skipped: a sync started by admin@example.com was running.")
            && outcome.contains("The next one is due at"),
        "{outcome}"
    );
    assert_eq!(app.scheduled_runs().await, 0);
    while app.overview(&cookie).await.progress.is_running() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The other way round: a click while the scheduled sync reads.
    app.clock.advance(HOUR * 2);
    let scheduler = app.scheduler.clone();
    let scheduled = tokio::spawn(async move { scheduler.tick().await.unwrap() });
    while app.overview(&cookie).await.progress.started_by() != Some("Schedule") {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, refused) = app
        .call_form("/api/start_preview", &cookie, "full_read=false")
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(
        refused.to_string().contains("A scheduled sync, started at"),
        "{refused}"
    );
    let (run_id, _) = ran(scheduled.await.unwrap());
    assert_eq!(app.run(&cookie, run_id).await.state, RunState::Previewed);

    // An admin cancels a scheduled read: the record names the admin.
    app.clock.advance(HOUR * 2);
    let scheduler = app.scheduler.clone();
    let scheduled = tokio::spawn(async move { scheduler.tick().await.unwrap() });
    while app.overview(&cookie).await.progress.started_by() != Some("Schedule") {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, _) = app.call_form("/api/cancel_fetch", &cookie, "").await;
    assert_eq!(status, StatusCode::OK);
    let (run_id, outcome) = ran(scheduled.await.unwrap());
    assert!(
        outcome.contains("failed: The import was cancelled"),
        "{outcome}"
    );
    let run = app.run(&cookie, run_id).await;
    assert_eq!(run.state, RunState::Cancelled);
    assert_eq!(
        run.error.as_deref(),
        Some("Cancelled by admin@example.com while reading Azure AD.")
    );
    app.db.teardown().await;
}

async fn apply_when_safe_applies_a_clean_run_and_stops_a_risky_one(db: TestDb) {
    let (app, sim) = demo_on(db, 60, 44).await;
    let cookie = app.session_cookie().await;
    let changes = app.save_schedule(&cookie, 12, "ApplyWhenSafe").await;
    assert_eq!(
        changes,
        json!([
            "Scheduled sync: Off → Every 12 hours",
            "Scheduled previews: Preview only → Apply when every safety check passes"
        ])
    );

    // The first import: nothing risky, applied on its own.
    let (first, outcome) = ran(app.after(HOUR * 12).await);
    assert!(
        outcome.starts_with(&format!("Scheduled sync #{first} applied: ")),
        "{outcome}"
    );
    let run = app.run(&cookie, first).await;
    assert_eq!(run.state, RunState::Applied);
    assert_eq!(run.applied_by.as_deref(), Some("Schedule"));
    assert!(run.results.unwrap().added > 0);
    assert_eq!(app.waiting_preview(&cookie).await, None);

    // Unchanged: nothing to confirm, nothing waits.
    let (quiet, outcome) = ran(app.after(HOUR * 12).await);
    assert_eq!(
        outcome,
        format!("Scheduled sync #{quiet}: nothing changed in Azure AD.")
    );
    assert_eq!(app.run(&cookie, quiet).await.state, RunState::Applied);

    // Most of the directory vanishes (a bad filter, a permission lost):
    // the run stops as "Needs review" with its preview ready.
    let active_before = app.active_users().await;
    sim.with_tenant(|t| t.users.truncate(10));
    let (risky, outcome) = ran(app.after(HOUR * 12).await);
    assert!(outcome.contains("needs review"), "{outcome}");
    let run = app.run(&cookie, risky).await;
    assert_eq!(run.state, RunState::Previewed);
    assert!(run.needs_review());
    assert!(
        run.review_reason
            .as_deref()
            .unwrap()
            .contains("fewer than half"),
        "{:?}",
        run.review_reason
    );
    assert_eq!(app.waiting_preview(&cookie).await, Some(risky));
    assert_eq!(
        app.active_users().await,
        active_before,
        "nobody was deactivated"
    );
    app.db.teardown().await;
}
