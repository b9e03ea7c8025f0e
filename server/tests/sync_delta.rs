//! Delta queries through the real preview and apply, on both engines: a
//! full read, then only the changes, planned exactly as a full read plans
//! them; and every reason to read everything again (the admin's choice, a
//! refused token, old links, another connection, other options, a read that
//! failed halfway) does so, and says so in the run.

mod common;

use app::domain::sync::directory_read::{FullReadReason, ReadKind};
use app::domain::sync::{OverwriteBehavior, PlanEntry, SyncOptions};
use common::TestDb;
use server::graph::GraphClient;
use server::graph_sim::{DeltaReset, Faults, GraphSim, SimUser, Tenant};
use server::store::Store;
use server::sync::LockPolicy;
use server::sync::ProgressHub;
use server::sync::apply::{ApplyRequest, apply};
use server::sync::preview::{PreviewJob, SyncError};
use sqlx::{Connection, Executor};

const ADMIN: &str = "admin@example.com";

on_both_engines!(
    changes_are_planned_exactly_as_a_full_read_plans_them,
    a_refused_token_reads_everything_again,
    old_links_another_connection_and_other_options_read_everything,
    a_read_that_fails_halfway_keeps_the_last_complete_one,
    removing_the_connection_forgets_the_kept_directory,
);

/// An emulated tenant and a client that tries once (the fault test needs
/// no retries).
async fn tenant(seed: u64) -> (GraphSim, GraphClient) {
    common::emulator::start_trying_once(240, 5, seed).await
}

fn deactivating() -> SyncOptions {
    SyncOptions {
        overwrite: OverwriteBehavior::AddUpdateAndDeactivate,
        ..SyncOptions::default()
    }
}

/// A preview as Import Users starts it; returns the run, the kind of read
/// it made, and its plan.
async fn preview(
    store: &Store,
    client: &GraphClient,
    options: &SyncOptions,
    full_read: bool,
) -> Result<(i64, ReadKind, Vec<PlanEntry>), SyncError> {
    let job = PreviewJob::begin(store, ADMIN, options, LockPolicy::default())
        .await?
        .full_read(full_read);
    let run = job
        .run(store, &ProgressHub::new(), client, std::future::pending())
        .await?;
    let record = store.get_run(run).await.unwrap();
    let entries = store
        .plan_entries(run)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.entry)
        .collect();
    Ok((
        run,
        record.read_kind.expect("a finished read has a kind"),
        entries,
    ))
}

async fn apply_run(store: &Store, run_id: i64) {
    apply(
        store,
        &ProgressHub::new(),
        ApplyRequest {
            run_id,
            admin: ADMIN,
            excluded: &[],
            override_threshold: true,
        },
    )
    .await
    .unwrap();
}

/// Enabled members with a mail: the users a default sync imports.
fn imported_ids(sim: &GraphSim) -> Vec<String> {
    sim.with_tenant(|t| {
        t.users
            .iter()
            .filter(|u| u.account_enabled && u.user_type == "Member" && u.mail.is_some())
            .map(|u| u.id.clone())
            .collect()
    })
}

fn user_mut<'a>(tenant: &'a mut Tenant, id: &str) -> &'a mut SimUser {
    tenant.users.iter_mut().find(|u| u.id == id).unwrap()
}

fn ids_in(entries: &[PlanEntry], bucket: fn(&PlanEntry) -> Option<&str>) -> Vec<String> {
    let mut ids: Vec<String> = entries
        .iter()
        .filter_map(bucket)
        .map(str::to_owned)
        .collect();
    ids.sort();
    ids
}

fn added(e: &PlanEntry) -> Option<&str> {
    match e {
        PlanEntry::Add(a) => Some(&a.user.azure_object_id),
        _ => None,
    }
}

fn updated(e: &PlanEntry) -> Option<&str> {
    match e {
        PlanEntry::Update(u) => Some(&u.user.azure_object_id),
        _ => None,
    }
}

