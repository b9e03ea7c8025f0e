//! Properties of the real apply (SQL, on SQLite) over random small worlds:
//! what the database holds after a sync equals what the pure model
//! (`domain::sync::apply::apply_plan`, the same `decide` row by row) says;
//! planning again finds nothing to do; nobody is deactivated unless the
//! overwrite behavior deactivates; a plan past the threshold or the
//! mass-change guard is refused without the override.

mod common;

use app::domain::directory::{DirectoryGroup, DirectoryUser, DirectoryUserType};
use app::domain::profile::{Profile, ProfileField};
use app::domain::sync::apply::apply_plan;
use app::domain::sync::plan::StoredPlan;
use app::domain::sync::{
    DeactivationThreshold, DirectorySnapshot, ImportPlan, LocalState, OverwriteBehavior,
    SyncOptions, SyncedFields, plan_import,
};
use app::domain::user::{LocalUser, UserStatus};
use app::domain::user_input::{UserField, UserInput};
use app::services::UserStore;
use proptest::prelude::*;
use server::store::{Store, now_millis};
use server::sync::apply::{ApplyRequest, apply};
use server::sync::lock::SyncLock;
use server::sync::preview::SyncError;
use server::sync::{LockPolicy, ProgressHub};
use std::collections::{BTreeMap, HashSet};

const IDS: [&str; 6] = ["a", "b", "c", "d", "e", "f"];
const EMAILS: [&str; 6] = [
    "ada@x.com",
    "ADA@x.com",
    "bo@x.com",
    "cy@x.com",
    "di@x.com",
    "ed@x.com",
];
const ADMIN: &str = "admin@example.com";

type UserSpec = (usize, usize, bool, bool, Option<u8>, Option<u8>);

fn directory(users: &[UserSpec], members: &[(usize, usize)]) -> DirectorySnapshot {
    let mut seen = HashSet::new();
    let users = users
        .iter()
        .filter(|(id, ..)| seen.insert(*id))
        .map(
            |&(id, email, guest, disabled, title, department)| DirectoryUser {
                id: IDS[id].to_owned(),
                display_name: Some(format!("User {}", IDS[id])),
                mail: Some(EMAILS[email].to_owned()),
                user_principal_name: EMAILS[email].to_owned(),
                profile: {
                    let mut p = Profile::default();
                    p.set(ProfileField::JobTitle, title.map(|t| format!("Title {t}")));
                    p.set(
                        ProfileField::Department,
                        department.map(|d| format!("Dept {d}")),
                    );
                    // New columns through the real apply too.
                    p.set(ProfileField::City, department.map(|d| format!("City {d}")));
                    p.set(
                        ProfileField::EmployeeHireDate,
                        title.map(|t| format!("202{t}-01-31T00:00:00Z")),
                    );
                    p
                },
                proxy_addresses: vec![],
                other_mails: vec![],
                // A manager, who may or may not be imported.
                manager_id: title.map(|t| IDS[(id + usize::from(t) + 1) % IDS.len()].to_owned()),
                account_enabled: Some(!disabled),
                user_type: Some(if guest {
                    DirectoryUserType::Guest
                } else {
                    DirectoryUserType::Member
                }),
            },
        )
        .collect();
    let groups = (0..2)
        .map(|g| DirectoryGroup {
            id: format!("g{g}"),
            display_name: Some(format!("Group {g}")),
            description: None,
            mail: None,
        })
        .collect();
    let mut group_user_ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for &(g, u) in members {
        let list = group_user_ids.entry(format!("g{g}")).or_default();
        if !list.contains(&IDS[u].to_owned()) {
            list.push(IDS[u].to_owned());
        }
    }
    DirectorySnapshot {
        users,
        groups,
        group_user_ids,
        tenant_id: Some("tenant-1".into()),
    }
}

fn user_spec() -> impl Strategy<Value = UserSpec> {
    (
        0..6usize,
        0..6usize,
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.3),
        prop::option::of(0..3u8),
        prop::option::of(0..2u8),
    )
}

fn world() -> impl Strategy<
    Value = (
        Vec<usize>,
        DirectorySnapshot,
        DirectorySnapshot,
        SyncOptions,
    ),
