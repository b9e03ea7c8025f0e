//! The store's behaviour, one suite run on SQLite and on PostgreSQL.

mod common;

use app::domain::paging::UserQuery;
use app::domain::profile::{PROFILE, ProfileField};
use app::domain::user::{StatusOrigin, UserSource, UserStatus};
use app::domain::user_input::{UserField, UserInput, ValidUserInput};
use app::services::{AdminAuth, SignInError, StoreError, UserStore};
use common::TestDb;
use server::auth::{AuthService, SessionPolicy, ThrottlePolicy, hash_password};
use server::store::Store;
use std::net::IpAddr;
use std::time::Duration;

fn person(name: &str, email: &str) -> ValidUserInput {
    UserInput::default()
        .with(UserField::DisplayName, name)
        .with(UserField::Email, email)
        .validate()
        .expect("valid test input")
}

on_both_engines!(
    migrations_run_once_and_reopen_cleanly,
    users_round_trip_every_field,
    emails_are_unique_case_insensitively,
    listing_pages_and_sorts_by_name,
    search_matches_name_email_department_and_title,
    search_takes_wildcards_literally,
    updates_change_fields_and_guard_the_email,
    status_changes_deactivate_and_reactivate,
    sessions_expire_and_end_at_sign_out,
    sign_in_checks_the_password_and_throttles_failures,
    every_user_is_read_in_batches_in_id_order,
    sync_options_are_saved_with_a_record_of_each_change,
    a_connection_is_saved_replaced_and_removed_with_its_record,
    emails_folded_by_an_older_rule_are_refolded_once,
    shared_progress_keeps_the_newest_sync_and_carries_a_cancel,
);

/// The row the server processes share: how a sync ended, written late,
/// never covers the progress of a sync that started since; a Cancel is
/// recorded only for a run being read, and forgotten once carried out.
async fn shared_progress_keeps_the_newest_sync_and_carries_a_cancel(db: &TestDb) {
    use app::domain::sync::SyncOptions;
    use app::domain::sync::progress::{BucketCounts, ProgressEvent};
    use server::store::HolderLiveness;

    let store = &db.store;
    let now = server::store::now_millis();
    let fetching = |run_id| ProgressEvent::Fetching {
        run_id,
        started_by: "admin@example.com".into(),
        pages: 1,
        users_so_far: 999,
        total: None,
        groups_so_far: 0,
        changes_only: false,
    };
    let previewed = |run_id| ProgressEvent::Previewed {
        run_id,
        counts: BucketCounts::default(),
        unchanged: 0,
    };
    let first = store
        .create_run("admin@example.com", &SyncOptions::default(), now)
        .await
        .unwrap();
    assert_eq!(
        store.request_cancel("admin@example.com").await.unwrap(),
        None,
        "nothing is read"
    );

    // A second run takes the lock (as a preview does: the lock, then its
    // run): the first one's end comes too late.
    store
        .take_sync_lock("token-2", "B", None, now, 0, HolderLiveness::Unproven)
        .await
        .unwrap()
        .unwrap();
    let second = store
        .create_run("admin@example.com", &SyncOptions::default(), now)
        .await
        .unwrap();
    assert!(store.attach_sync_lock("token-2", second).await.unwrap());
    assert!(
        store
            .publish_progress("B", &fetching(second), now)
            .await
            .unwrap()
    );
    assert!(
        !store
            .publish_progress("A", &previewed(first), now)
            .await
            .unwrap()
    );
    assert!(
        !store
            .publish_progress("A", &ProgressEvent::Idle, now)
            .await
            .unwrap()
    );
    let shared = store.shared_progress().await.unwrap();
    assert_eq!(shared.event, Some(fetching(second)));
    assert_eq!(shared.publisher.as_deref(), Some("B"));
    assert_eq!(
        shared.run_state,
        Some(app::domain::sync::view::RunState::Fetching)
    );
    // Its own end is written while it still holds the lock, and after.
    assert!(
        store
            .publish_progress("B", &previewed(second), now)
            .await
            .unwrap()
    );
    let version = store.shared_progress().await.unwrap().version;

    // A Cancel names the run being read, and is cleared for that run only.
    assert_eq!(
        store.request_cancel("other@example.com").await.unwrap(),
        Some(second)
    );
    let shared = store.shared_progress().await.unwrap();
    assert_eq!(
        shared.cancel,
        Some((second, "other@example.com".to_owned()))
    );
    assert_eq!(shared.version, version, "a Cancel is not progress");
    store.clear_cancel(first).await.unwrap();
    assert!(store.shared_progress().await.unwrap().cancel.is_some());
    store.clear_cancel(second).await.unwrap();
    assert_eq!(store.shared_progress().await.unwrap().cancel, None);

    store.release_sync_lock("token-2").await.unwrap();
    assert!(
        store
            .publish_progress("A", &ProgressEvent::Idle, now)
            .await
            .unwrap()
    );
    assert_eq!(
        store.shared_progress().await.unwrap().event,
        Some(ProgressEvent::Idle)
    );
}

