//! Issue 12, proved over real HTTP against the router `main` serves:
//! nobody in without a live admin session, no token sent astray, no request
//! that crashes the server or changes what it should not, no cross-site
//! request, the security headers, and the client secret nowhere.

mod common;

use app::api::AppError;
use common::app::{ADMIN_EMAIL, ADMIN_PASSWORD, Setup, TestApp, app_error, encode, spawn};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use server::DEMO_GRAPH_PREFIX;
use server::auth::{SessionPolicy, hash_password, session_key};
use server::graph_sim::generate::generate;
use server::graph_sim::{Faults, GraphSim};
use server::store::now_millis;
use server::web::{PUBLIC_SERVER_FNS, PublicUrl, StreamPolicy, is_public_path};
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::Duration;

/// The demo's simulated tenant, small.
fn demo_sim(seed: u64) -> GraphSim {
    GraphSim::new(generate(30, 3, seed), seed, DEMO_GRAPH_PREFIX)
}

/// Every way a caller can be without a live session.
async fn dead_sessions(app: &TestApp) -> Vec<(&'static str, Option<String>)> {
    let admin = app
        .store()
        .find_admin_by_email(ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap();
    let now = now_millis();
    let hour = 60 * 60 * 1000;
    let expired = "expired-session-token-0123456789abcdefghijkl";
    app.store()
        .create_session(&session_key(expired), admin.id, now - 13 * hour, now - 1)
        .await
        .unwrap();
    // Within its 12 hours, but unused for longer than the idle timeout.
    let idle = "idle-session-token-0123456789abcdefghijklmnop";
    app.store()
        .create_session(&session_key(idle), admin.id, now - 2 * hour, now + hour)
        .await
        .unwrap();
    let signed_out = app.session_cookie().await;
    let (status, _) = app.call_form("/api/sign_out", &signed_out, "").await;
    assert!(status.is_success() || status.is_redirection(), "{status}");
    vec![
        ("no cookie", None),
        (
            "a forged cookie",
            Some("dirsync_session=forged-0123456789".to_owned()),
        ),
        (
            "an expired session",
            Some(format!("dirsync_session={expired}")),
        ),
        ("an idle session", Some(format!("dirsync_session={idle}"))),
        ("a signed-out session", Some(signed_out)),
    ]
}

/// `/users/{id}` -> `/users/1`.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment.chars().next() {
            Some('{' | ':' | '*') => "1",
            _ => segment,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_route_and_server_function_refuses_a_caller_without_a_live_session() {
    let app = spawn(Setup::demo(demo_sim(1))).await;
    let sessions = dead_sessions(&app).await;

    // The list is the router's own: pages, explicit routes, the emulator's
    // control API. A sanity check that it is not empty or partial.
    for expected in [
        "/users/{id}",
        "/import",
        "/api/sync/events",
        "/api/sync/runs/{run_id}/csv",
        "/graph-sim/_sim/tenant",
        "/graph-sim/_sim/faults",
    ] {
        let listed = app.paths.iter().any(|p| concrete(p) == concrete(expected));
        assert!(listed, "{expected} is served: {:?}", app.paths);
    }
    let public: BTreeSet<&str> = app
        .paths
        .iter()
        .map(String::as_str)
        .filter(|p| is_public_path(p))
        .collect();
    assert_eq!(
        public,
        BTreeSet::from(["/api/health", "/login"]),
        "only these routes are public"
    );

    let mut refusals = 0;
    for path in app.paths.iter().filter(|p| !is_public_path(p)) {
        let url = format!("{}{}", app.base, concrete(path));
        let is_api = path.starts_with("/api/") || path.starts_with(DEMO_GRAPH_PREFIX);
        for method in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ] {
            for (what, cookie) in &sessions {
                let mut request = app.http.request(method.clone(), &url).body("{}");
                if let Some(cookie) = cookie {
                    request = request.header(COOKIE, cookie);
                }
                let response = request.send().await.unwrap();
                let context = format!("{method} {path} with {what}");
                if is_api {
                    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{context}");
                } else {
                    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{context}");
                    assert_eq!(response.headers()[LOCATION], "/login", "{context}");
                }
                refusals += 1;
            }
        }
    }

    let functions: Vec<(&str, http::Method)> = server_fn::axum::server_fn_paths().collect();
    assert!(functions.len() >= 20, "{functions:?}");
    for (path, method) in functions
        .iter()
        .filter(|(path, _)| !PUBLIC_SERVER_FNS.contains(path))
    {
        for (what, cookie) in &sessions {
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
                "{method} {path} with {what}"
            );
            assert_eq!(app_error(response).await, AppError::NotSignedIn, "{path}");
            refusals += 1;
        }
    }
    println!("session sweep: {refusals} requests refused");

    // The emulator's Graph is public only as Graph is: with a token.
    let response = app
        .http
        .get(format!("{}{DEMO_GRAPH_PREFIX}/v1.0/users", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    app.db.teardown().await;
}

// ---- the emulator inside the app ---------------------------------------

#[tokio::test]
async fn the_demo_tenant_is_not_served_once_a_real_connection_is_saved() {
    let app = spawn(Setup {
        demo_mode: app::domain::connection::DemoMode::UntilConfigured,
        demo: Some(demo_sim(2)),
        ..Setup::default()
    })
    .await;
    let cookie = app.session_cookie().await;
    let control = format!("{}{DEMO_GRAPH_PREFIX}/_sim/tenant", app.base);
    let graph = format!("{}{DEMO_GRAPH_PREFIX}/v1.0/users", app.base);
    let get = |url: String, cookie: Option<String>| {
        let mut request = app.http.get(url);
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        request.send()
    };
    assert_eq!(
        get(control.clone(), Some(cookie.clone()))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        get(control.clone(), None).await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "the control API needs an admin"
    );

    let saved = app
        .call_json(
            "/api/save_connection",
            Some(&cookie),
            json!({"input": {
                "tenant_id": "contoso.onmicrosoft.com",
                "client_id": "00000000-0000-0000-0000-000000000001",
                "client_secret": "a-real-secret-value-123",
                "cloud": "Global",
            }}),
        )
        .await;
    assert_eq!(saved.status(), StatusCode::OK, "{:?}", saved.text().await);
    for url in [control.clone(), graph.clone()] {
        assert_eq!(
            get(url.clone(), Some(cookie.clone()))
                .await
                .unwrap()
                .status(),
            StatusCode::NOT_FOUND,
            "{url} while a real connection is configured"
        );
    }
    let removed = app.call_form("/api/remove_connection", &cookie, "").await;
    assert_eq!(removed.0, StatusCode::OK, "{}", removed.1);
    assert_eq!(
        get(control, Some(cookie)).await.unwrap().status(),
        StatusCode::OK,
        "the demo again, once the connection is removed"
    );
    app.db.teardown().await;
}

#[tokio::test]
async fn control_inputs_are_validated_and_capped() {
    let app = spawn(Setup::demo(demo_sim(3))).await;
    let cookie = app.session_cookie().await;
    let sim_url = |path: &str| format!("{}{DEMO_GRAPH_PREFIX}/_sim{path}", app.base);
    let send = |method: Method, path: &str, body: Value| {
        app.http
            .request(method, sim_url(path))
            .header(COOKIE, &cookie)
            .json(&body)
            .send()
    };
    let before = send(Method::GET, "/tenant", Value::Null)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for (method, path, body) in [
        (
            Method::POST,
            "/tenant/generate",
            json!({"users": 1, "groups": 1e12}),
        ),
        (
            Method::POST,
            "/tenant/generate",
            json!({"users": 1, "groups": 1_000_000_000_000u64}),
        ),
        (
            Method::POST,
            "/tenant/generate",
            json!({"users": 10_000_000}),
        ),
        (Method::POST, "/tenant/generate", json!({"users": -1})),
        (
            Method::PUT,
            "/faults",
            json!({"tokenLifetimeSecs": u64::MAX}),
        ),
        (Method::PUT, "/faults", json!({"tokenLifetimeSecs": 0})),
        (Method::PUT, "/faults", json!({"latencyMs": 86_400_000})),
        (Method::PUT, "/faults", json!({"throttleEvery": 0})),
        (Method::PUT, "/faults", json!({"unavailableStatus": 200})),
        (Method::PUT, "/faults", json!({"maxPageSize": 0})),
        (Method::PUT, "/faults", json!({"emptyPages": u64::MAX})),
        (
            Method::PUT,
            "/tenant",
            json!({"domain": "x", "users": "many"}),
        ),
    ] {
        let response = send(method.clone(), path, body.clone()).await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "{method} {path} {body}"
        );
        let text = response.text().await.unwrap();
        assert!(text.contains("error"), "a message: {text}");
    }
    let after = send(Method::GET, "/tenant", Value::Null)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(before, after, "nothing changed");
    let faults = send(Method::GET, "/faults", Value::Null)
        .await
        .unwrap()
        .json::<Faults>()
        .await
        .unwrap();
    assert_eq!(faults, Faults::default());

    // A sync still works, its token lifetime untouched.
    let run = app.preview(&cookie).await;
    assert!(run > 0);
    app.db.teardown().await;
}

