//! Every server function, called by a signed-in admin with generated
//! hostile arguments (wrong types, oversized strings, negative and huge
//! numbers, other runs' ids, unknown buckets and enums), answers a clear
//! error or a harmless read: never a 5xx, never a change to the database.
//!
//! The table of argument shapes below must name exactly the functions the
//! registry serves, so that a new server function fails here until its
//! arguments are added.

mod common;

use common::app::{Setup, TestApp, encode, spawn};
use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::{Map, Value, json};
use server::DEMO_GRAPH_PREFIX;
use server::graph_sim::GraphSim;
use server::graph_sim::generate::generate;
use std::collections::BTreeSet;

/// What an argument is, so that hostile values of every wrong kind can be
/// made for it.
#[derive(Clone, Copy, Debug)]
enum Arg {
    Text,
    Page,
    Bool,
    RunId,
    UserId,
    Bucket,
    Ids,
    Status,
    UserInput,
    ConnectionInput,
    SyncOptions,
    Schedule,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Form,
    Json,
}

use Arg::*;
use Encoding::{Form, Json};

/// A server function: its path, its encoding and its arguments.
type Function = (&'static str, Encoding, &'static [(&'static str, Arg)]);

/// Every server function.
const FUNCTIONS: &[Function] = &[
    ("/api/sign_in", Form, &[("email", Text), ("password", Text)]),
    ("/api/sign_out", Form, &[]),
    ("/api/current_admin", Form, &[]),
    ("/api/load_connection_settings", Form, &[]),
    ("/api/save_connection", Json, &[("input", ConnectionInput)]),
    ("/api/remove_connection", Form, &[]),
    ("/api/test_connection", Form, &[]),
    ("/api/load_secret_expiry", Form, &[]),
    ("/api/set_secret_expiry", Form, &[("date", Text)]),
    ("/api/load_sync_settings", Form, &[]),
    ("/api/load_schedule", Form, &[]),
    ("/api/save_schedule", Json, &[("schedule", Schedule)]),
    ("/api/waiting_preview", Form, &[]),
    (
        "/api/search_directory_groups",
        Form,
        &[("query", Text), ("refresh", Bool)],
    ),
    ("/api/save_sync_options", Json, &[("options", SyncOptions)]),
    ("/api/sync_overview", Form, &[]),
    ("/api/start_preview", Form, &[("full_read", Bool)]),
    ("/api/cancel_fetch", Form, &[]),
    ("/api/load_preview", Form, &[("run_id", RunId)]),
    (
        "/api/plan_page",
        Json,
        &[
            ("run_id", RunId),
            ("bucket", Bucket),
            ("search", Text),
            ("page", Page),
        ],
    ),
    (
        "/api/group_changes",
        Json,
        &[("run_id", RunId), ("search", Text), ("page", Page)],
    ),
    (
        "/api/set_excluded",
        Json,
        &[("run_id", RunId), ("seqs", Ids), ("excluded", Bool)],
    ),
    (
        "/api/apply_preview",
        Json,
        &[("run_id", RunId), ("override_threshold", Bool)],
    ),
    ("/api/discard_run", Form, &[("run_id", RunId)]),
    ("/api/preview_reactivation", Form, &[("run_id", RunId)]),
    (
        "/api/list_groups",
        Form,
        &[("search", Text), ("page", Page)],
    ),
    ("/api/get_group", Form, &[("id", UserId)]),
    (
        "/api/list_group_members",
        Form,
        &[("id", UserId), ("search", Text), ("page", Page)],
    ),
    ("/api/user_groups", Form, &[("user_id", UserId)]),
    ("/api/list_runs", Form, &[("page", Page)]),
    ("/api/get_run", Form, &[("run_id", RunId)]),
    ("/api/list_users", Form, &[("search", Text), ("page", Page)]),
    ("/api/get_user", Form, &[("id", UserId)]),
    ("/api/create_user", Json, &[("input", UserInput)]),
    (
        "/api/update_user",
        Json,
        &[("id", UserId), ("input", UserInput)],
    ),
    (
        "/api/set_user_status",
        Json,
        &[("id", UserId), ("status", Status)],
    ),
];

/// Ids of runs that must not be touched: the applied one, the discarded
/// one, and ones that do not exist.
struct Runs {
    applied: i64,
    discarded: i64,
}

fn oversized() -> String {
    "x".repeat(100_000)
}

/// Hostile values for one argument.
fn hostile(arg: Arg, runs: &Runs, user: i64) -> Vec<Value> {
    let numbers = vec![
        json!(-1),
        json!(i64::MAX),
        json!(i64::MIN),
        json!(1e300),
        json!(1.5),
        json!("12abc"),
        json!(null),
        json!([1]),
        json!({"n": 1}),
    ];
    let texts = vec![
        json!(oversized()),
        json!("<script>alert(1)</script>"),
        json!("' OR 1=1 --"),
        json!("\u{0}\u{202e}"),
        json!(42),
        json!(["a"]),
        json!(null),
    ];
    let user_input = |field: &str, value: Value| {
        let mut input = json!({
            "display_name": "Mallory", "email": "mallory@example.com", "given_name": "",
            "surname": "", "job_title": "", "department": "", "office_location": "",
            "business_phones": "", "mobile_phone": "", "employee_id": ""
        });
        input[field] = value;
        input
    };
    match arg {
        Text => texts,
        Page => numbers,
        Bool => vec![json!("maybe"), json!(2), json!(null), json!([true])],
        RunId => {
            let mut ids = numbers;
            ids.extend([json!(runs.applied), json!(runs.discarded), json!(999_999)]);
            ids
        }
        UserId => {
            let mut ids = numbers;
            ids.push(json!(999_999));
            ids
        }
        Bucket => vec![
            json!("Bogus"),
            json!("added"),
            json!(""),
            json!(3),
            json!(null),
            json!(oversized()),
        ],
        Ids => vec![
            json!("1,2"),
            json!([[1]]),
            json!(["x"]),
            json!(vec![1; 100_001]),
            json!(null),
        ],
        Status => vec![json!("Deleted"), json!(""), json!(1), json!(null)],
        UserInput => {
            let mut inputs = vec![json!({}), json!("nonsense"), json!(null)];
            for field in ["display_name", "email", "job_title", "employee_id"] {
                inputs.push(user_input(field, json!(oversized())));
                inputs.push(user_input(field, json!(5)));
            }
            inputs.push(user_input("email", json!("not an email")));
            inputs.push(user_input("display_name", json!("")));
            let _ = user;
            inputs
        }
        ConnectionInput => {
            let valid = json!({"tenant_id": "contoso.onmicrosoft.com",
                "client_id": "00000000-0000-0000-0000-000000000001",
                "client_secret": "x", "cloud": "Global"});
            let mut inputs = vec![json!({}), json!("nonsense")];
            for (field, value) in [
                ("tenant_id", json!(oversized())),
                ("tenant_id", json!("../../etc/passwd")),
                ("client_id", json!("not-a-guid")),
                ("client_secret", json!(oversized())),
                ("cloud", json!("Mars")),
                ("cloud", json!(7)),
            ] {
                let mut input = valid.clone();
                input[field] = value;
                inputs.push(input);
            }
            inputs
        }
        // Every one of these is refused; a valid schedule would change the
        // database, which this test forbids.
        Schedule => vec![
            json!({}),
            json!([]),
            json!({"every_hours": 0, "on_preview": "PreviewOnly"}),
            json!({"every_hours": 169, "on_preview": "PreviewOnly"}),
            json!({"every_hours": -1, "on_preview": "PreviewOnly"}),
            json!({"every_hours": u64::MAX, "on_preview": "PreviewOnly"}),
            json!({"every_hours": 1.5, "on_preview": "PreviewOnly"}),
            json!({"every_hours": "6", "on_preview": "PreviewOnly"}),
            json!({"every_hours": 6, "on_preview": "ApplyEverything"}),
            json!({"every_hours": 6}),
            json!(null),
        ],
        SyncOptions => {
            let valid = json!({"overwrite": "AddAndUpdate", "include_guests": false,
                "include_disabled": false, "scope_group_ids": [],
                "threshold": {"max_share_percent": 10, "max_count": 50}});
            let mut inputs = vec![json!({}), json!([])];
            for (field, value) in [
                ("overwrite", json!("DeleteEveryone")),
                ("include_guests", json!("yes")),
                ("scope_group_ids", json!(vec!["not-a-guid"; 3])),
                (
                    "scope_group_ids",
                    json!(vec!["00000000-0000-0000-0000-000000000001"; 501]),
                ),
                (
                    "threshold",
                    json!({"max_share_percent": 1000, "max_count": 50}),
                ),
                (
                    "threshold",
                    json!({"max_share_percent": -1, "max_count": 50}),
                ),
                (
                    "threshold",
                    json!({"max_share_percent": 10, "max_count": u64::MAX}),
                ),
            ] {
                let mut input = valid.clone();
                input[field] = value;
                inputs.push(input);
            }
            inputs
        }
    }
}

/// A plausible value, so that one hostile argument is tested at a time.
fn plausible(arg: Arg, runs: &Runs, user: i64) -> Value {
    match arg {
        Text => json!("ada"),
        Page => json!(1),
        Bool => json!(false),
        RunId => json!(runs.applied),
        UserId => json!(user),
        Bucket => json!("Added"),
        Ids => json!([1]),
        Status => json!("Active"),
        UserInput | ConnectionInput | SyncOptions | Schedule => json!({}),
    }
}

fn form_value(value: &Value) -> String {
    match value {
        Value::String(s) => encode(s),
        Value::Null => String::new(),
        other => encode(&other.to_string()),
    }
}

/// Every row of every table, for before-and-after comparison. The
/// session's last-seen time and the lock's heartbeat are left out: using a
/// session and a live server update them. So is the progress this process
/// shares with others: its writer may put the last sync's final event there
/// a moment after the run is stored (a Cancel request would still show).
async fn snapshot(app: &TestApp) -> Vec<String> {
    common::dump::rows(
        app.store(),
        &[
            ("sessions", "last_seen_at"),
            ("sync_lock", "heartbeat_at"),
            ("sync_progress", "event"),
            ("sync_progress", "run_id"),
            ("sync_progress", "version"),
            ("sync_progress", "publisher"),
            ("sync_progress", "published_at"),
        ],
    )
    .await
}

/// A tiny deterministic random source.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[tokio::test]
async fn hostile_arguments_get_a_clear_error_and_change_nothing() {
    let registered: BTreeSet<String> = server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .collect();
    let described: BTreeSet<String> = FUNCTIONS.iter().map(|(p, _, _)| (*p).to_owned()).collect();
    assert_eq!(
        registered, described,
        "every server function has its arguments described here"
    );

    let seed = 12;
    let sim = GraphSim::new(generate(25, 2, seed), seed, DEMO_GRAPH_PREFIX);
    let app = spawn(Setup::demo(sim)).await;
    let cookie = app.session_cookie().await;
    let applied = app.preview(&cookie).await;
    app.apply(&cookie, applied).await;
    let discarded = app.preview(&cookie).await;
    let (status, body) = app
        .call_form("/api/discard_run", &cookie, &format!("run_id={discarded}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let runs = Runs { applied, discarded };
    let user: i64 = sqlx::query_scalar("SELECT MIN(id) FROM users")
        .fetch_one(app.store().pool())
        .await
        .unwrap();

    let before = snapshot(&app).await;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut calls = 0;
    for (path, encoding, args) in FUNCTIONS {
        if args.is_empty() {
            // Nothing to be hostile with: its body is ignored.
            continue;
        }
        let mut bodies: Vec<Map<String, Value>> = Vec::new();
        // One hostile argument at a time, the others plausible...
        for (i, (_, arg)) in args.iter().enumerate() {
            for value in hostile(*arg, &runs, user) {
                let mut body = Map::new();
                for (j, (name, other)) in args.iter().enumerate() {
                    let v = if i == j {
                        value.clone()
                    } else {
                        plausible(*other, &runs, user)
                    };
                    body.insert((*name).to_owned(), v);
                }
                bodies.push(body);
            }
        }
        // ...then every argument hostile at once, and arguments missing.
        for _ in 0..10 {
            let mut body = Map::new();
            for (name, arg) in args.iter() {
                let values = hostile(*arg, &runs, user);
                body.insert((*name).to_owned(), values[rng.below(values.len())].clone());
            }
            bodies.push(body);
        }
        bodies.push(Map::new());

        for body in bodies {
            let request = app
                .http
                .post(format!("{}{path}", app.base))
                .header(COOKIE, &cookie);
            let request = match encoding {
                Json => request.json(&body),
                Form => request
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(
                        body.iter()
                            .map(|(k, v)| format!("{k}={}", form_value(v)))
                            .collect::<Vec<_>>()
                            .join("&"),
                    ),
            };
            let response = request.send().await.unwrap();
            let status = response.status();
            let text = response.text().await.unwrap();
            let shown: String = serde_json::to_string(&body)
                .unwrap()
                .chars()
                .take(200)
                .collect();
            assert!(
                !status.is_server_error(),
                "{path} {shown}: {status} {text:.300}"
            );
            if status.is_client_error() && status != StatusCode::PAYLOAD_TOO_LARGE {
                assert!(
                    serde_json::from_str::<app::api::AppError>(&text).is_ok(),
                    "{path} {shown}: {status} is not a clear error: {text:.300}"
                );
            }
            calls += 1;
        }
    }
    // A body past the size limit is refused before it is read.
    let huge = app
        .http
        .post(format!("{}/api/list_users", app.base))
        .header(COOKIE, &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("search={}&page=1", "x".repeat(3 * 1024 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let after = snapshot(&app).await;
    let changed: Vec<_> = after.iter().filter(|r| !before.contains(r)).collect();
    let gone: Vec<_> = before.iter().filter(|r| !after.contains(r)).collect();
    assert!(
        changed.is_empty() && gone.is_empty(),
        "hostile calls changed the database: new {changed:?}, gone {gone:?}"
    );
    println!("hostile input: {calls} calls, database unchanged");
    app.db.teardown().await;
}