/// An address stored before emails were compared in Unicode NFC (decomposed
/// `ë`, folded by lower-casing only) is found by the new rule after a
/// reopen, and its composed twin is refused as taken.
async fn emails_folded_by_an_older_rule_are_refolded_once(db: &TestDb) {
    let decomposed = "Zoe\u{308}@Example.com";
    let user = db
        .store
        .create_local_user(&person("Zoë", decomposed))
        .await
        .unwrap();
    // As the previous version stored it.
    sqlx::query("UPDATE users SET email_normalized = $1 WHERE id = $2")
        .bind(decomposed.to_lowercase())
        .bind(user.id)
        .execute(db.store.pool())
        .await
        .unwrap();
    sqlx::query("DELETE FROM store_meta WHERE key = 'folding_version'")
        .execute(db.store.pool())
        .await
        .unwrap();
    let reopened = Store::open(&db.url).await.unwrap();
    let (folded,): (String,) = sqlx::query_as("SELECT email_normalized FROM users WHERE id = $1")
        .bind(user.id)
        .fetch_one(reopened.pool())
        .await
        .unwrap();
    assert_eq!(folded, "zo\u{eb}@example.com");
    assert_eq!(
        reopened
            .create_local_user(&person("Zoë again", "zo\u{eb}@example.com"))
            .await,
        Err(StoreError::EmailTaken {
            owner: format!("Zoë ({decomposed})")
        })
    );
    reopened.close().await;
}

async fn sync_options_are_saved_with_a_record_of_each_change(db: &TestDb) {
    use app::domain::sync::{OverwriteBehavior, SyncOptions};
    use app::services::SettingsStore;
    let store = &db.store;
    assert_eq!(store.sync_options().await.unwrap(), SyncOptions::default());
    let mut options = SyncOptions {
        overwrite: OverwriteBehavior::AddOnly,
        ..SyncOptions::default()
    };
    let changes = store
        .save_sync_options("a@example.com", &options)
        .await
        .unwrap();
    assert_eq!(changes.len(), 1);
    assert!(
        store
            .save_sync_options("a@example.com", &options)
            .await
            .unwrap()
            .is_empty(),
        "saving the same options again records nothing"
    );
    options.include_disabled = true;
    options.threshold.max_count = 7;
    store
        .save_sync_options("b@example.com", &options)
        .await
        .unwrap();
    let settings = store.sync_settings().await.unwrap();
    assert_eq!(settings.options, options);
    let who: Vec<&str> = settings
        .changes
        .iter()
        .map(|c| c.changed_by.as_str())
        .collect();
    assert_eq!(
        who,
        ["b@example.com", "b@example.com", "a@example.com"],
        "newest first"
    );
}