// ---- sign-in abuse --------------------------------------------------------

#[tokio::test]
async fn parallel_wrong_attempts_are_each_counted_and_the_admin_gets_in_from_elsewhere() {
    common::logs::capture();
    let app = spawn(Setup::default()).await;
    // An admin of its own, so that the log lines counted are this test's.
    let owner = format!("owner-{}@example.com", now_millis());
    app.store()
        .create_admin(&owner, &hash_password(ADMIN_PASSWORD).unwrap())
        .await
        .unwrap();
    // The admin's email, guessed from one address (this test's loopback).
    let attempts = (0..10).map(|_| app.sign_in(&owner, "guess", &[]));
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.status())
        .collect();
    let wrong = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let slowed = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(
        (wrong, slowed),
        (3, 7),
        "three free failures, then every attempt waits: {statuses:?}"
    );
    let again = app.sign_in(&owner, ADMIN_PASSWORD, &[]).await;
    assert_eq!(
        again.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits at this address"
    );
    match app_error(again).await {
        AppError::TooManyAttempts { retry_after_secs } => {
            assert!(retry_after_secs >= 20, "about 30 s: {retry_after_secs}")
        }
        other => panic!("{other:?}"),
    }

    // Meanwhile the admin signs in from another address.
    let elsewhere = reqwest::Client::builder()
        .local_address(IpAddr::from([127, 0, 0, 2]))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = elsewhere
        .post(format!("{}/api/sign_in", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "email={}&password={}",
            encode(&owner),
            encode(ADMIN_PASSWORD)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get(SET_COOKIE).is_some());

    // Each refusal is logged, with its reason and address.
    let logs = common::logs::text();
    let refusals = logs
        .lines()
        .filter(|l| l.contains("refused a sign-in") && l.contains(&owner))
        .filter(|l| l.contains("127.0.0.1"))
        .count();
    assert_eq!(refusals, 11, "each refusal logged once, with its address");
    app.db.teardown().await;
}

