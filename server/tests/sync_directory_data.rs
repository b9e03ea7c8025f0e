//! The directory data of issue 13 through a real preview and apply against
//! the emulator, on both engines: hand-made users adopted, managers linked,
//! every link bound to its tenant, and an admin's deactivation kept.

mod common;

use app::domain::paging::UserQuery;
use app::domain::profile::ProfileField;
use app::domain::sync::plan::{SkipReason, SyncField};
use app::domain::sync::view::RunState;
use app::domain::sync::{PlanEntry, SyncOptions};
use app::domain::user::{LocalUser, StatusOrigin, UserSource, UserStatus};
use app::domain::user_input::{UserField, UserInput};
use app::services::{GroupStore, UserStore};
use common::TestDb;
use server::graph::GraphClient;
use server::graph_sim::GraphSim;
use server::store::Store;
use server::sync::ProgressHub;
use server::sync::apply::{ApplyRequest, apply};
use server::sync::preview::preview;

const ADMIN: &str = "admin@example.com";

on_both_engines!(
    a_hand_made_user_is_adopted_through_an_alias_and_keeps_their_id,
    managers_are_linked_once_imported_and_diffed_like_any_field,
    a_preview_of_another_tenant_leaves_this_ones_users_alone,
    an_admins_deactivation_survives_the_next_sync,
    groups_list_search_and_page_their_members,
    a_runs_deactivations_are_undone_by_a_previewed_run,
);

/// Previews with `options`; returns the run and its stored entries.
async fn preview_entries(
    store: &Store,
    client: &GraphClient,
    options: &SyncOptions,
) -> (i64, Vec<PlanEntry>) {
    let run = preview(store, &ProgressHub::new(), client, ADMIN, options)
        .await
        .unwrap();
    let entries = store
        .plan_entries(run)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.entry)
        .collect();
    (run, entries)
}

async fn apply_run(store: &Store, run_id: i64) {
    apply(
        store,
        &ProgressHub::new(),
        ApplyRequest {
            run_id,
            admin: ADMIN,
            excluded: &[],
            override_threshold: false,
        },
    )
    .await
    .unwrap();
}

async fn sync(store: &Store, client: &GraphClient, options: &SyncOptions) -> i64 {
    let (run, _) = preview_entries(store, client, options).await;
    apply_run(store, run).await;
    run
}

async fn hand_made(store: &Store, name: &str, email: &str) -> LocalUser {
    let input = UserInput::default()
        .with(UserField::DisplayName, name)
        .with(UserField::Email, email)
        .with(UserField::Profile(ProfileField::City), "Typed by hand");
    store
        .create_local_user(&input.validate().unwrap())
        .await
        .unwrap()
}

async fn linked_to(store: &Store, azure_id: &str) -> LocalUser {
    store
        .load_local_state()
        .await
        .unwrap()
        .users
        .into_iter()
        .find(|u| u.azure_object_id.as_deref() == Some(azure_id))
        .unwrap_or_else(|| panic!("nobody is linked to {azure_id}"))
}

