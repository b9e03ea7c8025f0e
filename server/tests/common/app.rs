//! The whole server on a free local port, over a fresh database, with a
//! signed-in admin a call away: what the HTTP-level tests drive.

use super::TestDb;
use app::api::AppError;
use app::domain::connection::DemoMode;
use leptos::prelude::LeptosOptions;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use secrecy::SecretString;
use server::auth::{SessionPolicy, ThrottlePolicy};
use server::bootstrap::ensure_first_admin;
use server::config::AzureEnv;
use server::graph_sim::GraphSim;
use server::secrets::SecretBox;
use server::startup::{Application, Settings};
use server::store::Store;
use server::sync::{LockPolicy, ManualClock, ProgressHub, Scheduler, SchedulerPolicy};
use server::web::{PublicUrl, StreamPolicy};
use std::sync::Arc;
use std::time::Duration;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "correct horse battery";

/// How the server is configured: the demo, the `AZURE_*` variables, the
/// key that seals secrets, the public URL and the session and stream
/// policies.
pub struct Setup {
    pub demo_mode: DemoMode,
    /// The simulation the demo serves (under the app's `/graph-sim`).
    pub demo: Option<GraphSim>,
    pub env: AzureEnv,
    pub secrets: SecretBox,
    pub public_url: Option<PublicUrl>,
    pub sessions: SessionPolicy,
    pub streams: StreamPolicy,
    pub throttle: ThrottlePolicy,
    /// The scheduler's clock: it moves only when a test says (and the
    /// scheduler looks only when a test calls `tick`).
    pub clock: Arc<ManualClock>,
}

impl Default for Setup {
    /// No demo, no environment: a server with nothing to connect to.
    fn default() -> Self {
        Self {
            demo_mode: DemoMode::Off,
            demo: None,
            env: AzureEnv::default(),
            secrets: SecretBox::from_key([42; 32]),
            public_url: None,
            sessions: SessionPolicy::default(),
            streams: StreamPolicy {
                per_session: 3,
                check_every: Duration::from_millis(200),
            },
            throttle: ThrottlePolicy {
                free_failures: 3,
                first_delay: Duration::from_secs(30),
                max_delay: Duration::from_secs(60),
                forget_after: Duration::from_secs(60),
                ..ThrottlePolicy::default()
            },
            clock: Arc::new(ManualClock::at(server::store::now_millis())),
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
    /// Every path the router serves, as `Application::build` listed them.
    pub paths: Vec<String>,
    /// The scheduler `main` would run on its own; here, `tick` runs it.
    pub scheduler: Arc<Scheduler>,
    /// Its clock.
    pub clock: Arc<ManualClock>,
}

pub async fn spawn_app() -> TestApp {
    spawn(Setup::default()).await
}

pub async fn spawn_app_with(demo: Option<GraphSim>) -> TestApp {
    spawn(demo.map(Setup::demo).unwrap_or_default()).await
}

/// A fresh database with the test admin, served as `setup` says.
pub async fn spawn(setup: Setup) -> TestApp {
    spawn_on(super::sqlite().await, setup).await
}

/// `db` (either engine) with the test admin, served as `setup` says.
pub async fn spawn_on(db: TestDb, setup: Setup) -> TestApp {
    ensure_first_admin(
        &db.store,
        Some(ADMIN_EMAIL),
        Some(&SecretString::from(ADMIN_PASSWORD)),
    )
    .await
    .unwrap();
    serve(db, setup).await
}

/// Serves `db` as a server started afresh would, through the same
/// `Application::build` as `main`: what a restart keeps is what the
/// database (and the key) hold.
pub async fn serve(db: TestDb, setup: Setup) -> TestApp {
    let leptos = LeptosOptions::builder()
        .output_name("dirsync")
        .site_root("target/site")
        .build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app = Application::build(
        db.store.clone(),
        listener,
        Settings {
            leptos,
            azure: setup.env,
            demo_mode: setup.demo_mode,
            demo: setup.demo,
            secrets: setup.secrets,
            throttle: setup.throttle,
            sessions: setup.sessions,
            lock: LockPolicy::default(),
            public_url: setup.public_url,
            streams: setup.streams,
            scheduler: SchedulerPolicy {
                clock: setup.clock.clone(),
                check_every: None,
            },
            sharing: Default::default(),
        },
    )
    .await
    .unwrap();
    let base = format!("http://{}", app.address());
    let progress = app.progress.clone();
    let scheduler = app.scheduler.clone();
    let paths = app.paths().to_vec();
    tokio::spawn(async move { app.run_until(std::future::pending()).await.unwrap() });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        base,
        http,
        db,
        progress,
        paths,
        scheduler,
        clock: setup.clock,
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

    /// The progress stream the Import page follows.
    pub async fn events(&self, cookie: &str) -> super::events::EventStream {
        super::events::EventStream::open(&self.http, &self.base, cookie).await
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

/// A sync driven over HTTP, as the Import Users page drives it.
impl TestApp {
    pub async fn run_state(&self, cookie: &str, run_id: i64) -> String {
        let (status, run) = self
            .call_form("/api/get_run", cookie, &format!("run_id={run_id}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{run}");
        run["state"].as_str().unwrap().to_owned()
    }

    /// Starts a preview and waits until it is stored; returns its run.
    pub async fn preview(&self, cookie: &str) -> i64 {
        let (status, run) = self
            .call_form("/api/start_preview", cookie, "full_read=false")
            .await;
        assert_eq!(status, StatusCode::OK, "{run}");
        let run_id = run.as_i64().unwrap();
        self.wait_for(cookie, run_id, "Previewed", &["Fetching"])
            .await;
        run_id
    }

    /// Applies a previewed run (past the threshold) and waits for its end.
    pub async fn apply(&self, cookie: &str, run_id: i64) {
        let response = self
            .call_json(
                "/api/apply_preview",
                Some(cookie),
                serde_json::json!({"run_id": run_id, "override_threshold": true}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        self.wait_for(cookie, run_id, "Applied", &["Previewed", "Applying"])
            .await;
    }

    async fn wait_for(&self, cookie: &str, run_id: i64, wanted: &str, on_the_way: &[&str]) {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let state = self.run_state(cookie, run_id).await;
            if state == wanted {
                return;
            }
            assert!(
                on_the_way.contains(&state.as_str()),
                "run {run_id} ended {state}"
            );
            assert!(
                std::time::Instant::now() < deadline,
                "run {run_id} stays {state}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
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