async fn a_connection_is_saved_replaced_and_removed_with_its_record(db: &TestDb) {
    use app::domain::connection::Cloud;
    use app::services::SettingsStore;
    use server::store::SavedConnection;
    let store = &db.store;
    assert_eq!(store.saved_connection().await.unwrap(), None);
    let mut saved = SavedConnection {
        tenant_id: "contoso.onmicrosoft.com".into(),
        client_id: "00000000-0000-4000-8000-000000000001".into(),
        cloud: Cloud::UsGovernment,
        sealed_secret: Some("v1.c2VhbGVk".into()),
        secret_set_at: Some(5),
        secret_set_by: Some("a@example.com".into()),
    };
    store
        .save_connection("a@example.com", &saved, &["Tenant ID set".into()])
        .await
        .unwrap();
    saved.cloud = Cloud::China;
    store
        .save_connection("b@example.com", &saved, &["Cloud changed".into()])
        .await
        .unwrap();
    assert_eq!(store.saved_connection().await.unwrap(), Some(saved));
    store
        .remove_connection("b@example.com", "Connection removed")
        .await
        .unwrap();
    assert_eq!(store.saved_connection().await.unwrap(), None);
    let record: Vec<String> = store
        .sync_settings()
        .await
        .unwrap()
        .changes
        .into_iter()
        .map(|c| c.summary)
        .collect();
    assert_eq!(
        record,
        ["Connection removed", "Cloud changed", "Tenant ID set"]
    );
}

async fn every_user_is_read_in_batches_in_id_order(db: &TestDb) {
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(
            db.store
                .create_local_user(&person(&format!("P{i}"), &format!("p{i}@example.com")))
                .await
                .unwrap()
                .id,
        );
    }
    for batch in [1, 3, 7, 100] {
        let read: Vec<i64> = db
            .store
            .all_users_in_batches(batch)
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.id)
            .collect();
        assert_eq!(read, ids, "batch of {batch}");
    }
}

async fn migrations_run_once_and_reopen_cleanly(db: &TestDb) {
    db.store
        .create_local_user(&person("Ada Lovelace", "ada@example.com"))
        .await
        .unwrap();
    let again = Store::open(&db.url)
        .await
        .expect("reopening runs no migration twice");
    let page = again.list_users(&UserQuery::new("", 1)).await.unwrap();
    assert_eq!(page.total, 1, "data survives a reopen");
    again.close().await;
}

async fn users_round_trip_every_field(db: &TestDb) {
    let mut input = UserInput::default()
        .with(UserField::DisplayName, "Zoë O'Brien-Ławniczak")
        .with(UserField::Email, "Zoe.OBrien@Example.com");
    // Every field of the profile table, each with a value of its own.
    let value_of = |spec: &app::domain::profile::FieldSpec| match spec.field {
        ProfileField::Department => "カスタマーサポート".to_owned(),
        ProfileField::EmployeeHireDate => "2021-03-01".to_owned(),
        ProfileField::UsageLocation => "IE".to_owned(),
        ProfileField::PreferredLanguage => "ga-IE".to_owned(),
        ProfileField::BusinessPhones => "+353 1 555 0100; +353 1 555 0199".to_owned(),
        ProfileField::EmployeeId => "E-00042".to_owned(),
        _ => format!("{} of Zoë", spec.label),
    };
    for spec in &PROFILE {
        input.set(UserField::Profile(spec.field), value_of(spec));
    }
    let input = input.validate().unwrap();
    let created = db.store.create_local_user(&input).await.unwrap();
    assert_eq!(
        created.email, "Zoe.OBrien@Example.com",
        "the email is kept as typed"
    );
    assert_eq!(created.display_name, "Zoë O'Brien-Ławniczak");
    for spec in &PROFILE {
        assert_eq!(
            created.profile.get(spec.field),
            Some(value_of(spec).as_str()),
            "{}",
            spec.label
        );
    }
    assert_eq!(created.status, UserStatus::Active);
    assert_eq!(
        created.status_origin,
        StatusOrigin::Admin,
        "an admin made them active"
    );
    assert_eq!(created.source, UserSource::Local);
    assert_eq!(created.azure_object_id, None);
    assert_eq!(created.last_synced_at, None);
    assert!(created.created_at > 1_700_000_000_000 && created.created_at == created.updated_at);

    let fetched = db.store.get_user(created.id).await.unwrap();
    assert_eq!(fetched, created);
    assert_eq!(
        db.store.get_user(created.id + 1000).await,
        Err(StoreError::NotFound)
    );
}

