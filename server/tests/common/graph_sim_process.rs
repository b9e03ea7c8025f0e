//! The Graph emulator as a process of its own (`graph-sim`): the binary's
//! own test, and the benchmark (the server's memory measured without the
//! simulated tenant in it, the requests crossing a real socket).

use secrecy::SecretString;
use server::graph::{Cloud, Credentials, Endpoints};
use server::graph_sim::Tenant;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub struct GraphSimProcess {
    child: Child,
    /// `TENANT_ID`, `CLIENT_ID`, `CLIENT_SECRET`, `AZURE_AUTHORITY_HOST`,
    /// `GRAPH_BASE_URL`, as it printed them.
    printed: HashMap<String, String>,
    http: reqwest::Client,
}

impl GraphSimProcess {
    /// Serves `tenant` (written to `tenant_file` first).
    pub fn start(tenant: &Tenant, tenant_file: &Path) -> Self {
        std::fs::write(tenant_file, serde_json::to_vec(tenant).unwrap()).unwrap();
        let file = tenant_file.to_str().expect("a UTF-8 temporary path");
        Self::start_with_args(&["--tenant", file, "--port", "0"])
    }

    /// `graph-sim` with these arguments, once it has printed its
    /// registration.
    pub fn start_with_args(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_graph-sim"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start graph-sim");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut printed = HashMap::new();
        while printed.len() < 5 {
            let line = lines.next().expect("graph-sim printed its registration");
            let line = line.unwrap();
            let (key, value) = line.split_once('=').expect("KEY=value lines");
            printed.insert(key.to_owned(), value.to_owned());
        }
        Self {
            child,
            printed,
            http: reqwest::Client::new(),
        }
    }

    /// What a server needs to read this tenant.
    pub fn server_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("DIRSYNC_DEMO", "0".to_owned()),
            ("AZURE_TENANT_ID", self.printed["TENANT_ID"].clone()),
            ("AZURE_CLIENT_ID", self.printed["CLIENT_ID"].clone()),
            ("AZURE_CLIENT_SECRET", self.printed["CLIENT_SECRET"].clone()),
            (
                "AZURE_AUTHORITY_HOST",
                self.printed["AZURE_AUTHORITY_HOST"].clone(),
            ),
            ("GRAPH_BASE_URL", self.printed["GRAPH_BASE_URL"].clone()),
        ]
    }

    pub fn endpoints(&self) -> Endpoints {
        Endpoints::for_cloud(Cloud::Global).with_overrides(
            Some(&self.printed["AZURE_AUTHORITY_HOST"]),
            Some(&self.printed["GRAPH_BASE_URL"]),
        )
    }

    pub fn tenant_id(&self) -> &str {
        &self.printed["TENANT_ID"]
    }

    pub fn client_id(&self) -> &str {
        &self.printed["CLIENT_ID"]
    }

    pub fn client_secret(&self) -> &str {
        &self.printed["CLIENT_SECRET"]
    }

    /// The registration it printed, as a client takes it.
    pub fn credentials(&self) -> Credentials {
        Credentials {
            tenant_id: self.tenant_id().to_owned(),
            client_id: self.client_id().to_owned(),
            client_secret: SecretString::from(self.client_secret().to_owned()),
        }
    }

    /// Sends `body` to the control API at `path`; it must succeed.
    async fn control(&self, method: reqwest::Method, path: &str, body: serde_json::Value) {
        let url = format!("{}/_sim/{path}", self.printed["GRAPH_BASE_URL"]);
        let response = self
            .http
            .request(method, url)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{:?}",
            response.text().await
        );
    }

    /// Sets these users' job titles, several requests at a time (the
    /// control API takes one user per request).
    pub async fn set_job_titles(&self, titles: &[(String, Option<String>)]) {
        use futures::StreamExt;
        futures::stream::iter(titles)
            .map(|(id, title)| async move {
                let body = serde_json::json!({ "jobTitle": title });
                self.control(reqwest::Method::PATCH, &format!("users/{id}"), body)
                    .await;
            })
            .buffer_unordered(8)
            .collect::<Vec<()>>()
            .await;
    }

    /// Every Graph request waits `ms` more (real Graph is not on loopback).
    pub async fn set_latency(&self, ms: u64) {
        let body = serde_json::json!({ "latencyMs": ms });
        self.control(reqwest::Method::PUT, "faults", body).await;
    }
}

impl Drop for GraphSimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
