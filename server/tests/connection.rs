//! Settings > Azure AD connection over real HTTP: the secret is sealed at
//! rest, never sent back and never logged, and survives a restart; the
//! environment wins; Test connection reports each failure with its fix;
//! the demo cannot leak into a real tenant.

mod common;

use app::domain::connection::{
    ConnectionSettings, ConnectionStatus, ConnectionTest, DemoMode, ExpiryLevel, ExpiryNotice,
    SecretExpiryView, SecretState, TestOutcome,
};
use app::domain::format::format_graph_timestamp;
use common::app::{ADMIN_EMAIL, Setup, TestApp, encode, serve, spawn};
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};
use server::config::AzureEnv;
use server::graph_sim::generate::generate;
use server::graph_sim::{Faults, GraphSim, SimPasswordCredential};
use server::secrets::SecretBox;

/// Every log line of this test binary, at every level.
fn captured_logs() {
    common::logs::capture();
}

fn logs_text() -> String {
    common::logs::text()
}

/// A tenant of its own, served on a free port, standing in for Microsoft.
async fn tenant(seed: u64) -> (GraphSim, String) {
    let sim = GraphSim::new(generate(40, 3, seed), seed, "");
    let base = common::emulator::serve(&sim).await;
    (sim, base)
}

/// The environment of a server whose cloud is the emulator at `base`.
fn pointed_at(base: &str) -> AzureEnv {
    AzureEnv {
        authority_host: Some(base.to_owned()),
        graph_base_url: Some(base.to_owned()),
        ..AzureEnv::default()
    }
}

