//! The preview job against the emulator, on both database engines.

mod common;

use app::domain::sync::plan::StoredPlan;
use app::domain::sync::progress::ProgressEvent;
use app::domain::sync::view::RunState;
use app::domain::sync::{ImportPlan, OverwriteBehavior, SyncOptions, plan_import};
use common::TestDb;
use common::full_read::fetch_directory;
use server::graph::{GraphClient, GraphError, RetryPolicy, SignInFailure};
use server::graph_sim::generate::generate;
use server::graph_sim::{Faults, GraphSim};
use server::store::Store;
use server::sync::apply::{ApplyJob, ApplyRequest, apply};
use server::sync::lock::SyncLock;
use server::sync::preview::{PreviewJob, SyncError, preview};
use server::sync::{LockPolicy, ProgressHub};
use std::time::Duration;

/// One attempt per request: the failure tests need no retries.
async fn emulator(users: usize) -> (GraphSim, GraphClient) {
    common::emulator::start_trying_once(users, 6, 41).await
}

on_both_engines!(
    a_preview_stores_the_plan_and_changes_no_user,
    a_second_sync_is_refused_naming_who_holds_it,
    a_failed_preview_is_recorded_and_frees_the_lock,
    an_apply_sent_the_moment_a_preview_is_announced_is_accepted,
    a_read_longer_than_the_stale_window_keeps_its_lock,
    a_finished_job_cannot_release_a_newer_jobs_lock,
    faults_in_the_middle_of_the_pages_end_cleanly,
    a_lost_advisory_connection_does_not_make_a_live_holder_look_dead,
);

async fn a_preview_stores_the_plan_and_changes_no_user(db: &TestDb) {
    let (_sim, client) = emulator(300).await;
    let hub = ProgressHub::new();
    let run_id = preview(
        &db.store,
        &hub,
        &client,
        "admin@example.com",
        &SyncOptions::default(),
    )
    .await
    .unwrap();

    let run = db.store.get_run(run_id).await.unwrap();
    assert_eq!(run.state, RunState::Previewed);
    assert_eq!(run.started_by, "admin@example.com");
    assert_eq!(run.directory_users, Some(300));
    assert!(run.previewed_at.is_some());

    // The stored plan is the plan of the same data (in the order the kept
    // directory has: by object id).
    let directory = fetch_directory(&client, &ProgressHub::new(), 0, "t")
        .await
        .unwrap();
    let expected = plan_import(
        &app::domain::directory_mirror::normalized(directory.snapshot),
        &db.store.load_local_state().await.unwrap(),
        &SyncOptions::default(),
    );
    assert!(!expected.added.is_empty());
    assert_eq!(
        db.store.plan_rows_in(run_id, "added").await.unwrap().len(),
        expected.added.len()
    );
    assert_eq!(
        db.store
            .plan_rows_in(run_id, "skipped")
            .await
            .unwrap()
            .len(),
        expected.skipped.len()
    );
    assert_eq!(run.totals.counts.added, expected.added.len() as u64);
    let (_, first_added) = &db.store.plan_rows_in(run_id, "added").await.unwrap()[0];
    let row: serde_json::Value = serde_json::from_str(first_added).unwrap();
    assert_eq!(
        row["user"]["azure_object_id"],
        expected.added[0].user.azure_object_id.as_str()
    );

    assert!(matches!(hub.current(), ProgressEvent::Previewed { run_id: r, .. } if r == run_id));
    let users = app::services::UserStore::list_users(
        &db.store,
        &app::domain::paging::UserQuery::new("", 1),
    )
    .await
    .unwrap();
    assert_eq!(users.total, 0, "a preview changes nothing");
}