fn deactivated(e: &PlanEntry) -> Option<&str> {
    match e {
        PlanEntry::Deactivate(d) => Some(&d.azure_object_id),
        _ => None,
    }
}

async fn changes_are_planned_exactly_as_a_full_read_plans_them(db: &TestDb) {
    let (sim, client) = tenant(61).await;
    let options = deactivating();
    let (first, kind, _) = preview(&db.store, &client, &options, false).await.unwrap();
    assert_eq!(kind, ReadKind::Full(FullReadReason::FirstRead));
    apply_run(&db.store, first).await;

    let ids = imported_ids(&sim);
    let (renamed, disabled, deleted) = (ids[0].clone(), ids[1].clone(), ids[2].clone());
    let new_id = "0000aaaa-0000-4000-8000-00000000beef".to_owned();
    sim.with_tenant(|t| {
        user_mut(t, &renamed).display_name = Some("Renamed In Azure".into());
        user_mut(t, &disabled).account_enabled = false;
        t.delete_user(&deleted);
        let mut new = t.user(&ids[3]).unwrap().clone();
        new.id = new_id.clone();
        new.user_principal_name = "new.hire@contoso.com".into();
        new.mail = Some("new.hire@contoso.com".into());
        new.proxy_addresses.clear();
        new.other_mails.clear();
        t.users.push(new);
    });

    let (changes_run, kind, changes) = preview(&db.store, &client, &options, false).await.unwrap();
    assert_eq!(kind, ReadKind::Changes);
    assert_eq!(ids_in(&changes, added), vec![new_id]);
    assert_eq!(
        ids_in(&changes, updated),
        vec![renamed],
        "a user unchanged in Azure AD is not planned again"
    );
    let mut gone = vec![disabled, deleted];
    gone.sort();
    assert_eq!(ids_in(&changes, deactivated), gone);

    let (_, kind, full) = preview(&db.store, &client, &options, true).await.unwrap();
    assert_eq!(kind, ReadKind::Full(FullReadReason::AdminAsked));
    assert_eq!(changes, full, "the same plan, row for row");
    let run = db.store.get_run(changes_run).await.unwrap();
    assert_eq!(
        run.read_kind,
        Some(ReadKind::Changes),
        "the history says so"
    );
}

async fn a_refused_token_reads_everything_again(db: &TestDb) {
    let (sim, client) = tenant(62).await;
    let options = SyncOptions::default();
    let (first, _, _) = preview(&db.store, &client, &options, false).await.unwrap();
    apply_run(&db.store, first).await;
    for how in [
        DeltaReset::ResyncRequired,
        DeltaReset::Gone,
        DeltaReset::SyncStateNotFound,
    ] {
        let renamed = imported_ids(&sim)[4].clone();
        sim.with_tenant(|t| {
            user_mut(t, &renamed).job_title = Some(format!("After {how:?}"));
        });
        sim.expire_delta_tokens(how);
        let (run, kind, entries) = preview(&db.store, &client, &options, false).await.unwrap();
        assert_eq!(
            kind,
            ReadKind::Full(FullReadReason::TokenRefused),
            "{how:?}"
        );
        assert_eq!(ids_in(&entries, updated), vec![renamed], "{how:?}");
        apply_run(&db.store, run).await;
        let (_, kind, entries) = preview(&db.store, &client, &options, false).await.unwrap();
        assert_eq!(kind, ReadKind::Changes, "the new links work: {how:?}");
        assert!(ids_in(&entries, updated).is_empty(), "{how:?}");
    }
}

