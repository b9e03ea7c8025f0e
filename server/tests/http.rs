//! The server over real HTTP: the session gate in front of every page and
//! every server function, sign-in and its cookie, and validation at the edge.

mod common;

use app::api::AppError;
use app::domain::paging::Page;
use app::domain::profile::ProfileField;
use app::domain::user::LocalUser;
use app::domain::user_input::UserField;
use common::app::{
    ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, app_error, encode, spawn_app, spawn_app_with,
};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use server::web::PUBLIC_SERVER_FNS;

impl TestApp {
    async fn list_users(&self, cookie: &str, search: &str) -> Page<LocalUser> {
        let response = self
            .http
            .post(format!("{}/api/list_users", self.base))
            .header(COOKIE, cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("search={}&page=1", encode(search)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }
}

#[tokio::test]
async fn every_server_function_refuses_an_anonymous_call() {
    let app = spawn_app().await;
    let registered: Vec<(&str, http::Method)> = server_fn::axum::server_fn_paths().collect();
    assert!(
        registered.len() >= 8,
        "the registry lists the app's server functions: {registered:?}"
    );
    for public in PUBLIC_SERVER_FNS {
        assert!(
            registered.iter().any(|(path, _)| path == public),
            "{public} is registered"
        );
    }
    for (path, method) in registered
        .iter()
        .filter(|(path, _)| !PUBLIC_SERVER_FNS.contains(path))
    {
        for cookie in [None, Some("dirsync_session=forged-token")] {
            let mut request = app
                .http
                .request(method.clone(), format!("{}{path}", app.base));
            if let Some(cookie) = cookie {
                request = request.header(COOKIE, cookie);
            }
            let response = request.send().await.unwrap();
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "{method} {path} with {cookie:?}"
            );
            assert_eq!(app_error(response).await, AppError::NotSignedIn, "{path}");
        }
    }
    app.db.teardown().await;
}

#[tokio::test]
async fn pages_send_anonymous_visitors_to_sign_in() {
    let app = spawn_app().await;
    for page in [
        "/users",
        "/users/new",
        "/users/1",
        "/import",
        "/settings",
        "/history",
        "/",
        "/no-such-page",
    ] {
        let response = app
            .http
            .get(format!("{}{page}", app.base))
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_redirection(),
            "{page}: {}",
            response.status()
        );
        let location = response.headers().get(LOCATION).unwrap().to_str().unwrap();
        assert_eq!(location, "/login", "{page}");
    }
    let login = app
        .http
        .get(format!("{}/login", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let html = login.text().await.unwrap();
    assert!(
        html.contains("Sign in") && html.contains("Password"),
        "the sign-in page renders"
    );
    let health = app
        .http
        .get(format!("{}/api/health", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    app.db.teardown().await;
}

#[tokio::test]
async fn sign_in_sets_a_strict_http_only_cookie_and_sign_out_ends_it() {
    let app = spawn_app().await;
    let response = app.sign_in("ADMIN@example.com", ADMIN_PASSWORD, &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let set_cookie = response
        .headers()
        .get(SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set_cookie.starts_with("dirsync_session="), "{set_cookie}");
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"),
        "{set_cookie}"
    );
    assert!(!set_cookie.contains("Secure"), "plain http: no Secure flag");
    let cookie = set_cookie.split(';').next().unwrap().to_owned();

    let page = app.list_users(&cookie, "").await;
    assert_eq!(page.total, 0);
    let users = app
        .http
        .get(format!("{}/users", app.base))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(users.status(), StatusCode::OK);
    let login = app
        .http
        .get(format!("{}/login", app.base))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        login.headers().get(LOCATION).unwrap(),
        "/users",
        "signed in: /login goes to Users"
    );

    let forwarded = app
        .sign_in(
            ADMIN_EMAIL,
            ADMIN_PASSWORD,
            &[("x-forwarded-proto", "https")],
        )
        .await;
    let secure = forwarded
        .headers()
        .get(SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        !secure.contains("Secure"),
        "a proxy header does not decide the Secure flag; DIRSYNC_PUBLIC_URL does \
         (security.rs): {secure}"
    );

    let out = app
        .call_json("/api/sign_out", Some(&cookie), serde_json::json!({}))
        .await;
    assert_eq!(out.status(), StatusCode::OK);
    assert!(
        out.headers()
            .get(SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let after = app
        .call_json("/api/current_admin", Some(&cookie), serde_json::json!({}))
        .await;
    assert_eq!(
        after.status(),
        StatusCode::UNAUTHORIZED,
        "the old cookie no longer works"
    );
    app.db.teardown().await;
}

#[tokio::test]
async fn wrong_passwords_are_refused_then_slowed_down() {
    let app = spawn_app().await;
    for _ in 0..3 {
        let response = app.sign_in(ADMIN_EMAIL, "wrong password", &[]).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers().get(SET_COOKIE).is_none());
        assert_eq!(app_error(response).await, AppError::WrongCredentials);
    }
    let response = app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD, &[]).await;
    assert_eq!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits now"
    );
    match app_error(response).await {
        AppError::TooManyAttempts { retry_after_secs } => {
            assert!((25..=30).contains(&retry_after_secs))
        }
        other => panic!("expected TooManyAttempts, got {other:?}"),
    }
    app.db.teardown().await;
}

#[tokio::test]
async fn bad_user_input_is_explained_per_field_and_saves_nothing() {
    let app = spawn_app().await;
    let cookie = app.session_cookie().await;
    let bad = serde_json::json!({ "input": {
        "display_name": " ", "email": "not-an-email", "given_name": "", "surname": "",
        "job_title": "x".repeat(129), "department": "", "office_location": "",
        "business_phone": "", "mobile_phone": "", "employee_id": ""
    }});
    let response = app.call_json("/api/create_user", Some(&cookie), bad).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error = app_error(response).await;
    assert!(error.field_message(UserField::DisplayName).is_some());
    assert!(
        error
            .field_message(UserField::Email)
            .unwrap()
            .contains("valid email")
    );
    assert!(
        error
            .field_message(UserField::Profile(ProfileField::JobTitle))
            .unwrap()
            .contains("too long")
    );
    assert_eq!(app.list_users(&cookie, "").await.total, 0, "nothing saved");

    let ada = serde_json::json!({ "input": {
        "display_name": "Ada Lovelace", "email": "ada@example.com", "given_name": "", "surname": "",
        "job_title": "", "department": "Engineering", "office_location": "",
        "business_phone": "", "mobile_phone": "", "employee_id": ""
    }});
    let created = app
        .call_json("/api/create_user", Some(&cookie), ada.clone())
        .await;
    assert_eq!(created.status(), StatusCode::OK);
    let again = app.call_json("/api/create_user", Some(&cookie), ada).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let message = app_error(again)
        .await
        .field_message(UserField::Email)
        .unwrap();
    assert_eq!(
        message,
        "This email is already used by Ada Lovelace (ada@example.com)."
    );
    assert_eq!(app.list_users(&cookie, "engineering").await.total, 1);
    app.db.teardown().await;
}

#[tokio::test]
async fn demo_mode_serves_a_simulated_tenant_to_the_real_client() {
    use server::graph::{Cloud, Endpoints, GraphClient, RetryPolicy};
    use server::graph_sim::{GraphSim, generate::generate};

    let sim = GraphSim::new(generate(120, 4, 5), 5, server::DEMO_GRAPH_PREFIX);
    let app = spawn_app_with(Some(sim.clone())).await;
    let anonymous = app
        .http
        .get(format!("{}/graph-sim/v1.0/users", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        anonymous.status(),
        StatusCode::UNAUTHORIZED,
        "Graph's own 401, not the sign-in page"
    );
    let body: serde_json::Value = anonymous.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");

    let root = format!("{}{}", app.base, server::DEMO_GRAPH_PREFIX);
    let credentials = sim.registration().credentials();
    let endpoints = Endpoints::for_cloud(Cloud::Global).with_overrides(Some(&root), Some(&root));
    let client = GraphClient::new(endpoints, credentials, RetryPolicy::default()).unwrap();
    let mut users = 0;
    let progress = client
        .list_users(true, |page, _| users += page.len())
        .await
        .unwrap();
    assert_eq!((users, progress.total), (120, Some(120)));
    app.db.teardown().await;

    let without_demo = spawn_app().await;
    let response = without_demo
        .http
        .get(format!("{}/graph-sim/v1.0/users", without_demo.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "no demo: nothing is served there"
    );
    without_demo.db.teardown().await;
}

#[tokio::test]
async fn the_progress_stream_sends_the_state_first_then_updates_and_refuses_anonymous() {
    use app::domain::sync::progress::{BucketCounts, ProgressEvent};

    let app = spawn_app().await;
    let anonymous = app
        .http
        .get(format!("{}/api/sync/events", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        anonymous.status(),
        StatusCode::UNAUTHORIZED,
        "never the stream without a session"
    );
    assert_eq!(app_error(anonymous).await, AppError::NotSignedIn);

    let cookie = app.session_cookie().await;
    let running = ProgressEvent::Fetching {
        run_id: 4,
        started_by: ADMIN_EMAIL.into(),
        pages: 1,
        users_so_far: 999,
        total: Some(2500),
        groups_so_far: 0,
        changes_only: false,
    };
    app.progress.publish(running.clone());
    let mut events = app.events(&cookie).await;

    let (name, data) = events.next().await;
    assert_eq!(name, "progress");
    assert_eq!(
        serde_json::from_str::<ProgressEvent>(&data).unwrap(),
        running,
        "a late subscriber gets the state first"
    );

    let applying = ProgressEvent::Applying {
        run_id: 4,
        started_by: ADMIN_EMAIL.into(),
        done: 200,
        total: 1000,
        counts: BucketCounts {
            added: 200,
            ..BucketCounts::default()
        },
        rate_per_sec: 400.0,
        eta_secs: Some(2),
    };
    app.progress.publish(applying.clone());
    let finished = ProgressEvent::Finished {
        run_id: 4,
        counts: BucketCounts {
            added: 1000,
            ..BucketCounts::default()
        },
        duration_ms: 2500,
    };
    app.progress.publish(finished.clone());
    assert_eq!(
        serde_json::from_str::<ProgressEvent>(&events.next().await.1).unwrap(),
        applying
    );
    assert_eq!(
        serde_json::from_str::<ProgressEvent>(&events.next().await.1).unwrap(),
        finished
    );
    app.db.teardown().await;
}

fn phases(events: &[app::domain::sync::progress::ProgressEvent]) -> Vec<String> {
    let mut names: Vec<String> = events
        .iter()
        .map(|e| {
            serde_json::to_value(e).unwrap()["phase"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    names.dedup();
    names
}

#[tokio::test]
async fn an_import_runs_from_preview_to_apply_through_the_server_functions() {
    use app::domain::sync::view::{ImportOverview, PreviewSummary};
    use server::graph_sim::{GraphSim, generate::generate};

    let sim = GraphSim::new(generate(80, 4, 21), 21, server::DEMO_GRAPH_PREFIX);
    let app = spawn_app_with(Some(sim.clone())).await;
    let cookie = app.session_cookie().await;

    let (status, overview) = app.call_form("/api/sync_overview", &cookie, "").await;
    assert_eq!(status, StatusCode::OK);
    let overview: ImportOverview = serde_json::from_value(overview).unwrap();
    assert_eq!(overview.connection.describe(), "Demo tenant (simulated)");
    assert_eq!(overview.last_run, None);

    let mut events = app.events(&cookie).await;
    let (status, run_id) = app
        .call_form("/api/start_preview", &cookie, "full_read=false")
        .await;
    assert_eq!(status, StatusCode::OK, "{run_id}");
    let run_id = run_id.as_i64().unwrap();
    let seen = events.until("previewed").await;
    assert_eq!(
        phases(&seen),
        ["idle", "fetching", "planning", "previewed"],
        "the snapshot first, then each phase in order"
    );

    let (status, summary) = app
        .call_form("/api/load_preview", &cookie, &format!("run_id={run_id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    let summary: PreviewSummary = serde_json::from_value(summary).unwrap();
    let planned = summary.run.planned;
    assert!(
        planned.added > 25,
        "a fresh platform adds most of the tenant"
    );
    assert_eq!(summary.stale, None);
    assert_eq!(
        planned.added + planned.skipped + summary.run.unchanged,
        80,
        "every directory user is in exactly one list"
    );

    // The browser gets one page at a time, searchable.
    let page = |bucket: &str, search: &str, n: u32| serde_json::json!({"run_id": run_id, "bucket": bucket, "search": search, "page": n});
    let first: Page<app::domain::sync::view::PlanRow> = app
        .call_json("/api/plan_page", Some(&cookie), page("Added", "", 1))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((first.items.len(), first.total), (25, planned.added));
    let someone = first.items[3].clone();
    let found: Page<app::domain::sync::view::PlanRow> = app
        .call_json(
            "/api/plan_page",
            Some(&cookie),
            page("Added", &someone.email.to_uppercase(), 1),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found.items, vec![someone.clone()]);

    // Excluding a row takes it out of the apply.
    let response = app
        .call_json(
            "/api/set_excluded",
            Some(&cookie),
            serde_json::json!({"run_id": run_id, "seqs": [someone.seq], "excluded": true}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let excluded: app::domain::sync::view::ExcludedCounts = response.json().await.unwrap();
    assert_eq!(excluded.added, 1);

    let response = app
        .call_json(
            "/api/apply_preview",
            Some(&cookie),
            serde_json::json!({"run_id": run_id, "override_threshold": false}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let seen = events.until("finished").await;
    assert_eq!(phases(&seen)[0], "applying");
    let app::domain::sync::progress::ProgressEvent::Finished { counts, .. } = seen.last().unwrap()
    else {
        unreachable!()
    };
    assert_eq!(counts.added, planned.added - 1);
    assert_eq!(counts.skipped, 1, "the excluded row");
    assert_eq!(app.list_users(&cookie, "").await.total, planned.added - 1);
    assert_eq!(app.list_users(&cookie, &someone.email).await.total, 0);

    // Applying twice is refused in words.
    let response = app
        .call_json(
            "/api/apply_preview",
            Some(&cookie),
            serde_json::json!({"run_id": run_id, "override_threshold": false}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(
        app_error(response).await,
        AppError::Refused("This preview was applied already.".into())
    );

    // The history and its CSV.
    let (_, runs) = app.call_form("/api/list_runs", &cookie, "page=1").await;
    assert_eq!(runs["total"], 1);
    assert_eq!(runs["items"][0]["state"], "Applied");
    let csv = app
        .http
        .get(format!("{}/api/sync/runs/{run_id}/csv", app.base))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let text = csv.text().await.unwrap();
    assert!(text.contains(&someone.email) && text.contains("excluded"));
    let anonymous = app
        .http
        .get(format!("{}/api/sync/runs/{run_id}/csv", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    app.db.teardown().await;
}

#[tokio::test]
async fn the_groups_tab_is_searched_and_paged_on_the_server() {
    use app::domain::sync::view::{GroupChange, GroupChangeKind};
    use server::graph_sim::GraphSim;
    use server::graph_sim::generate::generate;

    let sim = GraphSim::new(generate(40, 30, 9), 9, server::DEMO_GRAPH_PREFIX);
    let app = spawn_app_with(Some(sim)).await;
    let cookie = app.session_cookie().await;
    let run_id = app.preview(&cookie).await;
    let groups = |search: &str, page: u32| {
        let body = serde_json::json!({"run_id": run_id, "search": search, "page": page});
        let app = &app;
        let cookie = &cookie;
        async move {
            let response = app
                .call_json("/api/group_changes", Some(cookie), body)
                .await;
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Page<GroupChange>>().await.unwrap()
        }
    };

    let first = groups("", 1).await;
    assert_eq!(first.total, 30, "every group is new on a first import");
    assert_eq!(first.items.len(), 25, "one page, not the whole list");
    assert!(first.items.iter().all(|g| g.kind == GroupChangeKind::Added));
    let second = groups("", 2).await;
    assert_eq!(second.items.len(), 5);
    let mut names: Vec<&str> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|g| g.name.as_str())
        .collect();
    let in_order = names.clone();
    names.sort_by_key(|n| n.to_lowercase());
    names.dedup();
    assert_eq!(names, in_order, "sorted by name, none twice across pages");

    let someone = &second.items[2];
    let found = groups(&someone.name.to_uppercase(), 1).await;
    assert!(found.items.contains(someone), "{found:?}");
    assert_eq!(found.total, found.items.len() as u64);
    assert_eq!(groups("no such group", 1).await.total, 0);
    app.db.teardown().await;
}

#[tokio::test]
async fn a_second_sync_is_refused_and_a_fetch_can_be_cancelled() {
    use server::graph_sim::Faults;
    use server::graph_sim::{GraphSim, generate::generate};

    let sim = GraphSim::new(generate(60, 2, 3), 3, server::DEMO_GRAPH_PREFIX);
    // Slow pages of ten: the fetch takes seconds.
    sim.set_faults(Faults {
        max_page_size: Some(10),
        latency_ms: 400,
        ..Faults::default()
    });
    let app = spawn_app_with(Some(sim.clone())).await;
    let cookie = app.session_cookie().await;
    let mut events = app.events(&cookie).await;
    let (status, _) = app
        .call_form("/api/start_preview", &cookie, "full_read=false")
        .await;
    assert_eq!(status, StatusCode::OK);
    events.until("fetching").await;

    let (status, refusal) = app
        .call_form("/api/start_preview", &cookie, "full_read=false")
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let message = refusal["Refused"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("A sync started by {ADMIN_EMAIL} at ")),
        "{message}"
    );

    let (status, _) = app.call_form("/api/cancel_fetch", &cookie, "").await;
    assert_eq!(status, StatusCode::OK);
    let seen = events.until("cancelled").await;
    assert!(
        phases(&seen)
            .iter()
            .all(|p| p == "fetching" || p == "cancelled")
    );
    let (_, runs) = app.call_form("/api/list_runs", &cookie, "page=1").await;
    assert_eq!(runs["items"][0]["state"], "Cancelled");

    // The lock is free again.
    sim.set_faults(Faults::default());
    let (status, _) = app
        .call_form("/api/start_preview", &cookie, "full_read=false")
        .await;
    assert_eq!(status, StatusCode::OK);
    events.until("previewed").await;
    app.db.teardown().await;
}

#[tokio::test]
async fn saved_sync_options_are_recorded_and_the_next_preview_uses_them() {
    use app::domain::settings::SyncSettings;
    use app::domain::sync::view::PreviewSummary;
    use app::domain::sync::{OverwriteBehavior, SyncOptions};
    use server::graph_sim::{GraphSim, generate::generate};

    let sim = GraphSim::new(generate(30, 2, 8), 8, server::DEMO_GRAPH_PREFIX);
    let app = spawn_app_with(Some(sim)).await;
    let cookie = app.session_cookie().await;
    let (_, settings) = app.call_form("/api/load_sync_settings", &cookie, "").await;
    let settings: SyncSettings = serde_json::from_value(settings).unwrap();
    assert_eq!(settings.options, SyncOptions::default());
    assert!(settings.changes.is_empty());

    let mut bad = SyncOptions::default();
    bad.threshold.max_share_percent = 250;
    let response = app
        .call_json(
            "/api/save_sync_options",
            Some(&cookie),
            serde_json::json!({ "options": bad }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app_error(response).await,
        AppError::InvalidSetting(
            "The share of linked users must be between 0 and 100 percent.".into()
        )
    );

    let chosen = SyncOptions {
        overwrite: OverwriteBehavior::AddUpdateAndDeactivate,
        include_guests: true,
        ..SyncOptions::default()
    };
    let response = app
        .call_json(
            "/api/save_sync_options",
            Some(&cookie),
            serde_json::json!({ "options": chosen }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let changes: Vec<String> = response.json().await.unwrap();
    assert_eq!(changes.len(), 2, "{changes:?}");
    let (_, settings) = app.call_form("/api/load_sync_settings", &cookie, "").await;
    let settings: SyncSettings = serde_json::from_value(settings).unwrap();
    assert_eq!(
        settings.options, chosen,
        "the invalid options changed nothing"
    );
    assert_eq!(settings.changes.len(), 2);
    assert_eq!(settings.changes[0].changed_by, ADMIN_EMAIL);

    let mut events = app.events(&cookie).await;
    let (_, run_id) = app
        .call_form("/api/start_preview", &cookie, "full_read=false")
        .await;
    events.until("previewed").await;
    let (_, summary) = app
        .call_form("/api/load_preview", &cookie, &format!("run_id={}", run_id))
        .await;
    let summary: PreviewSummary = serde_json::from_value(summary).unwrap();
    assert_eq!(summary.options, chosen, "the preview records what it used");
    assert_eq!(summary.deactivation_note(), None);
    app.db.teardown().await;
}

#[tokio::test]
async fn without_a_connection_an_import_says_what_to_configure() {
    use app::domain::connection::ConnectionStatus;
    use app::domain::sync::view::ImportOverview;
    let app = spawn_app().await;
    let cookie = app.session_cookie().await;
    let (_, overview) = app.call_form("/api/sync_overview", &cookie, "").await;
    let overview: ImportOverview = serde_json::from_value(overview).unwrap();
    assert_eq!(overview.connection, ConnectionStatus::NotConfigured);
    let (status, refusal) = app
        .call_form("/api/start_preview", &cookie, "full_read=false")
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        refusal["Refused"]
            .as_str()
            .unwrap()
            .contains("under Settings > Azure AD connection"),
        "{refusal}"
    );
    let (_, runs) = app.call_form("/api/list_runs", &cookie, "page=1").await;
    assert_eq!(runs["total"], 0, "nothing was started");
    let (status, missing) = app
        .call_form("/api/load_preview", &cookie, "run_id=99")
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(missing["Refused"], "Sync run 99 does not exist.");
    app.db.teardown().await;
}