async fn a_second_sync_is_refused_naming_who_holds_it(db: &TestDb) {
    let (_sim, client) = emulator(10).await;
    // Another process, its own pool, on the same database.
    let other = Store::open(&db.url).await.unwrap();
    let alices = SyncLock::acquire(&other, "alice@example.com", None, LockPolicy::default())
        .await
        .unwrap()
        .unwrap();
    let refused = preview(
        &db.store,
        &ProgressHub::new(),
        &client,
        "bob@example.com",
        &SyncOptions::default(),
    )
    .await;
    match refused {
        Err(SyncError::Busy(holder)) => assert_eq!(holder.holder, "alice@example.com"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let message = preview(
        &db.store,
        &ProgressHub::new(),
        &client,
        "bob@example.com",
        &SyncOptions::default(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        message.starts_with("A sync started by alice@example.com at "),
        "{message}"
    );
    alices.release().await;
    assert!(
        preview(
            &db.store,
            &ProgressHub::new(),
            &client,
            "bob@example.com",
            &SyncOptions::default()
        )
        .await
        .is_ok()
    );
    other.close().await;
}

async fn a_failed_preview_is_recorded_and_frees_the_lock(db: &TestDb) {
    let (sim, client) = emulator(10).await;
    sim.set_faults(Faults {
        expired_secret: true,
        ..Faults::default()
    });
    let hub = ProgressHub::new();
    let error = preview(
        &db.store,
        &hub,
        &client,
        "admin@example.com",
        &SyncOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            error,
            SyncError::Graph(GraphError::SignIn(SignInFailure::ExpiredSecret))
        ),
        "{error:?}"
    );
    let ProgressEvent::Failed { run_id, message } = hub.current() else {
        panic!("{:?}", hub.current())
    };
    assert!(message.contains("expired"));
    let run = db.store.get_run(run_id).await.unwrap();
    assert_eq!(run.state, RunState::Failed);
    assert!(run.error.unwrap().contains("expired"));
    sim.set_faults(Faults::default());
    assert!(
        preview(
            &db.store,
            &hub,
            &client,
            "admin@example.com",
            &SyncOptions::default()
        )
        .await
        .is_ok(),
        "the lock was freed"
    );
}

const ADMIN: &str = "admin@example.com";

fn apply_request(run_id: i64) -> ApplyRequest<'static> {
    ApplyRequest {
        run_id,
        admin: ADMIN,
        excluded: &[],
        override_threshold: false,
    }
}

/// Defect: "previewed" was published a moment before the lock was released,
/// so an apply sent at once was refused as "still running".
async fn an_apply_sent_the_moment_a_preview_is_announced_is_accepted(db: &TestDb) {
    let (_sim, client) = emulator(50).await;
    let client = std::sync::Arc::new(client);
    for _ in 0..5 {
        let hub = std::sync::Arc::new(ProgressHub::new());
        let (_, mut events) = hub.subscribe();
        let store = db.store.clone();
        let (h, c) = (hub.clone(), client.clone());
        let preview =
            tokio::spawn(
                async move { preview(&store, &h, &c, ADMIN, &SyncOptions::default()).await },
            );
        let run_id = loop {
            if let ProgressEvent::Previewed { run_id, .. } = events.recv().await.unwrap() {
                break run_id;
            }
        };
        let job = ApplyJob::begin(&db.store, &apply_request(run_id), LockPolicy::default())
            .await
            .expect("the lock is free once the preview is announced");
        job.run(&db.store, &hub).await.unwrap();
        preview.await.unwrap().unwrap();
    }
}

/// A read slower than the stale window keeps its lock: the heartbeat runs in
/// every phase, so a second sync is refused throughout.
async fn a_read_longer_than_the_stale_window_keeps_its_lock(db: &TestDb) {
    let (sim, client) = emulator(30).await;
    let policy = LockPolicy {
        heartbeat: Duration::from_millis(100),
        stale_after: Duration::from_millis(1200),
    };
    sim.set_faults(Faults {
        latency_ms: 500,
        ..Faults::default()
    });
    let hub = ProgressHub::new();
    let job = PreviewJob::begin(&db.store, ADMIN, &SyncOptions::default(), policy)
        .await
        .unwrap();
    let slow = job.run(&db.store, &hub, &client, std::future::pending());
    let other = Store::open(&db.url).await.unwrap();
    let contender = async {
        let mut refusals = 0;
        loop {
            tokio::time::sleep(Duration::from_millis(300)).await;
            match PreviewJob::begin(
                &other,
                "mallory@example.com",
                &SyncOptions::default(),
                policy,
            )
            .await
            {
                Err(SyncError::Busy(holder)) => {
                    assert_eq!(holder.holder, ADMIN);
                    refusals += 1;
                }
                Ok(job) => {
                    // Only once the read has ended and let go.
                    let first = db.store.get_run(job.run_id - 1).await.unwrap();
                    assert_eq!(
                        first.state,
                        RunState::Previewed,
                        "the lock was taken from a live read"
                    );
                    return refusals;
                }
                Err(e) => panic!("{e}"),
            }
        }
    };
    let (read, refusals) = tokio::join!(slow, contender);
    read.unwrap();
    assert!(
        refusals >= 3,
        "refused {refusals} times over seconds of reading, several times the 1.2 s window"
    );
    other.close().await;
}

/// Only the holder's token releases the lock: an old job that ends late
/// cannot free the lock of the job that replaced it.
async fn a_finished_job_cannot_release_a_newer_jobs_lock(db: &TestDb) {
    let policy = LockPolicy {
        heartbeat: Duration::from_secs(60),
        stale_after: Duration::from_millis(200),
    };
    // The old job's process hangs: its engine lock is gone (another store)
    // but its row stays, and goes stale.
    let hung = Store::open(&db.url).await.unwrap();
    let old = SyncLock::acquire(&hung, "old@example.com", None, policy)
        .await
        .unwrap()
        .unwrap();
    let old_token = old.token().to_owned();
    hung.close().await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let new = SyncLock::acquire(&db.store, "new@example.com", None, policy)
        .await
        .unwrap()
        .expect("a stale lock is taken over");
    // Fencing: the old job's next commit is refused, and writes nothing.
    let now = server::store::now_millis();
    assert_eq!(
        db.store.apply_batch(1, &old_token, &[], now).await.unwrap(),
        Err(server::store::LockLost)
    );
    assert_eq!(
        db.store
            .save_preview(1, &old_token, StoredPlan::from(ImportPlan::default()), now)
            .await
            .unwrap(),
        Err(server::store::LockLost)
    );
    db.store.release_sync_lock(&old_token).await.unwrap();
    assert!(
        !db.store
            .renew_sync_lock(&old_token, server::store::now_millis())
            .await
            .unwrap()
    );
    let holder = db.store.sync_lock_holder().await.unwrap();
    assert_eq!(
        holder.holder, "new@example.com",
        "the old token released nothing"
    );
    assert!(
        db.store
            .renew_sync_lock(new.token(), server::store::now_millis())
            .await
            .unwrap()
    );
    // The hung process dies at last, and its engine lock goes: that proves
    // nothing of the new holder, which took over without it and still beats.
    drop(old);
    assert!(
        db.store
            .renew_sync_lock(new.token(), server::store::now_millis())
            .await
            .unwrap()
    );
    let third = SyncLock::acquire(&db.store, "third@example.com", None, policy)
        .await
        .unwrap();
    assert_eq!(
        third.err().map(|h| h.holder).as_deref(),
        Some("new@example.com"),
        "a live holder is not taken over"
    );
    new.release().await;
}

/// Faults through a real preview: each ends with a clear message and no
/// plan, or with a complete plan; every user is as before; the lock is free.
async fn faults_in_the_middle_of_the_pages_end_cleanly(db: &TestDb) {
    let sim = GraphSim::new(generate(2500, 6, 43), 43, "");
    let base = common::emulator::serve(&sim).await;
    let quick = RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(20),
        max_total_wait: Duration::from_secs(5),
        ..RetryPolicy::default()
    };
    let client = common::emulator::client(&base, common::emulator::credentials(&sim), quick);
    let options = SyncOptions {
        overwrite: OverwriteBehavior::AddUpdateAndDeactivate,
        ..SyncOptions::default()
    };
    // A first import, so that a partial read would show as deactivations.
    let first = preview(&db.store, &ProgressHub::new(), &client, ADMIN, &options)
        .await
        .unwrap();
    apply(&db.store, &ProgressHub::new(), apply_request(first))
        .await
        .unwrap();
    let before = db.store.load_local_state().await.unwrap();
    let small_pages = Some(400);

    let cases: Vec<(&str, Faults, Option<&str>)> = vec![
        (
            "a 429 storm",
            Faults {
                throttle_every: Some(2),
                retry_after_secs: Some(0),
                max_page_size: small_pages,
                ..Faults::default()
            },
            None,
        ),
        (
            "503s mid-read",
            Faults {
                unavailable_next: 2,
                faults_after: 3,
                max_page_size: small_pages,
                ..Faults::default()
            },
            None,
        ),
        (
            "504s beyond the retries",
            Faults {
                unavailable_next: 20,
                unavailable_status: 504,
                faults_after: 3,
                max_page_size: small_pages,
                ..Faults::default()
            },
            Some(""),
        ),
        (
            "a dropped connection mid-read",
            Faults {
                drop_next: 1,
                faults_after: 3,
                max_page_size: small_pages,
                ..Faults::default()
            },
            None,
        ),
        (
            "malformed page 4",
            Faults {
                malformed_next: 20,
                faults_after: 3,
                max_page_size: small_pages,
                ..Faults::default()
            },
            Some(""),
        ),
        (
            "a count shortfall",
            Faults {
                count_surplus: 300,
                max_page_size: small_pages,
                ..Faults::default()
            },
            Some("reported 2,800 users but returned only 2,500"),
        ),
    ];
    for (what, faults, failure) in cases {
        sim.set_faults(faults);
        let result = preview(&db.store, &ProgressHub::new(), &client, ADMIN, &options).await;
        sim.set_faults(Faults::default());
        match (failure, result) {
            (None, Ok(run)) => {
                let run = db.store.get_run(run).await.unwrap();
                assert_eq!(run.directory_users, Some(2500), "{what}: a complete read");
                assert_eq!(run.totals.counts.deactivated, 0, "{what}");
            }
            (Some(expected), Err(e)) => {
                let message = e.to_string();
                assert!(
                    message.contains(expected) && !message.is_empty(),
                    "{what}: {message}"
                );
                let failed = db.store.newest_run(None).await.unwrap().unwrap();
                assert_eq!(failed.state, RunState::Failed, "{what}: no plan offered");
            }
            (_, other) => panic!("{what}: unexpected {other:?}"),
        }
        assert_eq!(
            db.store.load_local_state().await.unwrap().users,
            before.users,
            "{what}"
        );
        assert_eq!(
            db.store.sync_lock_holder().await.unwrap().holder,
            "",
            "{what}: the lock is free"
        );
    }

    // A token that stops working mid-read is renewed once, and the read goes on.
    sim.set_faults(Faults {
        max_page_size: small_pages,
        latency_ms: 30,
        ..Faults::default()
    });
    let revoker = {
        let sim = sim.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            sim.revoke_tokens();
        })
    };
    let run = preview(&db.store, &ProgressHub::new(), &client, ADMIN, &options)
        .await
        .unwrap();
    revoker.await.unwrap();
    assert_eq!(
        db.store.get_run(run).await.unwrap().directory_users,
        Some(2500)
    );

    // A scope group deleted in Azure AD stops the preview, named.
    let (group_id, name) = sim.with_tenant(|t| {
        let g = t.groups.pop().unwrap();
        (g.id, g.display_name.unwrap())
    });
    let scoped = SyncOptions {
        scope_group_ids: vec![group_id],
        ..options.clone()
    };
    sim.set_faults(Faults::default());
    let e = preview(&db.store, &ProgressHub::new(), &client, ADMIN, &scoped)
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains(&format!(
            "The group “{name}” that the sync is limited to no longer exists"
        )),
        "{e}"
    );
    assert_eq!(
        db.store.load_local_state().await.unwrap().users,
        before.users
    );
    assert_eq!(db.store.sync_lock_holder().await.unwrap().holder, "");
}

/// PostgreSQL drops an advisory lock with its connection (an idle timeout,
/// a failover): the heartbeat finds out, and a free lock then no longer
/// lets another server take over a holder that still beats. (SQLite's file
/// lock has no connection to lose.)
async fn a_lost_advisory_connection_does_not_make_a_live_holder_look_dead(db: &TestDb) {
    if !db.url.starts_with("postgres") {
        return;
    }
    let policy = LockPolicy {
        heartbeat: Duration::from_millis(100),
        stale_after: Duration::from_secs(10),
    };
    let lock = SyncLock::acquire(&db.store, ADMIN, None, policy)
        .await
        .unwrap()
        .unwrap();
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .execute(db.store.pool())
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    // Another server: its own URL, so none of this process's knowledge.
    let joiner = if db.url.contains('?') { '&' } else { '?' };
    let other = Store::open(&format!("{}{joiner}application_name=other", db.url))
        .await
        .unwrap();
    let refused = SyncLock::acquire(&other, "other@example.com", None, policy)
        .await
        .unwrap();
    assert_eq!(
        refused.err().map(|h| h.holder).as_deref(),
        Some(ADMIN),
        "a holder that still beats is not taken over"
    );
    lock.release().await;
    other.close().await;
}