#[tokio::test]
async fn a_one_megabyte_email_is_refused_at_once() {
    let app = spawn(Setup::default()).await;
    let email = "a".repeat(1024 * 1024);
    let response = app.sign_in(&email, "x", &[]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let AppError::InvalidInput(message) = app_error(response).await else {
        panic!("not a clear refusal");
    };
    assert!(message.contains("254"), "{message}");
    // Not a failure that counts: the admin still has every free attempt.
    for _ in 0..3 {
        assert_eq!(
            app.sign_in(ADMIN_EMAIL, "wrong", &[]).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    app.db.teardown().await;
}

// ---- cross-site requests and the public URL -----------------------------

#[tokio::test]
async fn cross_origin_state_changes_are_refused() {
    let app = spawn(Setup::default()).await;
    let cookie = app.session_cookie().await;
    let own = app.base.clone();
    let post = |origin: Option<(&'static str, String)>| {
        let mut request = app
            .http
            .post(format!("{}/api/list_users", app.base))
            .header(COOKIE, &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("search=&page=1");
        if let Some((name, value)) = origin {
            request = request.header(name, value);
        }
        request.send()
    };
    assert_eq!(
        post(Some(("origin", own.clone()))).await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        post(Some(("referer", format!("{own}/users"))))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    for (name, value) in [
        ("origin", "http://evil.example".to_owned()),
        ("origin", "null".to_owned()),
        ("origin", own.replace("127.0.0.1", "localhost")),
        ("referer", "http://evil.example/users".to_owned()),
        ("sec-fetch-site", "cross-site".to_owned()),
    ] {
        let response = post(Some((name, value.clone()))).await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{name}: {value}");
    }
    // Sign-in too (login CSRF), and the emulator's control API.
    let response = app
        .sign_in(
            ADMIN_EMAIL,
            ADMIN_PASSWORD,
            &[("origin", "http://evil.example")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.headers().get(SET_COOKIE).is_none());
    app.db.teardown().await;
}

#[tokio::test]
async fn the_public_url_decides_the_allowed_origin_and_the_secure_cookie() {
    let app = spawn(Setup {
        public_url: Some(PublicUrl::parse("https://dirsync.example.com").unwrap()),
        ..Setup::default()
    })
    .await;
    let response = app
        .sign_in(
            ADMIN_EMAIL,
            ADMIN_PASSWORD,
            &[("origin", "https://dirsync.example.com")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=31536000",
        "https: browsers are told to stay on it"
    );
    // The address the server is reached at is not the public one.
    let own_host = app.base.clone();
    let response = app
        .sign_in(
            ADMIN_EMAIL,
            ADMIN_PASSWORD,
            &[("origin", own_host.as_str())],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // Without a public URL, plain http: no Secure flag.
    let plain = spawn(Setup::default()).await;
    let response = plain.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD, &[]).await;
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap();
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(
        response
            .headers()
            .get("strict-transport-security")
            .is_none()
    );
    app.db.teardown().await;
    plain.db.teardown().await;
}

// ---- headers ----------------------------------------------------------------

fn assert_security_headers(response: &reqwest::Response, what: &str) {
    let h = response.headers();
    let csp = h
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no CSP"))
        .to_str()
        .unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(h["referrer-policy"], "same-origin", "{what}");
    assert_eq!(h["x-frame-options"], "DENY", "{what}");
}

#[tokio::test]
async fn pages_server_functions_and_everything_else_carry_the_security_headers() {
    let app = spawn(Setup::default()).await;
    let cookie = app.session_cookie().await;

    let page = app
        .http
        .get(format!("{}/login", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_security_headers(&page, "the sign-in page");
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("a nonce: {csp}"))
        .to_owned();
    assert!(nonce.len() >= 16, "{nonce}");
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the header's nonce"
    );
    let again = app
        .http
        .get(format!("{}/login", app.base))
        .send()
        .await
        .unwrap();
    assert_ne!(
        again.headers()["content-security-policy"].to_str().unwrap(),
        csp,
        "a new nonce for every page"
    );

    let signed_in_page = app
        .http
        .get(format!("{}/users", app.base))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in_page.status(), StatusCode::OK);
    assert_security_headers(&signed_in_page, "the Users page");

    let function = app
        .http
        .post(format!("{}/api/current_admin", app.base))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(function.status(), StatusCode::OK);
    assert_security_headers(&function, "a server function");

    for path in [
        "/api/health",
        "/favicon.svg",
        "/pkg/dirsync.css",
        "/no-such-page",
    ] {
        let response = app
            .http
            .get(format!("{}{path}", app.base))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_security_headers(&response, path);
    }
    let refused = app
        .http
        .post(format!("{}/api/list_users", app.base))
        .send()
        .await
        .unwrap();
    assert_security_headers(&refused, "a refusal");
    app.db.teardown().await;
}

// ---- sessions and their streams ------------------------------------------

#[tokio::test]
async fn sessions_end_when_idle_and_at_their_absolute_end() {
    let idle = spawn(Setup {
        sessions: SessionPolicy {
            idle: Duration::from_millis(1500),
            absolute: Duration::from_secs(3600),
        },
        ..Setup::default()
    })
    .await;
    let cookie = idle.session_cookie().await;
    let call = |app: &TestApp, cookie: String| {
        let url = format!("{}/api/current_admin", app.base);
        let http = app.http.clone();
        async move {
            http.post(url)
                .header(COOKIE, cookie)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(call(&idle, cookie.clone()).await, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1700)).await;
    assert_eq!(call(&idle, cookie).await, StatusCode::UNAUTHORIZED, "idle");

    let absolute = spawn(Setup {
        sessions: SessionPolicy {
            idle: Duration::from_secs(3600),
            absolute: Duration::from_millis(1500),
        },
        ..Setup::default()
    })
    .await;
    let cookie = absolute.session_cookie().await;
    for _ in 0..3 {
        assert_eq!(call(&absolute, cookie.clone()).await, StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        call(&absolute, cookie).await,
        StatusCode::UNAUTHORIZED,
        "used all along, yet ended"
    );
    idle.db.teardown().await;
    absolute.db.teardown().await;
}

/// Opens the progress stream; returns the response (its body streams).
async fn open_stream(app: &TestApp, cookie: &str) -> reqwest::Response {
    app.http
        .get(format!("{}/api/sync/events", app.base))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_event_stream_ends_with_its_session_and_a_session_has_a_few() {
    let app = spawn(Setup {
        streams: StreamPolicy {
            per_session: 3,
            check_every: Duration::from_millis(100),
        },
        ..Setup::default()
    })
    .await;
    let cookie = app.session_cookie().await;
    let mut open = Vec::new();
    for _ in 0..3 {
        let stream = open_stream(&app, &cookie).await;
        assert_eq!(stream.status(), StatusCode::OK);
        open.push(stream);
    }
    let fourth = open_stream(&app, &cookie).await;
    assert_eq!(fourth.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(fourth.text().await.unwrap().contains("Too many"));
    let other_session = app.session_cookie().await;
    assert_eq!(
        open_stream(&app, &other_session).await.status(),
        StatusCode::OK,
        "another session has its own places"
    );
    drop(open.pop());
    // The closed stream's place frees once the server notices the close.
    let mut freed = false;
    for _ in 0..50 {
        let stream = open_stream(&app, &cookie).await;
        if stream.status() == StatusCode::OK {
            open.push(stream);
            freed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(freed, "closing a stream frees its place");

    // Sign out: every stream of the session ends.
    let (status, _) = app.call_form("/api/sign_out", &cookie, "").await;
    assert!(status.is_success() || status.is_redirection());
    for stream in open {
        let body = tokio::time::timeout(Duration::from_secs(5), stream.text())
            .await
            .expect("the stream ends after sign-out")
            .unwrap();
        assert!(body.contains("event: progress"), "{body}");
    }
    app.db.teardown().await;
}
