//! The preview job against the emulator, on both database engines.

mod common;

use app::domain::sync::progress::ProgressEvent;
use app::domain::sync::{SyncOptions, plan_import};
use common::TestDb;
use server::graph::{GraphClient, GraphError, RetryPolicy, SignInFailure};
use server::graph_sim::generate::generate;
use server::graph_sim::{Faults, GraphSim};
use server::store::Store;
use server::sync::ProgressHub;
use server::sync::fetch::fetch_directory;
use server::sync::preview::{SyncError, preview};

async fn emulator(users: usize) -> (GraphSim, GraphClient) {
    let sim = GraphSim::new(generate(users, 6, 41), 41, "");
    let base = common::emulator::serve(&sim).await;
    // One attempt: the failure tests need no retries.
    let policy = RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    };
    let client = common::emulator::client(&base, common::emulator::credentials(&sim), policy);
    (sim, client)
}

on_both_engines!(
    a_preview_stores_the_plan_and_changes_no_user,
    a_second_sync_is_refused_naming_who_holds_it,
    a_failed_preview_is_recorded_and_frees_the_lock,
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
    assert_eq!(run.state, "previewed");
    assert_eq!(run.started_by, "admin@example.com");
    assert_eq!(run.directory_users, Some(300));
    assert!(run.previewed_at.is_some());

    // The stored plan is the plan of the same data.
    let directory = fetch_directory(&client, &ProgressHub::new(), 0, "t")
        .await
        .unwrap();
    let expected = plan_import(
        &directory,
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
    let summary: serde_json::Value =
        serde_json::from_str(run.summary_json.as_deref().unwrap()).unwrap();
    assert_eq!(summary["counts"]["added"], expected.added.len());
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
    other
        .try_lock_sync("alice@example.com", server::store::now_millis(), 60_000)
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
    other.unlock_sync("alice@example.com").await.unwrap();
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
    assert_eq!(run.state, "failed");
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