async fn a_hand_made_user_is_adopted_through_an_alias_and_keeps_their_id(db: &TestDb) {
    let (sim, client) = common::emulator::start(30, 2, 61).await;
    let member = sim.with_tenant(|t| {
        t.users
            .iter()
            .find(|u| u.user_type == "Member" && u.mail.is_some() && u.account_enabled)
            .cloned()
            .unwrap()
    });
    let alias = member.proxy_addresses[1]
        .strip_prefix("smtp:")
        .unwrap()
        .to_uppercase();
    let adopted = hand_made(&db.store, "Typed By Hand", &alias).await;
    let untouched = hand_made(&db.store, "Nobody In Azure", "nobody@example.com").await;

    let (run, entries) = preview_entries(&db.store, &client, &SyncOptions::default()).await;
    let update = entries
        .iter()
        .find_map(|e| match e {
            PlanEntry::Update(u) if u.local_id == adopted.id => Some(u),
            _ => None,
        })
        .expect("the hand-made user is under Updated");
    assert_eq!(update.adopts_by.as_deref(), Some(alias.as_str()));
    let changed: Vec<SyncField> = update.changes.iter().map(|c| c.field).collect();
    for field in [
        SyncField::AzureObjectId,
        SyncField::DisplayName,
        SyncField::Email,
        SyncField::Profile(ProfileField::City),
    ] {
        assert!(changed.contains(&field), "{field:?} in {changed:?}");
    }
    assert!(
        !entries
            .iter()
            .any(|e| matches!(e, PlanEntry::Add(a) if a.user.azure_object_id == member.id)),
        "adopted, not added as a second user"
    );
    apply_run(&db.store, run).await;

    let after = db.store.get_user(adopted.id).await.unwrap();
    assert_eq!(after.source, UserSource::AzureAd);
    assert_eq!(after.azure_object_id.as_deref(), Some(member.id.as_str()));
    assert_eq!(Some(after.email.clone()), member.mail);
    assert_eq!(
        after.profile.get(ProfileField::City),
        member.city.as_deref()
    );
    assert_eq!(
        after.tenant_id.as_deref(),
        Some(sim.registration().tenant_id.as_str()),
        "the link records its tenant"
    );
    assert_eq!(
        db.store.get_user(untouched.id).await.unwrap(),
        untouched,
        "a user nothing matches is not touched"
    );
    let (_, again) = preview_entries(&db.store, &client, &SyncOptions::default()).await;
    assert!(
        again.iter().all(|e| !matches!(e, PlanEntry::Update(_))),
        "linked by object id from then on"
    );
}