async fn emails_are_unique_case_insensitively(db: &TestDb) {
    db.store
        .create_local_user(&person("Ada Lovelace", "Ada@Example.com"))
        .await
        .unwrap();
    let clash = db
        .store
        .create_local_user(&person("Impostor", "ada@EXAMPLE.com"))
        .await;
    assert_eq!(
        clash,
        Err(StoreError::EmailTaken {
            owner: "Ada Lovelace (Ada@Example.com)".into()
        })
    );
    let unicode = db
        .store
        .create_local_user(&person("Émile", "ÉMILE@example.fr"))
        .await
        .unwrap();
    let clash = db
        .store
        .create_local_user(&person("Other", "émile@example.fr"))
        .await;
    assert!(
        matches!(clash, Err(StoreError::EmailTaken { .. })),
        "non-ASCII case folds too: {clash:?}"
    );
    assert_eq!(
        db.store
            .list_users(&UserQuery::new("", 1))
            .await
            .unwrap()
            .total,
        2,
        "nothing else was saved"
    );
    assert_eq!(unicode.email, "ÉMILE@example.fr");
}

async fn listing_pages_and_sorts_by_name(db: &TestDb) {
    for i in (0..30).rev() {
        db.store
            .create_local_user(&person(
                &format!("user {i:02}"),
                &format!("u{i}@example.com"),
            ))
            .await
            .unwrap();
    }
    db.store
        .create_local_user(&person("Aaron", "aaron@example.com"))
        .await
        .unwrap();
    let first = db.store.list_users(&UserQuery::new("", 1)).await.unwrap();
    assert_eq!(first.total, 31);
    assert_eq!(first.items.len(), 25);
    assert_eq!(first.page_count(), 2);
    assert_eq!(
        first.items[0].display_name, "Aaron",
        "sorted case-insensitively by name"
    );
    assert_eq!(first.items[1].display_name, "user 00");
    let second = db.store.list_users(&UserQuery::new("", 2)).await.unwrap();
    assert_eq!(second.items.len(), 6);
    assert_eq!(second.items.last().unwrap().display_name, "user 29");
    let beyond = db.store.list_users(&UserQuery::new("", 9)).await.unwrap();
    assert!(beyond.items.is_empty());
    assert_eq!(beyond.total, 31);
}

async fn search_matches_name_email_department_and_title(db: &TestDb) {
    let ada = UserInput::default()
        .with(UserField::DisplayName, "Ada Lovelace")
        .with(UserField::Email, "ada@example.com")
        .with(UserField::Profile(ProfileField::Department), "Engineering")
        .with(UserField::Profile(ProfileField::JobTitle), "Analyst");
    db.store
        .create_local_user(&ada.validate().unwrap())
        .await
        .unwrap();
    db.store
        .create_local_user(&person("Zoë Adams", "zoe@contoso.ie"))
        .await
        .unwrap();
    db.store
        .create_local_user(&person("Grace Hopper", "grace@navy.example"))
        .await
        .unwrap();

    let names = |page: app::domain::paging::Page<app::domain::user::LocalUser>| {
        page.items
            .into_iter()
            .map(|u| u.display_name)
            .collect::<Vec<_>>()
    };
    let search =
        |q: &'static str| async move { db.store.list_users(&UserQuery::new(q, 1)).await.unwrap() };
    assert_eq!(
        names(search("ADA").await),
        vec!["Ada Lovelace", "Zoë Adams"]
    );
    assert_eq!(names(search("contoso").await), vec!["Zoë Adams"]);
    assert_eq!(names(search("engineer").await), vec!["Ada Lovelace"]);
    assert_eq!(names(search("analyst").await), vec!["Ada Lovelace"]);
    assert_eq!(
        names(search("ZOË").await),
        vec!["Zoë Adams"],
        "non-ASCII search is case-insensitive"
    );
    assert_eq!(search("nobody").await.total, 0);
}