async fn old_links_another_connection_and_other_options_read_everything(db: &TestDb) {
    let (_sim, client) = tenant(63).await;
    let options = SyncOptions::default();
    let read = |client, options, full| async move {
        preview(&db.store, client, options, full).await.unwrap().1
    };
    assert_eq!(
        read(&client, &options, false).await,
        ReadKind::Full(FullReadReason::FirstRead)
    );
    assert_eq!(read(&client, &options, false).await, ReadKind::Changes);

    // Six days after the links came.
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    let six_days_ago = server::store::now_millis() - 6 * 24 * 60 * 60 * 1000;
    conn.execute(sqlx::AssertSqlSafe(format!(
        "UPDATE directory_mirror SET links_received_at = {six_days_ago}"
    )))
    .await
    .unwrap();
    conn.close().await.unwrap();
    assert_eq!(
        read(&client, &options, false).await,
        ReadKind::Full(FullReadReason::LinkTooOld)
    );
    assert_eq!(read(&client, &options, false).await, ReadKind::Changes);

    // Fresh links, but the last full read was a week ago.
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    let a_week_ago = server::store::now_millis() - 7 * 24 * 60 * 60 * 1000;
    conn.execute(sqlx::AssertSqlSafe(format!(
        "UPDATE directory_mirror SET full_read_at = {a_week_ago}"
    )))
    .await
    .unwrap();
    conn.close().await.unwrap();
    assert_eq!(
        read(&client, &options, false).await,
        ReadKind::Full(FullReadReason::FullReadDue)
    );
    assert_eq!(read(&client, &options, false).await, ReadKind::Changes);

    let guests = SyncOptions {
        include_guests: true,
        ..SyncOptions::default()
    };
    assert_eq!(
        read(&client, &guests, false).await,
        ReadKind::Full(FullReadReason::OptionsChanged)
    );
    let stricter = SyncOptions {
        include_guests: true,
        overwrite: OverwriteBehavior::AddOnly,
        ..SyncOptions::default()
    };
    assert_eq!(
        read(&client, &stricter, false).await,
        ReadKind::Changes,
        "what is done with a read does not change what is read"
    );

    let (_other, other_client) = tenant(64).await;
    assert_eq!(
        read(&other_client, &stricter, false).await,
        ReadKind::Full(FullReadReason::ConnectionChanged)
    );
    assert_eq!(
        read(&client, &stricter, false).await,
        ReadKind::Full(FullReadReason::ConnectionChanged),
        "one directory is kept: the first connection reads everything again"
    );
}

async fn a_read_that_fails_halfway_keeps_the_last_complete_one(db: &TestDb) {
    let (sim, client) = tenant(65).await;
    let options = SyncOptions::default();
    preview(&db.store, &client, &options, false).await.unwrap();
    let before = db.store.load_directory().await.unwrap().unwrap();
    let renamed = imported_ids(&sim)[5].clone();
    sim.with_tenant(|t| user_mut(t, &renamed).display_name = Some("Halfway".into()));

    // The connection drops in the middle of the changes: after the two
    // counts and the users' changes, the groups' changes never arrive.
    sim.set_faults(Faults {
        drop_next: 1,
        faults_after: 3,
        ..Faults::default()
    });
    let failed = preview(&db.store, &client, &options, false).await;
    assert!(
        matches!(failed, Err(SyncError::Graph(_))),
        "{:?}",
        failed.err()
    );
    assert_eq!(
        db.store.load_directory().await.unwrap().unwrap(),
        before,
        "nothing of a failed read is kept"
    );

    sim.set_faults(Faults::default());
    let (_, kind, entries) = preview(&db.store, &client, &options, false).await.unwrap();
    assert_eq!(kind, ReadKind::Changes, "the old links still hold");
    assert!(
        entries
            .iter()
            .any(|e| matches!(e, PlanEntry::Add(a) if a.user.azure_object_id == renamed && a.user.display_name == "Halfway")),
        "the change is read again"
    );
}

async fn removing_the_connection_forgets_the_kept_directory(db: &TestDb) {
    let (_sim, client) = tenant(66).await;
    preview(&db.store, &client, &SyncOptions::default(), false)
        .await
        .unwrap();
    assert!(db.store.load_directory().await.unwrap().is_some());
    db.store
        .remove_connection(ADMIN, "Removed the Azure AD connection")
        .await
        .unwrap();
    assert_eq!(
        db.store.load_directory().await.unwrap(),
        None,
        "every Azure AD user it held is gone with the connection"
    );
}
