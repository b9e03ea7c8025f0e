//! The whole server on a free local port, over a fresh database, with a
//! signed-in admin a call away: what the HTTP-level tests drive.

use super::TestDb;
use app::api::AppError;
use app::domain::connection::DemoMode;
use leptos::prelude::LeptosOptions;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use secrecy::SecretString;
use server::auth::ThrottlePolicy;
use server::bootstrap::ensure_first_admin;
use server::config::AzureEnv;
use server::graph_sim::GraphSim;
use server::secrets::SecretBox;
use server::store::Store;
use server::sync::{ConnectionService, DemoTenant, ImportService, ProgressHub};
use std::sync::Arc;
use std::time::Duration;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "correct horse battery";

/// How the server is configured: the demo, the `AZURE_*` variables, and
/// the key that seals secrets.
pub struct Setup {
    pub demo_mode: DemoMode,
    /// The simulation the demo serves (under the app's `/graph-sim`).
    pub demo: Option<GraphSim>,
    pub env: AzureEnv,
    pub secrets: SecretBox,
}

impl Default for Setup {
    /// No demo, no environment: a server with nothing to connect to.
    fn default() -> Self {
        Self {
            demo_mode: DemoMode::Off,
            demo: None,
            env: AzureEnv::default(),
            secrets: SecretBox::from_key([42; 32]),
        }
    }
}

impl Setup {
    /// `DIRSYNC_DEMO=1` with `sim` as the simulated tenant.
    pub fn demo(sim: GraphSim) -> Self {
        Self {
            demo_mode: DemoMode::Forced,
            demo: Some(sim),
            ..Self::default()
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub db: TestDb,
    pub progress: Arc<ProgressHub>,
}

pub async fn spawn_app() -> TestApp {
    spawn(Setup::default()).await
}

pub async fn spawn_app_with(demo: Option<GraphSim>) -> TestApp {
    spawn(demo.map(Setup::demo).unwrap_or_default()).await
}

/// A fresh database with the test admin, served as `setup` says.
pub async fn spawn(setup: Setup) -> TestApp {
    let db = super::sqlite().await;
    ensure_first_admin(
        &db.store,
        Some(ADMIN_EMAIL),
        Some(&SecretString::from(ADMIN_PASSWORD)),
    )
    .await
    .unwrap();
    serve(db, setup).await
}

/// Serves `db` as a server started afresh would: what a restart keeps is
/// what the database (and the key) hold.
pub async fn serve(db: TestDb, setup: Setup) -> TestApp {
    let options = LeptosOptions::builder()
        .output_name("dirsync")
        .site_root("target/site")
        .build();
    let throttle = ThrottlePolicy {
        free_failures: 3,
        first_delay: Duration::from_secs(30),
        max_delay: Duration::from_secs(60),
        forget_after: Duration::from_secs(60),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let progress = Arc::new(ProgressHub::new());
    let connections = Arc::new(ConnectionService::new(
        db.store.clone(),
        setup.secrets,
        setup.env,
        setup.demo_mode,
        setup
            .demo
            .as_ref()
            .map(|sim| DemoTenant::new(sim.clone(), addr)),
    ));
    let import = ImportService::new(
        db.store.clone(),
        progress.clone(),
        connections,
        server::sync::LockPolicy::default(),
    );
    let router = server::build_router(db.store.clone(), options, throttle, setup.demo, import);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        base,
        http,
        db,
        progress,
    }
}

impl TestApp {
    pub fn store(&self) -> &Store {
        &self.db.store
    }

    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self
            .http
            .post(format!("{}/api/sign_in", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "email={}&password={}",
                encode(email),
                encode(password)
            ));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.unwrap()
    }

    /// Signs in and returns the `Cookie` header value for the session.
    pub async fn session_cookie(&self) -> String {
        let response = self.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD, &[]).await;
        assert_eq!(response.status(), StatusCode::OK);
        let set_cookie = response
            .headers()
            .get(SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap();
        set_cookie.split(';').next().unwrap().to_owned()
    }

    /// Calls a server function with a JSON body.
    pub async fn call_json(
        &self,
        path: &str,
        cookie: Option<&str>,
        body: serde_json::Value,
    ) -> reqwest::Response {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        request.send().await.unwrap()
    }

    /// Calls a server function with a form-encoded body; returns the status
    /// and the JSON answer.
    pub async fn call_form(
        &self,
        path: &str,
        cookie: &str,
        body: &str,
    ) -> (StatusCode, serde_json::Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }
}

/// Percent-encodes a form value.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub async fn app_error(response: reqwest::Response) -> AppError {
    let text = response.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not an AppError ({e}): {text}"))
}