async fn search_takes_wildcards_literally(db: &TestDb) {
    db.store
        .create_local_user(&person("Ada Lovelace", "ada@example.com"))
        .await
        .unwrap();
    db.store
        .create_local_user(&person("100% Sales_Team", "sales@example.com"))
        .await
        .unwrap();
    assert_eq!(
        db.store
            .list_users(&UserQuery::new("%", 1))
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        db.store
            .list_users(&UserQuery::new("_", 1))
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        db.store
            .list_users(&UserQuery::new("a%e", 1))
            .await
            .unwrap()
            .total,
        0
    );
}

async fn updates_change_fields_and_guard_the_email(db: &TestDb) {
    let ada = db
        .store
        .create_local_user(&person("Ada Lovelace", "ada@example.com"))
        .await
        .unwrap();
    db.store
        .create_local_user(&person("Grace Hopper", "grace@example.com"))
        .await
        .unwrap();

    let mut edit = UserInput::from_user(&ada);
    edit.set(
        UserField::Profile(ProfileField::JobTitle),
        "Countess".into(),
    );
    edit.set(UserField::Email, "ADA@example.com".into());
    let updated = db
        .store
        .update_user(ada.id, &edit.validate().unwrap())
        .await
        .unwrap();
    assert_eq!(
        updated.profile.get(ProfileField::JobTitle),
        Some("Countess")
    );
    assert_eq!(
        updated.email, "ADA@example.com",
        "changing only the case of one's own email is fine"
    );
    assert!(updated.updated_at >= ada.updated_at);
    assert_eq!(updated.created_at, ada.created_at);

    edit.set(UserField::Email, "Grace@example.com".into());
    let clash = db
        .store
        .update_user(ada.id, &edit.validate().unwrap())
        .await;
    assert_eq!(
        clash,
        Err(StoreError::EmailTaken {
            owner: "Grace Hopper (grace@example.com)".into()
        })
    );
    assert_eq!(
        db.store.get_user(ada.id).await.unwrap().email,
        "ADA@example.com",
        "nothing saved"
    );

    let missing = db
        .store
        .update_user(ada.id + 1000, &person("X", "x@example.com"))
        .await;
    assert_eq!(missing, Err(StoreError::NotFound));
    assert_eq!(
        db.store
            .list_users(&UserQuery::new("Countess", 1))
            .await
            .unwrap()
            .total,
        1,
        "search follows edits"
    );
}

async fn status_changes_deactivate_and_reactivate(db: &TestDb) {
    let ada = db
        .store
        .create_local_user(&person("Ada Lovelace", "ada@example.com"))
        .await
        .unwrap();
    let off = db
        .store
        .set_user_status(ada.id, UserStatus::Deactivated)
        .await
        .unwrap();
    assert_eq!(off.status, UserStatus::Deactivated);
    assert_eq!(
        db.store.get_user(ada.id).await.unwrap().status,
        UserStatus::Deactivated
    );
    let on = db
        .store
        .set_user_status(ada.id, UserStatus::Active)
        .await
        .unwrap();
    assert_eq!(on.status, UserStatus::Active);
    assert_eq!(
        db.store
            .set_user_status(ada.id + 1000, UserStatus::Active)
            .await,
        Err(StoreError::NotFound)
    );
}