async fn managers_are_linked_once_imported_and_diffed_like_any_field(db: &TestDb) {
    let (sim, client) = common::emulator::start(40, 2, 62).await;
    // A member whose manager is a guest: guests are not imported by default.
    let (report, guest) = sim.with_tenant(|t| {
        let guest = t
            .users
            .iter()
            .find(|u| u.user_type == "Guest")
            .unwrap()
            .id
            .clone();
        let report = t
            .users
            .iter_mut()
            .find(|u| u.user_type == "Member" && u.account_enabled && u.manager_id.is_some())
            .unwrap();
        report.manager_id = Some(guest.clone());
        (report.id.clone(), guest)
    });
    sync(&db.store, &client, &SyncOptions::default()).await;
    let user = db
        .store
        .get_user(linked_to(&db.store, &report).await.id)
        .await
        .unwrap();
    assert_eq!(user.manager_azure_id.as_deref(), Some(guest.as_str()));
    assert_eq!(user.manager, None, "the manager is not imported yet");

    // Managers imported with their reports resolve at once.
    let managed = sim.with_tenant(|t| {
        t.users
            .iter()
            .find(|u| {
                u.id != report
                    && u.manager_id.is_some()
                    && u.user_type == "Member"
                    && u.account_enabled
            })
            .cloned()
            .unwrap()
    });
    let page = db
        .store
        .list_users(&app::domain::paging::UserQuery::new(
            managed
                .mail
                .as_deref()
                .unwrap_or(&managed.user_principal_name),
            1,
        ))
        .await
        .unwrap();
    let shown = page.items.first().expect("found by email");
    let boss = linked_to(&db.store, managed.manager_id.as_deref().unwrap()).await;
    assert_eq!(
        shown
            .manager
            .as_ref()
            .map(|m| (m.user_id, m.display_name.clone())),
        Some((boss.id, boss.display_name.clone())),
        "the Users page shows the manager"
    );

    // Including guests imports the manager: the link resolves.
    let with_guests = SyncOptions {
        include_guests: true,
        ..SyncOptions::default()
    };
    sync(&db.store, &client, &with_guests).await;
    let user = db.store.get_user(user.id).await.unwrap();
    let manager = linked_to(&db.store, &guest).await;
    assert_eq!(user.manager.map(|m| m.user_id), Some(manager.id));

    // A new manager in Azure AD is an update of that field.
    let new_boss = boss_of_someone_else(&sim, &report, &guest);
    sim.with_tenant(|t| {
        t.users
            .iter_mut()
            .find(|u| u.id == report)
            .unwrap()
            .manager_id = Some(new_boss.clone())
    });
    let (_, entries) = preview_entries(&db.store, &client, &with_guests).await;
    let changes: Vec<_> = entries
        .iter()
        .filter_map(|e| match e {
            PlanEntry::Update(u) if u.local_id == user.id => Some(u.changes.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].field, SyncField::Manager);
    assert_eq!(changes[0].old.as_deref(), Some(guest.as_str()));
    assert_eq!(changes[0].new.as_deref(), Some(new_boss.as_str()));
}

fn boss_of_someone_else(sim: &GraphSim, report: &str, not: &str) -> String {
    sim.with_tenant(|t| {
        t.users
            .iter()
            .find(|u| u.id != report && u.id != not && u.user_type == "Member" && u.account_enabled)
            .unwrap()
            .id
            .clone()
    })
}

async fn a_preview_of_another_tenant_leaves_this_ones_users_alone(db: &TestDb) {
    let (contoso, contoso_client) = common::emulator::start(25, 2, 63).await;
    let first = sync(&db.store, &contoso_client, &SyncOptions::default()).await;
    let contoso_tenant = contoso.registration().tenant_id.clone();
    assert_eq!(
        db.store.get_run(first).await.unwrap().tenant_id.as_deref(),
        Some(contoso_tenant.as_str()),
        "the run records the tenant it read"
    );
    let before = db.store.load_local_state().await.unwrap().users;
    assert!(!before.is_empty());
    assert!(
        before
            .iter()
            .all(|u| u.tenant_id.as_deref() == Some(contoso_tenant.as_str()))
    );

    // Links made before tenants were recorded: bound by the next sync.
    sqlx::query("UPDATE users SET tenant_id = NULL")
        .execute(db.store.pool())
        .await
        .unwrap();
    sync(&db.store, &contoso_client, &SyncOptions::default()).await;
    assert!(
        db.store
            .load_local_state()
            .await
            .unwrap()
            .users
            .iter()
            .all(|u| u.tenant_id.as_deref() == Some(contoso_tenant.as_str()))
    );

    // Another tenant (another seed, other object ids).
    let (fabrikam, fabrikam_client) = common::emulator::start(5, 1, 64).await;
    let (run, entries) =
        preview_entries(&db.store, &fabrikam_client, &SyncOptions::default()).await;
    assert!(
        !entries
            .iter()
            .any(|e| matches!(e, PlanEntry::Deactivate(_))),
        "nobody is gone from a tenant they never belonged to"
    );
    let other_tenant = entries
        .iter()
        .filter(|e| {
            matches!(e, PlanEntry::Skip(s) if matches!(&s.reason, SkipReason::OtherTenant { tenant } if *tenant == contoso_tenant))
        })
        .count();
    let active = before
        .iter()
        .filter(|u| u.status == UserStatus::Active)
        .count();
    assert_eq!(other_tenant, active, "each is named as another tenant's");
    assert_eq!(
        db.store.get_run(run).await.unwrap().tenant_id.as_deref(),
        Some(fabrikam.registration().tenant_id.as_str())
    );
    apply_run(&db.store, run).await;
    let after = db.store.load_local_state().await.unwrap().users;
    for user in &before {
        let now = after.iter().find(|u| u.id == user.id).unwrap();
        assert_eq!(now.status, user.status, "{} left alone", user.email);
        assert_eq!(now.tenant_id, user.tenant_id);
    }
}

async fn an_admins_deactivation_survives_the_next_sync(db: &TestDb) {
    let (sim, client) = common::emulator::start(20, 1, 65).await;
    sync(&db.store, &client, &SyncOptions::default()).await;
    let user = db.store.load_local_state().await.unwrap().users.remove(0);
    let held = db
        .store
        .set_user_status(user.id, UserStatus::Deactivated)
        .await
        .unwrap();
    assert_eq!(held.status_origin, StatusOrigin::Admin);
    assert!(held.status_changed_at.is_some());

    let (run, entries) = preview_entries(&db.store, &client, &SyncOptions::default()).await;
    let skipped = entries
        .iter()
        .find_map(|e| match e {
            PlanEntry::Skip(s)
                if Some(s.directory_id.as_str()) == user.azure_object_id.as_deref() =>
            {
                Some(s.reason.clone())
            }
            _ => None,
        })
        .expect("skipped, not reactivated");
    assert_eq!(
        skipped,
        SkipReason::DeactivatedByAdmin {
            at: held.status_changed_at.unwrap()
        }
    );
    apply_run(&db.store, run).await;
    assert_eq!(
        db.store.get_user(user.id).await.unwrap().status,
        UserStatus::Deactivated
    );

    // Reactivated by an admin: Azure AD decides again (here: disabled).
    db.store
        .set_user_status(user.id, UserStatus::Active)
        .await
        .unwrap();
    let azure_id = user.azure_object_id.clone().unwrap();
    sim.with_tenant(|t| {
        t.users
            .iter_mut()
            .find(|u| u.id == azure_id)
            .unwrap()
            .account_enabled = false
    });
    let deactivating = SyncOptions {
        overwrite: app::domain::sync::OverwriteBehavior::AddUpdateAndDeactivate,
        ..SyncOptions::default()
    };
    sync(&db.store, &client, &deactivating).await;
    let after = db.store.get_user(user.id).await.unwrap();
    assert_eq!(after.status, UserStatus::Deactivated);
    assert_eq!(after.status_origin, StatusOrigin::AzureAd);
}

async fn groups_list_search_and_page_their_members(db: &TestDb) {
    let (sim, client) = common::emulator::start(120, 6, 66).await;
    sync(&db.store, &client, &SyncOptions::default()).await;
    let all = db.store.list_groups(&UserQuery::new("", 1)).await.unwrap();
    assert_eq!(all.total, 6);
    let names: Vec<&str> = all.items.iter().map(|g| g.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted, "by name");

    // The biggest group: its count is the platform users in it.
    let biggest = all
        .items
        .iter()
        .max_by_key(|g| g.member_count)
        .unwrap()
        .clone();
    assert!(biggest.member_count > 0);
    let local = db.store.load_local_state().await.unwrap();
    let expected = local
        .groups
        .iter()
        .find(|g| g.azure_object_id == biggest.azure_object_id)
        .unwrap()
        .member_azure_ids
        .len() as u64;
    assert_eq!(biggest.member_count, expected);
    assert_eq!(db.store.get_group(biggest.id).await.unwrap(), biggest);

    // Members a page at a time, every one exactly once.
    let mut seen = std::collections::BTreeSet::new();
    let mut page = 1;
    loop {
        let members = db
            .store
            .group_members(biggest.id, &UserQuery::new("", page))
            .await
            .unwrap();
        assert_eq!(members.total, expected);
        if members.items.is_empty() {
            break;
        }
        for m in &members.items {
            assert!(seen.insert(m.id), "{} twice", m.email);
        }
        page += 1;
    }
    assert_eq!(seen.len() as u64, expected);

    // A search by part of a name, in any case.
    let needle: String = biggest
        .name
        .chars()
        .skip(1)
        .take(3)
        .collect::<String>()
        .to_uppercase();
    let found = db
        .store
        .list_groups(&UserQuery::new(&needle, 1))
        .await
        .unwrap();
    assert!(found.items.iter().any(|g| g.id == biggest.id), "{needle}");
    assert!(
        db.store
            .list_groups(&UserQuery::new("no such group %_", 1))
            .await
            .unwrap()
            .items
            .is_empty()
    );

    // A user's groups on their page.
    let member = db
        .store
        .group_members(biggest.id, &UserQuery::new("", 1))
        .await
        .unwrap()
        .items
        .remove(0);
    let theirs = db.store.user_groups(member.id).await.unwrap();
    assert!(theirs.iter().any(|g| g.id == biggest.id));
    let azure_id = member.azure_object_id.clone().unwrap();
    let in_directory = sim.with_tenant(|t| {
        t.groups
            .iter()
            .filter(|g| t.transitive_members(&g.id).contains(&azure_id))
            .count()
    });
    assert_eq!(theirs.len(), in_directory);
    assert_eq!(
        db.store.get_group(biggest.id + 10_000).await,
        Err(app::services::StoreError::NotFound)
    );
}

async fn a_runs_deactivations_are_undone_by_a_previewed_run(db: &TestDb) {
    let (sim, client) = common::emulator::start(80, 1, 67).await;
    let deactivating = SyncOptions {
        overwrite: app::domain::sync::OverwriteBehavior::AddUpdateAndDeactivate,
        ..SyncOptions::default()
    };
    sync(&db.store, &client, &deactivating).await;
    // Three people leave Azure AD; the next sync deactivates them.
    let gone: Vec<String> = sim.with_tenant(|t| {
        let ids: Vec<String> = t
            .users
            .iter()
            .filter(|u| u.user_type == "Member" && u.account_enabled && u.manager_id.is_some())
            .take(3)
            .map(|u| u.id.clone())
            .collect();
        for id in &ids {
            t.delete_user(id);
        }
        ids
    });
    let run = sync(&db.store, &client, &deactivating).await;
    let summary = db.store.get_run(run).await.unwrap();
    assert_eq!(summary.totals.results.map(|r| r.deactivated), Some(3));
    // One of them an admin has already brought back.
    let back = linked_to(&db.store, &gone[0]).await;
    db.store
        .set_user_status(back.id, UserStatus::Active)
        .await
        .unwrap();

    let hub = ProgressHub::new();
    let undo = server::sync::undo::preview_reactivation(
        &db.store,
        &hub,
        run,
        ADMIN,
        server::sync::LockPolicy::default(),
    )
    .await
    .unwrap();
    let record = db.store.get_run(undo).await.unwrap();
    assert_eq!(record.state, RunState::Previewed, "previewed, not applied");
    assert_eq!(record.undoes_run, Some(run));
    let entries: Vec<PlanEntry> = db
        .store
        .plan_entries(undo)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.entry)
        .collect();
    let updates = entries
        .iter()
        .filter(|e| matches!(e, PlanEntry::Update(_)))
        .count();
    let already = entries
        .iter()
        .filter(|e| matches!(e, PlanEntry::Skip(s) if s.reason == SkipReason::AlreadyActive))
        .count();
    assert_eq!((updates, already), (2, 1));
    assert!(
        !entries
            .iter()
            .any(|e| matches!(e, PlanEntry::Add(_) | PlanEntry::Deactivate(_))),
        "nothing but the reactivations"
    );

    apply_run(&db.store, undo).await;
    for id in &gone {
        let user = linked_to(&db.store, id).await;
        assert_eq!(user.status, UserStatus::Active, "{}", user.email);
        assert_eq!(user.status_origin, StatusOrigin::Admin);
    }
    assert_eq!(
        db.store.get_run(undo).await.unwrap().state,
        RunState::Applied,
        "recorded in the history"
    );
    // An undo is not "what Azure AD returned last time".
    assert_eq!(
        db.store
            .load_local_state()
            .await
            .unwrap()
            .last_directory_count,
        Some(77)
    );
    // Nothing to undo in an undo, nor twice the same preview while one waits.
    assert!(
        server::sync::undo::preview_reactivation(
            &db.store,
            &hub,
            undo,
            ADMIN,
            server::sync::LockPolicy::default()
        )
        .await
        .is_err()
    );
}