fn key_dir(name: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("dirsync_connection_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn input(sim: &GraphSim, secret: &str) -> Value {
    let reg = sim.registration();
    json!({"input": {
        "tenant_id": reg.tenant_id,
        "client_id": reg.client_id,
        "client_secret": secret,
        "cloud": "Global",
    }})
}

impl TestApp {
    async fn connection_settings(&self, cookie: &str) -> (ConnectionSettings, String) {
        let (status, body) = self
            .call_form("/api/load_connection_settings", cookie, "")
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        (
            serde_json::from_value(body.clone()).unwrap(),
            body.to_string(),
        )
    }

    async fn save(&self, cookie: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .call_json("/api/save_connection", Some(cookie), body)
            .await;
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    async fn test_connection(&self, cookie: &str) -> (ConnectionTest, String) {
        let (status, body) = self.call_form("/api/test_connection", cookie, "").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        (
            serde_json::from_value(body.clone()).unwrap(),
            body.to_string(),
        )
    }

    async fn connection_status(&self, cookie: &str) -> ConnectionStatus {
        let (_, overview) = self.call_form("/api/sync_overview", cookie, "").await;
        serde_json::from_value(overview["connection"].clone()).unwrap()
    }

    /// Every stored setting and change, as the database holds them.
    async fn raw_settings(&self) -> String {
        let values: Vec<(String, String)> = sqlx::query_as("SELECT key, value FROM settings")
            .fetch_all(self.store().pool())
            .await
            .unwrap();
        let changes: Vec<(String,)> = sqlx::query_as("SELECT summary FROM settings_changes")
            .fetch_all(self.store().pool())
            .await
            .unwrap();
        format!("{values:?} {changes:?}")
    }
}

#[tokio::test]
async fn a_saved_secret_is_sealed_never_sent_back_never_logged_and_survives_a_restart() {
    captured_logs();
    let (sim, base) = tenant(11).await;
    let secret = sim.registration().client_secret.clone();
    let keys = key_dir("restart");
    let setup = |secrets| Setup {
        env: pointed_at(&base),
        secrets,
        ..Setup::default()
    };
    let app = spawn(setup(SecretBox::load(None, &keys).unwrap().0)).await;
    let cookie = app.session_cookie().await;
    let (before, _) = app.connection_settings(&cookie).await;
    assert_eq!(before.status, ConnectionStatus::NotConfigured);
    assert_eq!(before.secret, SecretState::NotSet);

    let (status, changes) = app.save(&cookie, input(&sim, &secret)).await;
    assert_eq!(status, StatusCode::OK, "{changes}");
    assert!(
        changes.to_string().contains("Client secret set"),
        "{changes}"
    );

    let raw = app.raw_settings().await;
    assert!(
        raw.contains(&sim.registration().tenant_id),
        "the row is there: {raw}"
    );
    assert!(
        !raw.contains(&secret),
        "the database holds the secret in the clear: {raw}"
    );

    let (shown, body) = app.connection_settings(&cookie).await;
    assert!(
        matches!(&shown.secret, SecretState::Saved { set_by, .. } if set_by == "admin@example.com")
    );
    assert!(matches!(
        shown.status,
        ConnectionStatus::Tenant {
            from_environment: false,
            ..
        }
    ));
    let (test, test_body) = app.test_connection(&cookie).await;
    assert!(test.succeeded(), "{test:?}");
    let (_, overview) = app.call_form("/api/sync_overview", &cookie, "").await;
    let (_, history) = app.call_form("/api/load_sync_settings", &cookie, "").await;
    for response in [
        body,
        test_body,
        overview.to_string(),
        history.to_string(),
        changes.to_string(),
    ] {
        assert!(
            !response.contains(&secret),
            "a response holds the secret: {response}"
        );
    }

    // A restart: the same database and key file, a new server.
    let db = app.db;
    let restarted = serve(db, setup(SecretBox::load(None, &keys).unwrap().0)).await;
    let cookie = restarted.session_cookie().await;
    let (test, _) = restarted.test_connection(&cookie).await;
    assert!(test.succeeded(), "after a restart: {test:?}");

    // Another key cannot open it: the page and the import say what to do.
    let db = restarted.db;
    let rekeyed = serve(db, setup(SecretBox::from_key([9; 32]))).await;
    let cookie = rekeyed.session_cookie().await;
    let (shown, _) = rekeyed.connection_settings(&cookie).await;
    assert!(
        matches!(shown.secret, SecretState::Unreadable { .. }),
        "{shown:?}"
    );
    let (test, _) = rekeyed.test_connection(&cookie).await;
    assert!(
        test.headline().contains("cannot be decrypted"),
        "{}",
        test.headline()
    );
    let (status, refusal) = rekeyed
        .call_form("/api/start_preview", &cookie, "full_read=false")
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        refusal["Refused"]
            .as_str()
            .unwrap()
            .contains("Enter the client secret again")
    );
    // Entering it again mends it.
    let (status, _) = rekeyed.save(&cookie, input(&sim, &secret)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(rekeyed.test_connection(&cookie).await.0.succeeded());

    let logs = logs_text();
    assert!(
        logs.contains("Azure AD connection changed"),
        "the log records saves"
    );
    assert!(logs.contains("Test connection"), "the log records tests");
    assert!(!logs.contains(&secret), "a log line holds the secret");
    rekeyed.db.teardown().await;
    let _ = std::fs::remove_dir_all(&keys);
}

#[tokio::test]
async fn bad_fields_are_explained_at_each_field_and_save_nothing() {
    let app = spawn(Setup::default()).await;
    let cookie = app.session_cookie().await;
    let (status, error) = app
        .save(
            &cookie,
            json!({"input": {
                "tenant_id": "common",
                "client_id": "my app",
                "client_secret": "0b0e4a8c-1d2e-4f3a-9b8c-7d6e5f4a3b2c",
                "cloud": "Global",
            }}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let problems = error["InvalidConnection"]
        .as_array()
        .expect("field problems");
    let fields: Vec<&str> = problems
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["TenantId", "ClientId", "ClientSecret"]);
    assert!(
        problems[2]["message"]
            .as_str()
            .unwrap()
            .contains("secret's ID")
    );
    let status = app
        .call_json(
            "/api/save_connection",
            Some(&cookie),
            json!({"input": "nonsense"}),
        )
        .await
        .status();
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "malformed JSON is the caller's mistake"
    );
    assert_eq!(app.raw_settings().await, "[] []", "nothing was saved");
    app.db.teardown().await;
}

#[tokio::test]
async fn environment_variables_win_over_the_page() {
    captured_logs();
    let (sim, base) = tenant(12).await;
    let reg = sim.registration().clone();
    let env = AzureEnv {
        tenant_id: Some(reg.tenant_id.clone()),
        client_id: None,
        client_secret: Some(SecretString::from(reg.client_secret.clone())),
        ..pointed_at(&base)
    };
    let app = spawn(Setup {
        env,
        ..Setup::default()
    })
    .await;
    let cookie = app.session_cookie().await;
    // The page may still set what the environment leaves open: the client.
    let (status, changes) = app
        .save(
            &cookie,
            json!({"input": {
                "tenant_id": "ignored.example.com",
                "client_id": reg.client_id,
                "client_secret": "",
                "cloud": "Global",
            }}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changes}");
    assert!(!changes.to_string().contains("ignored"), "{changes}");
    let (shown, body) = app.connection_settings(&cookie).await;
    assert_eq!(shown.tenant_id.env_var.as_deref(), Some("AZURE_TENANT_ID"));
    assert_eq!(shown.tenant_id.value, reg.tenant_id);
    assert_eq!(shown.client_id.env_var, None);
    assert_eq!(shown.secret, SecretState::Environment);
    assert!(
        shown
            .source_note()
            .contains("AZURE_TENANT_ID, AZURE_CLIENT_SECRET are set")
    );
    assert!(matches!(
        shown.status,
        ConnectionStatus::Tenant {
            from_environment: true,
            ..
        }
    ));
    assert!(!body.contains(&reg.client_secret));
    let (test, body) = app.test_connection(&cookie).await;
    assert!(test.succeeded(), "{test:?}");
    assert!(!body.contains(&reg.client_secret));
    assert!(!logs_text().contains(&reg.client_secret));
    app.db.teardown().await;
}

#[tokio::test]
async fn test_connection_reports_each_failure_with_its_fix() {
    let (sim, base) = tenant(13).await;
    let reg = sim.registration().clone();
    let app = spawn(Setup {
        env: pointed_at(&base),
        ..Setup::default()
    })
    .await;
    let cookie = app.session_cookie().await;
    let (test, _) = app.test_connection(&cookie).await;
    assert!(matches!(test.outcome, TestOutcome::NotConfigured { .. }));

    // The secret's ID pasted as if it were its Value.
    app.save(&cookie, input(&sim, "Wrong~SecretValue.123"))
        .await;
    let (test, _) = app.test_connection(&cookie).await;
    assert!(!test.succeeded());
    assert!(
        test.fixes()[0].contains("Value, not its ID"),
        "{:?}",
        test.fixes()
    );

    app.save(&cookie, input(&sim, &reg.client_secret)).await;
    sim.set_faults(Faults {
        expired_secret: true,
        ..Faults::default()
    });
    let (test, _) = app.test_connection(&cookie).await;
    assert!(
        test.fixes()[0].contains("has expired"),
        "{:?}",
        test.fixes()
    );

    sim.set_faults(Faults {
        no_roles: true,
        ..Faults::default()
    });
    let (test, _) = app.test_connection(&cookie).await;
    assert!(
        test.headline()
            .contains("admin consent has not been granted"),
        "{}",
        test.headline()
    );
    assert!(test.fixes()[0].contains("Grant admin consent"));
    let TestOutcome::SignedIn { reads, .. } = &test.outcome else {
        panic!("{test:?}")
    };
    assert!(
        reads.iter().all(|r| r.result.is_err()),
        "Graph refuses the reads too: {reads:?}"
    );

    sim.set_faults(Faults {
        roles: Some(vec!["User.Read.All".into()]),
        ..Faults::default()
    });
    let (test, _) = app.test_connection(&cookie).await;
    assert_eq!(
        test.headline(),
        format!(
            "Signed in to tenant {} as {}, but 2 of 3 permissions are missing.",
            reg.tenant_id, reg.app_display_name
        )
    );
    assert!(test.fixes()[0].contains("Group.Read.All and Directory.Read.All"));

    sim.set_faults(Faults::default());
    let (test, _) = app.test_connection(&cookie).await;
    assert!(test.succeeded(), "{test:?}");
    let TestOutcome::SignedIn { reads, .. } = &test.outcome else {
        panic!("{test:?}")
    };
    assert_eq!(
        reads[0].result,
        Ok(Some(40)),
        "one page, with the directory's count"
    );

    // A tenant that does not exist in this cloud, then an unknown app.
    let mut wrong_tenant = input(&sim, "");
    wrong_tenant["input"]["tenant_id"] = json!("fabrikam.onmicrosoft.com");
    app.save(&cookie, wrong_tenant).await;
    let (test, _) = app.test_connection(&cookie).await;
    assert!(
        test.fixes()[0].contains("cloud setting"),
        "{:?}",
        test.fixes()
    );
    let mut wrong_app = input(&sim, "");
    wrong_app["input"]["client_id"] = json!("11111111-2222-4333-8444-555555555555");
    app.save(&cookie, wrong_app).await;
    let (test, _) = app.test_connection(&cookie).await;
    assert!(
        test.fixes()[0].contains("Application (client) ID"),
        "{:?}",
        test.fixes()
    );
    app.db.teardown().await;
}

#[tokio::test]
async fn a_forced_demo_shows_the_simulation_and_refuses_a_real_connection() {
    let sim = GraphSim::new(generate(30, 2, 14), 14, server::DEMO_GRAPH_PREFIX);
    let app = spawn(Setup::demo(sim.clone())).await;
    let cookie = app.session_cookie().await;
    let (shown, _) = app.connection_settings(&cookie).await;
    assert_eq!(shown.status, ConnectionStatus::Demo);
    assert!(!shown.editable());
    assert_eq!(shown.tenant_id.value, sim.registration().tenant_id);
    let (status, refusal) = app.save(&cookie, input(&sim, "Some~Value")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        refusal["Refused"]
            .as_str()
            .unwrap()
            .contains("DIRSYNC_DEMO=1")
    );
    assert_eq!(app.raw_settings().await, "[] []");
    let (test, _) = app.test_connection(&cookie).await;
    assert!(test.succeeded(), "{test:?}");
    assert_eq!(test.target, "the simulated demo tenant");
    app.db.teardown().await;
}

#[tokio::test]
async fn until_a_connection_is_saved_the_demo_runs_and_then_the_tenant_takes_over() {
    let (real, base) = tenant(15).await;
    let demo = GraphSim::new(generate(30, 2, 16), 16, server::DEMO_GRAPH_PREFIX);
    let app = spawn(Setup {
        demo_mode: DemoMode::UntilConfigured,
        demo: Some(demo),
        env: pointed_at(&base),
        ..Setup::default()
    })
    .await;
    let cookie = app.session_cookie().await;
    assert_eq!(app.connection_status(&cookie).await, ConnectionStatus::Demo);
    let (status, _) = app
        .save(&cookie, input(&real, &real.registration().client_secret))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(matches!(
        app.connection_status(&cookie).await,
        ConnectionStatus::Tenant { .. }
    ));
    let (test, _) = app.test_connection(&cookie).await;
    assert!(
        test.headline().contains(&real.registration().tenant_id),
        "{}",
        test.headline()
    );

    let (status, removed) = app.call_form("/api/remove_connection", &cookie, "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(removed[0].as_str().unwrap().contains("removed"));
    assert_eq!(app.connection_status(&cookie).await, ConnectionStatus::Demo);
    let (_, settings) = app.call_form("/api/load_sync_settings", &cookie, "").await;
    let recorded = settings["changes"].to_string();
    assert!(
        recorded.contains("Client secret set") && recorded.contains("removed"),
        "{recorded}"
    );
    app.db.teardown().await;
}

#[tokio::test]
async fn the_group_scope_picker_searches_the_directory_before_any_import() {
    use app::domain::settings::{GroupSearch, SyncSettings};
    let sim = GraphSim::new(generate(60, 12, 17), 17, server::DEMO_GRAPH_PREFIX);
    let app = spawn(Setup::demo(sim.clone())).await;
    let cookie = app.session_cookie().await;
    let (status, all) = app
        .call_form(
            "/api/search_directory_groups",
            &cookie,
            "query=&refresh=true",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let all: GroupSearch = serde_json::from_value(all).unwrap();
    assert_eq!(all.directory_groups, 12);
    let wanted = all.matches[3].clone();
    let query = wanted
        .name
        .split_whitespace()
        .last()
        .unwrap()
        .to_uppercase();
    let (_, found) = app
        .call_form(
            "/api/search_directory_groups",
            &cookie,
            &format!("query={}&refresh=false", common::app::encode(&query)),
        )
        .await;
    let found: GroupSearch = serde_json::from_value(found).unwrap();
    assert!(found.matches.contains(&wanted), "{query}: {found:?}");
    assert!(found.matches.len() < all.matches.len());

    // Typing filters the list read when the page opened; opening it again
    // reads the directory afresh.
    sim.with_tenant(|t| {
        t.groups.push(server::graph_sim::SimGroup {
            id: "00000000-0000-4000-8000-00000000beef".into(),
            display_name: Some("Created a minute ago".into()),
            description: None,
            mail: None,
            security_enabled: true,
            mail_enabled: false,
            members: vec![],
        })
    });
    let search = |refresh: bool| {
        let app = &app;
        let cookie = &cookie;
        async move {
            let (_, found) = app
                .call_form(
                    "/api/search_directory_groups",
                    cookie,
                    &format!("query=minute&refresh={refresh}"),
                )
                .await;
            serde_json::from_value::<GroupSearch>(found)
                .unwrap()
                .total_matches
        }
    };
    assert_eq!(
        search(false).await,
        0,
        "typing filters the list already read"
    );
    assert_eq!(search(true).await, 1, "reopening the page reads it afresh");

    // Chosen before any import: the page still names it, from the directory.
    let options = json!({"options": {
        "overwrite": "AddAndUpdate", "include_guests": false, "include_disabled": false,
        "scope_group_ids": [wanted.id], "threshold": {"max_share_percent": 10, "max_count": 50},
    }});
    let response = app
        .call_json("/api/save_sync_options", Some(&cookie), options)
        .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        response.text().await.unwrap()
    );
    let (_, settings) = app.call_form("/api/load_sync_settings", &cookie, "").await;
    let settings: SyncSettings = serde_json::from_value(settings).unwrap();
    assert_eq!(settings.chosen_groups, vec![wanted]);

    let (status, refused) = app
        .call_form(
            "/api/search_directory_groups",
            &cookie,
            &format!("query={}&refresh=false", "x".repeat(300)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    app.db.teardown().await;

    let unconnected = spawn(Setup::default()).await;
    let cookie = unconnected.session_cookie().await;
    let (status, refused) = unconnected
        .call_form(
            "/api/search_directory_groups",
            &cookie,
            "query=&refresh=true",
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        refused["Refused"]
            .as_str()
            .unwrap()
            .contains("No Azure AD connection")
    );
    unconnected.db.teardown().await;
}

impl TestApp {
    async fn secret_expiry(&self, cookie: &str) -> SecretExpiryView {
        let (status, body) = self.call_form("/api/load_secret_expiry", cookie, "").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        serde_json::from_value(body).unwrap()
    }

    async fn enter_expiry(&self, cookie: &str, date: &str) -> (StatusCode, Value) {
        self.call_form(
            "/api/set_secret_expiry",
            cookie,
            &format!("date={}", encode(date)),
        )
        .await
    }

    /// The expiry notice Import Users shows, if any.
    async fn import_expiry_notice(&self, cookie: &str) -> Option<ExpiryNotice> {
        let (_, overview) = self.call_form("/api/sync_overview", cookie, "").await;
        serde_json::from_value(overview["secret_expiry"].clone()).unwrap()
    }
}

/// The emulated registration's secrets: the one in use ending `ends_in_days`
/// from now, beside an expired one sharing its first three characters and
/// another app secret.
fn secrets_ending(sim: &GraphSim, ends_in_days: i64) -> Vec<SimPasswordCredential> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let day = 86_400_000;
    let hint: String = sim.registration().client_secret.chars().take(3).collect();
    let entry = |key: &str, hint: &str, from: i64, to: i64| SimPasswordCredential {
        key_id: key.into(),
        display_name: Some(format!("secret {key}")),
        hint: Some(hint.into()),
        start_date_time: format_graph_timestamp(now + from * day),
        end_date_time: format_graph_timestamp(now + to * day),
    };
    vec![
        entry("old", &hint, -400, -40),
        entry("in-use", &hint, -20, ends_in_days),
        entry("other", "zz9", -5, 700),
    ]
}

#[tokio::test]
async fn the_secret_expiry_is_read_at_each_test_and_sync_and_warned_of_before_it_ends() {
    let (sim, base) = tenant(14).await;
    let reg = sim.registration().clone();
    let app = spawn(Setup {
        env: pointed_at(&base),
        ..Setup::default()
    })
    .await;
    let cookie = app.session_cookie().await;
    assert!(
        !app.secret_expiry(&cookie).await.applies,
        "no connection, no secret"
    );
    app.save(&cookie, input(&sim, &reg.client_secret)).await;
    let view = app.secret_expiry(&cookie).await;
    assert!(view.applies && view.expiry.is_none() && view.can_enter_by_hand());

    // Azure AD refuses to show the app (no permission that reads
    // applications): Settings says why, and the admin enters the date.
    sim.set_faults(Faults {
        roles: Some(vec!["User.Read.All".into(), "Group.Read.All".into()]),
        ..Faults::default()
    });
    app.test_connection(&cookie).await;
    let view = app.secret_expiry(&cookie).await;
    let why = view.expiry.as_ref().and_then(|e| e.unreadable()).unwrap();
    assert!(why.contains("Directory.Read.All"), "{why}");
    assert!(view.notice.is_none() && view.can_enter_by_hand());
    let before = app.raw_settings().await;
    for bad in ["2027-02-30", "tomorrow", "2027-1-1", &"9".repeat(5000)] {
        let (status, body) = app.enter_expiry(&cookie, bad).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad:.20}: {body}"
        );
        assert!(body.to_string().contains("YYYY-MM-DD"), "{body}");
    }
    assert_eq!(
        app.raw_settings().await,
        before,
        "refused dates change nothing"
    );
    let (status, body) = app.enter_expiry(&cookie, "2099-01-01").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!(["Client secret expiry entered by hand: 2099-01-01"])
    );
    let notice = app.secret_expiry(&cookie).await.notice.unwrap();
    assert_eq!(notice.level, ExpiryLevel::Fine);
    assert!(
        notice
            .text
            .starts_with("The client secret expires on 2099-01-01")
            && notice.text.contains(&format!("Entered by {ADMIN_EMAIL}")),
        "{}",
        notice.text
    );
    let (_, body) = app.enter_expiry(&cookie, "").await;
    assert_eq!(
        body,
        json!(["Client secret expiry entered by hand cleared"])
    );
    assert!(app.secret_expiry(&cookie).await.notice.is_none());
    app.enter_expiry(&cookie, "2099-01-01").await;

    // With the permission back, Test connection reads it: the emulated
    // secret ends in 180 days, and Azure AD's word wins over the admin's.
    sim.set_faults(Faults::default());
    let (test, _) = app.test_connection(&cookie).await;
    assert!(test.succeeded(), "{test:?}");
    let view = app.secret_expiry(&cookie).await;
    let notice = view.notice.clone().unwrap();
    assert_eq!(notice.level, ExpiryLevel::Fine);
    assert!(notice.text.contains("(in 17"), "{}", notice.text);
    assert!(!view.can_enter_by_hand());
    let (status, body) = app.enter_expiry(&cookie, "2099-01-01").await;
    assert!(status.is_client_error(), "{status} {body}");
    assert_eq!(
        app.import_expiry_notice(&cookie).await,
        None,
        "nothing to warn of"
    );

    // Ten days left, with an expired secret sharing its first characters.
    sim.set_password_credentials(secrets_ending(&sim, 10));
    app.test_connection(&cookie).await;
    let notice = app.import_expiry_notice(&cookie).await.unwrap();
    assert_eq!(notice.level, ExpiryLevel::Soon);
    assert!(notice.text.contains(", in 9 days."), "{}", notice.text);
    assert!(
        notice
            .text
            .contains("App registrations > dirsync > Certificates & secrets")
            && notice
                .text
                .contains("save its Value under Settings > Azure AD connection")
            && notice
                .text
                .contains("2 of the app's secrets start with the same three characters"),
        "{}",
        notice.text
    );

    // A sync reads it too: now it has ended.
    sim.set_password_credentials(secrets_ending(&sim, -1));
    let run = app.preview(&cookie).await;
    assert!(run > 0);
    let notice = app.import_expiry_notice(&cookie).await.unwrap();
    assert_eq!(notice.level, ExpiryLevel::Expired, "{}", notice.text);
    // A later read that fails does not forget what Azure AD said.
    sim.set_faults(Faults {
        roles: Some(vec!["User.Read.All".into(), "Group.Read.All".into()]),
        ..Faults::default()
    });
    app.test_connection(&cookie).await;
    let notice = app.import_expiry_notice(&cookie).await.unwrap();
    assert_eq!(notice.level, ExpiryLevel::Expired, "{}", notice.text);

    let stored = app.raw_settings().await;
    assert!(!stored.contains(&reg.client_secret), "{stored}");
    app.db.teardown().await;
}
