//! A server process of our own binary, driven over HTTP as a browser would:
//! the kill loop kills it, the race tests run two, the benchmark measures
//! it. Dropping one kills it (SIGKILL), so none outlives its test.

use super::app::{ADMIN_EMAIL, ADMIN_PASSWORD, encode};
use super::events::EventStream;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::{Value, json};
use server::graph_sim::Tenant;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    child: Child,
    pub base: String,
    pub http: reqwest::Client,
    /// How long a preview or an apply may take before a wait gives up.
    pub patience: Duration,
}

impl Server {
    /// In demo mode over `database_url`: the tenant is simulated in the
    /// process.
    pub fn start(database_url: &str) -> Self {
        Self::start_with(database_url, &[])
    }

    /// As [`Server::start`], with more of the environment (what is given
    /// here wins over the demo's defaults).
    pub fn start_with(database_url: &str, env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
        let mut child = command
            .env("DATABASE_URL", database_url)
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("DIRSYNC_DEMO", "1")
            .env("DIRSYNC_SECRET_KEY", "42".repeat(32))
            .env("ADMIN_EMAIL", ADMIN_EMAIL)
            .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the server binary");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if !sent && let Some(at) = line.find("dirsync is listening on ") {
                    let addr = line[at + "dirsync is listening on ".len()..]
                        .trim()
                        .to_owned();
                    let _ = tx.send(addr);
                    sent = true;
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server says where it listens");
        Self {
            child,
            base,
            http: reqwest::Client::new(),
            patience: Duration::from_secs(180),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no shutdown, no cleanup.
    pub fn kill(self) {
        drop(self);
    }

    pub async fn sign_in(&self) -> String {
        self.sign_in_as(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    /// Signs in as another admin; returns the session's cookie.
    pub async fn sign_in_as(&self, email: &str, password: &str) -> String {
        let response = self
            .http
            .post(format!("{}/api/sign_in", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "email={}&password={}",
                encode(email),
                encode(password)
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let cookie = response
            .headers()
            .get(SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap();
        cookie.split(';').next().unwrap().to_owned()
    }

    pub async fn call(&self, cookie: &str, endpoint: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}/api/{endpoint}", self.base))
            .header(COOKIE, cookie)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn call_form(&self, cookie: &str, endpoint: &str, body: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}/api/{endpoint}", self.base))
            .header(COOKIE, cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Replaces the demo's simulated tenant (it is in the process, so a
    /// restart brings back the default one).
    pub async fn set_tenant(&self, cookie: &str, tenant: &Tenant) {
        let response = self
            .http
            .put(format!("{}/graph-sim/_sim/tenant", self.base))
            .header(COOKIE, cookie)
            .json(tenant)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{:?}",
            response.text().await
        );
    }

    pub async fn run_state(&self, cookie: &str, run_id: i64) -> String {
        let (status, run) = self
            .call_form(cookie, "get_run", &format!("run_id={run_id}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{run}");
        run["state"].as_str().unwrap().to_owned()
    }

    /// Starts a preview that reads only the changes where it can, and waits
    /// until it is stored; returns its run.
    pub async fn preview(&self, cookie: &str) -> i64 {
        self.preview_reading(cookie, false).await
    }

    /// Starts a preview (a full read when `full_read`) and waits until it is
    /// stored; returns its run.
    pub async fn preview_reading(&self, cookie: &str, full_read: bool) -> i64 {
        let (status, run) = self
            .call_form(cookie, "start_preview", &format!("full_read={full_read}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{run}");
        let run_id = run.as_i64().unwrap();
        let deadline = Instant::now() + self.patience;
        loop {
            match self.run_state(cookie, run_id).await.as_str() {
                "Previewed" => return run_id,
                "Fetching" => {}
                other => panic!("preview ended {other}"),
            }
            assert!(Instant::now() < deadline, "preview took too long");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn apply(&self, cookie: &str, run_id: i64) -> (StatusCode, Value) {
        self.call(
            cookie,
            "apply_preview",
            json!({"run_id": run_id, "override_threshold": true}),
        )
        .await
    }

    /// The progress stream a page of this process follows.
    pub async fn progress_stream(&self, cookie: &str) -> EventStream {
        EventStream::open(&self.http, &self.base, cookie).await
    }

    pub async fn wait_applied(&self, cookie: &str, run_id: i64) {
        let deadline = Instant::now() + self.patience;
        loop {
            match self.run_state(cookie, run_id).await.as_str() {
                "Applied" => return,
                "Applying" | "Previewed" => {}
                other => panic!("the apply ended {other}"),
            }
            assert!(Instant::now() < deadline, "apply took too long");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Server {
    /// Also when a test fails part-way: no server outlives its test.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
