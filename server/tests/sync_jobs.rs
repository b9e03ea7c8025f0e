//! The sync jobs over their ports, faked in memory: what a database cannot
//! easily be made to do on cue.

mod common;

use app::domain::directory::{DirectoryUser, DirectoryUserType};
use app::domain::sync::plan::StoredPlan;
use app::domain::sync::view::RunState;
use app::domain::sync::{DirectorySnapshot, SyncOptions, plan_import};
use common::fake_store::FakeSyncStore;
use server::store::now_millis;
use server::sync::apply::{ApplyJob, ApplyRequest};
use server::sync::ports::{PreviewStore, SyncLocks};
use server::sync::preview::SyncError;
use server::sync::{LockPolicy, ProgressHub};

const ADMIN: &str = "admin@example.com";

fn person(i: usize) -> DirectoryUser {
    DirectoryUser {
        id: format!("id-{i}"),
        display_name: Some(format!("Person {i}")),
        mail: Some(format!("p{i}@contoso.com")),
        user_principal_name: format!("p{i}@contoso.com"),
        profile: Default::default(),
        proxy_addresses: vec![],
        other_mails: vec![],
        manager_id: None,
        account_enabled: Some(true),
        user_type: Some(DirectoryUserType::Member),
    }
}

/// A previewed run adding `n` people.
async fn previewed(store: &FakeSyncStore, n: usize) -> i64 {
    let directory = DirectorySnapshot {
        users: (0..n).map(person).collect(),
        ..DirectorySnapshot::default()
    };
    let options = SyncOptions::default();
    let plan = plan_import(
        &directory,
        &store.load_local_state().await.unwrap(),
        &options,
    );
    let lock = store
        .acquire(ADMIN, None, LockPolicy::default())
        .await
        .unwrap()
        .unwrap();
    let run = store
        .create_run(ADMIN, &options, now_millis())
        .await
        .unwrap();
    store
        .save_preview(run, lock.token(), StoredPlan::from(plan), now_millis())
        .await
        .unwrap()
        .unwrap();
    lock.release().await;
    run
}

fn request(run_id: i64) -> ApplyRequest<'static> {
    ApplyRequest {
        run_id,
        admin: ADMIN,
        excluded: &[],
        override_threshold: false,
    }
}

#[tokio::test]
async fn an_apply_whose_lock_is_taken_over_stops_and_writes_nothing_more() {
    let store = FakeSyncStore::default();
    let run = previewed(&store, 1000).await;
    store.state().take_over_after_batches = Some(2);
    let job = ApplyJob::begin(&store, &request(run), LockPolicy::default())
        .await
        .unwrap();
    let stopped = job.run(&store, &ProgressHub::new()).await.unwrap_err();
    assert!(matches!(stopped, SyncError::LockLost), "{stopped}");
    let s = store.state();
    assert_eq!(s.local.users.len(), 400, "two batches of 200, then nothing");
    assert_eq!(
        s.runs[&run].state,
        RunState::Applying,
        "the run is the new holder's to mark, not the old job's"
    );
    assert_eq!(
        s.lock.as_ref().unwrap().1,
        "another server",
        "the old job released nothing"
    );
}

#[tokio::test]
async fn an_apply_while_another_sync_holds_the_lock_is_refused_by_name() {
    let store = FakeSyncStore::default();
    let run = previewed(&store, 10).await;
    let _held = store
        .acquire("alice@example.com", None, LockPolicy::default())
        .await
        .unwrap()
        .unwrap();
    let refused = ApplyJob::begin(&store, &request(run), LockPolicy::default())
        .await
        .err()
        .unwrap();
    assert!(
        refused
            .to_string()
            .starts_with("A sync started by alice@example.com"),
        "{refused}"
    );
    assert_eq!(store.state().runs[&run].state, RunState::Previewed);
    assert!(store.state().local.users.is_empty());
}