> {
    let users = || prop::collection::vec(user_spec(), 0..6);
    let members = || prop::collection::vec((0..2usize, 0..6usize), 0..6);
    let options = (0..3u8, any::<bool>(), any::<bool>(), 0..60u32, 0..4u32);
    (
        prop::collection::vec(0..6usize, 0..3),
        users(),
        members(),
        users(),
        members(),
        options,
    )
        .prop_map(
            |(local, u1, m1, u2, m2, (overwrite, guests, disabled, share, count))| {
                let options = SyncOptions {
                    overwrite: match overwrite {
                        0 => OverwriteBehavior::AddOnly,
                        1 => OverwriteBehavior::AddAndUpdate,
                        _ => OverwriteBehavior::AddUpdateAndDeactivate,
                    },
                    include_guests: guests,
                    include_disabled: disabled,
                    scope_group_ids: vec![],
                    threshold: DeactivationThreshold {
                        max_share_percent: share,
                        max_count: count,
                    },
                };
                (local, directory(&u1, &m1), directory(&u2, &m2), options)
            },
        )
}

/// What the comparison looks at: id, synced fields, source.
fn essence(users: &[LocalUser]) -> Vec<(i64, String, SyncedFields)> {
    let mut out: Vec<_> = users
        .iter()
        .map(|u| (u.id, u.source.as_str().to_owned(), SyncedFields::of(u)))
        .collect();
    out.sort_by_key(|(id, ..)| *id);
    out
}

fn groups(state: &LocalState) -> Vec<(String, String, Vec<String>)> {
    let mut out: Vec<_> = state
        .groups
        .iter()
        .map(|g| {
            (
                g.azure_object_id.clone(),
                g.name.clone(),
                g.member_azure_ids.iter().cloned().collect(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Stores `plan` as a previewed run, as the preview job does.
async fn store_plan(store: &Store, plan: &ImportPlan, options: &SyncOptions) -> i64 {
    let lock = SyncLock::acquire(store, ADMIN, None, LockPolicy::default())
        .await
        .unwrap()
        .unwrap();
    let run = store
        .create_run(ADMIN, options, now_millis())
        .await
        .unwrap();
    lock.attach(run).await.unwrap();
    store
        .save_preview(
            run,
            lock.token(),
            StoredPlan::from(plan.clone()),
            now_millis(),
        )
        .await
        .unwrap()
        .unwrap();
    lock.release().await;
    run
}

/// One sync through the real apply; checks it against the model and the
/// refusal without override. Returns the plan.
async fn sync_and_compare(
    store: &Store,
    dir: &DirectorySnapshot,
    options: &SyncOptions,
) -> ImportPlan {
    let before = store.load_local_state().await.unwrap();
    let plan = plan_import(dir, &before, options);
    let run = store_plan(store, &plan, options).await;
    let request = |override_threshold| ApplyRequest {
        run_id: run,
        admin: ADMIN,
        excluded: &[],
        override_threshold,
    };
    if plan.safety.exceeds_threshold {
        let refused = apply(store, &ProgressHub::new(), request(false)).await;
        assert!(
            matches!(refused, Err(SyncError::ThresholdExceeded(_))),
            "past the threshold or the guard without an override: {refused:?}"
        );
    }
    apply(store, &ProgressHub::new(), request(true))
        .await
        .unwrap();
    let after = store.load_local_state().await.unwrap();
    let model = apply_plan(&before, &plan, now_millis());
    assert_eq!(
        essence(&after.users),
        essence(&model.users),
        "database and model differ\nplan: {plan:?}"
    );
    assert_eq!(groups(&after), groups(&model), "groups differ");
    let taken_out_of_use = before
        .users
        .iter()
        .filter(|u| u.status == UserStatus::Active)
        .filter(|u| {
            after
                .users
                .iter()
                .any(|a| a.id == u.id && a.status == UserStatus::Deactivated)
        })
        .count();
    if !options.overwrite.deactivates() {
        assert_eq!(taken_out_of_use, 0, "deactivated without the behavior");
    }
    assert_eq!(
        taken_out_of_use,
        plan.deactivated.len(),
        "every deactivation is listed as one"
    );
    plan
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_real_apply_does_what_the_model_says((local, first, second, options) in world()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let db = common::sqlite().await;
            for (n, email) in local.iter().enumerate() {
                let input = UserInput::default()
                    .with(UserField::DisplayName, &format!("Local {n}"))
                    .with(UserField::Email, EMAILS[*email]);
                // Two local users cannot share an address: the second is refused.
                if let Ok(valid) = input.validate() {
                    let _ = db.store.create_local_user(&valid).await;
                }
            }
            sync_and_compare(&db.store, &first, &options).await;
            sync_and_compare(&db.store, &second, &options).await;
            let again = plan_import(&second, &db.store.load_local_state().await.unwrap(), &options);
            assert!(!again.has_changes(), "planning again finds work: {again:?}");
            db.teardown().await;
        });
    }
}