async fn sessions_expire_and_end_at_sign_out(db: &TestDb) {
    let admin = db
        .store
        .create_admin("Root@Example.com", "not-a-real-hash")
        .await
        .unwrap();
    assert!(matches!(
        db.store.create_admin("root@example.COM", "x").await,
        Err(StoreError::EmailTaken { .. })
    ));
    assert_eq!(db.store.count_admins().await.unwrap(), 1);
    assert_eq!(
        db.store
            .find_admin_by_email("ROOT@example.com")
            .await
            .unwrap()
            .unwrap()
            .id,
        admin.id
    );

    db.store
        .create_session("live", admin.id, 1_000, 500_000)
        .await
        .unwrap();
    db.store
        .create_session("old", admin.id, 1_000, 2_000)
        .await
        .unwrap();
    // Live: before its end, and seen after the idle cut-off.
    assert_eq!(
        db.store.session_admin("live", 3_000, 500).await.unwrap(),
        Some(admin.clone())
    );
    assert_eq!(
        db.store.session_admin("old", 3_000, 500).await.unwrap(),
        None,
        "expired"
    );
    assert_eq!(
        db.store.session_admin("live", 3_000, 1_000).await.unwrap(),
        None,
        "idle: last seen at its creation, not after the cut-off"
    );
    db.store.touch_session("live", 100_000).await.unwrap();
    assert_eq!(
        db.store
            .session_admin("live", 100_500, 50_000)
            .await
            .unwrap(),
        Some(admin.clone()),
        "seen again at 100,000"
    );
    db.store.touch_session("live", 120_000).await.unwrap();
    assert_eq!(
        db.store
            .session_admin("live", 120_000, 100_000)
            .await
            .unwrap(),
        None,
        "a use within a minute of the last is not written"
    );
    assert_eq!(
        db.store.session_admin("unknown", 3_000, 500).await.unwrap(),
        None
    );
    assert_eq!(
        db.store.delete_expired_sessions(3_000, 500).await.unwrap(),
        1
    );
    db.store
        .create_session("idle", admin.id, 1_000, 900_000)
        .await
        .unwrap();
    assert_eq!(
        db.store
            .delete_expired_sessions(3_000, 2_000)
            .await
            .unwrap(),
        1,
        "an idle session is removed too"
    );
    db.store.delete_session("live").await.unwrap();
    assert_eq!(
        db.store.session_admin("live", 3_000, 500).await.unwrap(),
        None
    );
}

async fn sign_in_checks_the_password_and_throttles_failures(db: &TestDb) {
    let hash = hash_password("correct horse battery").unwrap();
    db.store
        .create_admin("admin@example.com", &hash)
        .await
        .unwrap();
    let policy = ThrottlePolicy {
        free_failures: 2,
        first_delay: Duration::from_secs(60),
        max_delay: Duration::from_secs(600),
        forget_after: Duration::from_secs(600),
        ..ThrottlePolicy::default()
    };
    let auth = AuthService::new(db.store.clone(), policy, SessionPolicy::default());
    let here = IpAddr::from([10, 0, 0, 1]);

    let session = auth
        .sign_in("Admin@Example.com", "correct horse battery", here)
        .await
        .unwrap();
    assert_eq!(session.admin.email, "admin@example.com");
    let who = auth.admin_for_session(&session.token).await.unwrap();
    assert_eq!(who.map(|a| a.email).as_deref(), Some("admin@example.com"));
    assert_eq!(auth.admin_for_session("forged").await.unwrap(), None);
    auth.sign_out(&session.token).await.unwrap();
    assert_eq!(auth.admin_for_session(&session.token).await.unwrap(), None);

    assert_eq!(
        auth.sign_in("nobody@example.com", "x", here).await.err(),
        Some(SignInError::WrongCredentials)
    );
    assert_eq!(
        auth.sign_in("admin@example.com", "wrong", here).await.err(),
        Some(SignInError::WrongCredentials)
    );
    assert_eq!(
        auth.sign_in("admin@example.com", "wrong", here).await.err(),
        Some(SignInError::WrongCredentials)
    );
    let throttled = auth
        .sign_in("admin@example.com", "correct horse battery", here)
        .await;
    assert!(
        matches!(throttled, Err(SignInError::Throttled(wait)) if wait > Duration::from_secs(50)),
        "{:?}",
        throttled.err()
    );
    let elsewhere = IpAddr::from([10, 0, 0, 2]);
    assert!(
        auth.sign_in("admin@example.com", "correct horse battery", elsewhere)
            .await
            .is_ok(),
        "failures from one address do not lock the admin out elsewhere"
    );
    assert_eq!(
        auth.sign_in(&"a".repeat(255), "x", elsewhere).await.err(),
        Some(SignInError::EmailTooLong)
    );
}
