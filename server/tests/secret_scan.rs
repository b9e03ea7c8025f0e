//! The client secret, entered once on the Settings page, is looked for (raw
//! and percent-encoded) in everything an attacker could read afterwards:
//! every response of a whole session (settings, Test connection, preview,
//! apply, history), the progress stream, the CSV export, every row of the
//! database (run errors included), and every log line at TRACE.

mod common;

use common::app::{Setup, TestApp, encode, spawn};
use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::json;
use server::config::AzureEnv;
use server::graph_sim::generate::generate;
use server::graph_sim::{Faults, GraphSim};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Everything the test read back from the server.
#[derive(Default, Clone)]
struct Captured(Arc<Mutex<Vec<String>>>);

impl Captured {
    fn add(&self, what: &str, text: String) {
        self.0.lock().unwrap().push(format!("== {what}\n{text}"));
    }

    fn all(&self) -> String {
        self.0.lock().unwrap().join("\n")
    }
}

async fn form(app: &TestApp, captured: &Captured, cookie: &str, path: &str, body: &str) -> String {
    let (status, value) = app.call_form(path, cookie, body).await;
    assert!(!status.is_server_error(), "{path}: {status} {value}");
    captured.add(path, value.to_string());
    value.to_string()
}

#[tokio::test]
async fn the_client_secret_is_nowhere_an_attacker_could_read() {
    common::logs::capture();
    let seed = 21;
    let sim = GraphSim::new(generate(40, 3, seed), seed, "");
    let base = common::emulator::serve(&sim).await;
    let registration = sim.registration().clone();
    let secret = registration.client_secret.clone();
    let app = spawn(Setup {
        env: AzureEnv {
            authority_host: Some(base.clone()),
            graph_base_url: Some(base.clone()),
            ..AzureEnv::default()
        },
        ..Setup::default()
    })
    .await;
    let captured = Captured::default();
    let cookie = app.session_cookie().await;

    // The progress stream, read for the whole session.
    let stream = app
        .http
        .get(format!("{}/api/sync/events", app.base))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let events = Captured::default();
    let reader = {
        let events = events.clone();
        tokio::spawn(async move {
            let mut stream = stream;
            while let Ok(Some(chunk)) = stream.chunk().await {
                events.add("event stream", String::from_utf8_lossy(&chunk).into_owned());
            }
        })
    };

    // The admin enters the secret: the only request that carries it.
    let saved = app
        .call_json(
            "/api/save_connection",
            Some(&cookie),
            json!({"input": {
                "tenant_id": registration.tenant_id,
                "client_id": registration.client_id,
                "client_secret": secret,
                "cloud": "Global",
            }}),
        )
        .await;
    assert_eq!(saved.status(), StatusCode::OK);
    captured.add("save_connection", saved.text().await.unwrap());

    for path in [
        "/api/current_admin",
        "/api/load_connection_settings",
        "/api/test_connection",
        "/api/load_sync_settings",
        "/api/sync_overview",
    ] {
        form(&app, &captured, &cookie, path, "").await;
    }
    form(
        &app,
        &captured,
        &cookie,
        "/api/search_directory_groups",
        "query=&refresh=true",
    )
    .await;

    // A whole sync, and everything it shows.
    let run = app.preview(&cookie).await;
    for bucket in ["Added", "Updated", "Deactivated", "Skipped"] {
        let page = app
            .call_json(
                "/api/plan_page",
                Some(&cookie),
                json!({"run_id": run, "bucket": bucket, "search": "", "page": 1}),
            )
            .await;
        captured.add("plan_page", page.text().await.unwrap());
    }
    form(
        &app,
        &captured,
        &cookie,
        "/api/load_preview",
        &format!("run_id={run}"),
    )
    .await;
    let groups = app
        .call_json(
            "/api/group_changes",
            Some(&cookie),
            json!({"run_id": run, "search": "", "page": 1}),
        )
        .await;
    captured.add("group_changes", groups.text().await.unwrap());
    app.apply(&cookie, run).await;
    form(
        &app,
        &captured,
        &cookie,
        "/api/get_run",
        &format!("run_id={run}"),
    )
    .await;
    form(&app, &captured, &cookie, "/api/list_runs", "page=1").await;
    form(
        &app,
        &captured,
        &cookie,
        "/api/list_users",
        "search=&page=1",
    )
    .await;
    let csv = app
        .http
        .get(format!("{}/api/sync/runs/{run}/csv", app.base))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    captured.add("csv", csv.text().await.unwrap());

    // A run that fails at sign-in stores its error.
    sim.set_faults(Faults {
        expired_secret: true,
        ..Faults::default()
    });
    let (status, failing) = app
        .call_form("/api/start_preview", &cookie, "full_read=false")
        .await;
    assert_eq!(status, StatusCode::OK, "{failing}");
    let failing = failing.as_i64().unwrap();
    let mut state = String::new();
    for _ in 0..200 {
        state = app.run_state(&cookie, failing).await;
        if state != "Fetching" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(state, "Failed");
    let failed = form(
        &app,
        &captured,
        &cookie,
        "/api/get_run",
        &format!("run_id={failing}"),
    )
    .await;
    assert!(failed.contains("expired"), "the stored error: {failed}");
    form(&app, &captured, &cookie, "/api/test_connection", "").await;
    for page in [
        "/settings",
        "/import",
        "/history",
        &format!("/history/{run}"),
    ] {
        let html = app
            .http
            .get(format!("{}{page}", app.base))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        captured.add(page, html);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    reader.abort();

    let database = common::dump::rows(app.store(), &[]).await.join("\n");
    let logs = common::logs::text();
    let everything = [
        ("responses", captured.all()),
        ("the event stream", events.all()),
        ("the database", database.clone()),
        ("the log", logs.clone()),
    ];
    // The capture works: each holds what the session did.
    assert!(
        everything[0].1.contains("Ada") || everything[0].1.contains("@"),
        "responses"
    );
    assert!(everything[1].1.contains("event: progress"), "events");
    assert!(database.contains("sync_runs"), "database");
    assert!(
        logs.contains("TRACE") && logs.contains("import apply started"),
        "logs"
    );
    let hex: String = secret.bytes().map(|b| format!("{b:02X}")).collect();
    let forms = [
        secret.clone(),
        encode(&secret),
        secret.replace('~', "%7E"),
        hex,
    ];
    for (where_, text) in &everything {
        for form in &forms {
            assert!(
                !text.contains(form.as_str()),
                "the client secret appears in {where_}"
            );
        }
    }
    println!(
        "secret scan: {} bytes of responses, {} of events, {} of database, {} of logs",
        everything[0].1.len(),
        everything[1].1.len(),
        database.len(),
        logs.len()
    );
    app.db.teardown().await;
}
