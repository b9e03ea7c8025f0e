//! The progress stream (`/api/sync/events`) read as the Import page reads
//! it: server-sent events one at a time, keep-alives skipped. For the app
//! in process and for a server process alike.

use app::domain::sync::progress::ProgressEvent;
use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::Value;
use std::time::Duration;

pub struct EventStream {
    response: reqwest::Response,
    buffer: Vec<u8>,
    /// The longest wait for the next bytes of the stream.
    pub patience: Duration,
}

impl EventStream {
    /// Opens the stream of the server at `base` for the session `cookie`.
    pub async fn open(http: &reqwest::Client, base: &str, cookie: &str) -> Self {
        let response = http
            .get(format!("{base}/api/sync/events"))
            .header(COOKIE, cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        Self {
            response,
            buffer: Vec::new(),
            patience: Duration::from_secs(10),
        }
    }

    /// The next event's (event name, data).
    pub async fn next(&mut self) -> (String, String) {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let block: Vec<u8> = self.buffer.drain(..end + 2).collect();
                let block = String::from_utf8(block).expect("UTF-8 events");
                let mut name = String::new();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                if !name.is_empty() {
                    return (name, data);
                }
                continue;
            }
            let chunk = tokio::time::timeout(self.patience, self.response.chunk())
                .await
                .unwrap_or_else(|_| panic!("an event within {:?}", self.patience))
                .unwrap()
                .expect("the stream stays open");
            self.buffer.extend_from_slice(&chunk);
        }
    }

    /// The next progress event, as JSON.
    pub async fn next_progress(&mut self) -> Value {
        let (name, data) = self.next().await;
        assert_eq!(name, "progress");
        serde_json::from_str(&data).expect("a JSON event")
    }

    /// Progress events until one in `phase` (which is returned last); a
    /// failed sync fails the test.
    pub async fn until(&mut self, phase: &str) -> Vec<ProgressEvent> {
        let mut seen = Vec::new();
        loop {
            let value = self.next_progress().await;
            seen.push(serde_json::from_value(value.clone()).unwrap());
            if value["phase"] == phase {
                return seen;
            }
            assert_ne!(value["phase"], "failed", "the sync failed: {value}");
        }
    }

    /// Reads progress until an event of `phase` about `run_id`; returns it.
    pub async fn until_run(&mut self, phase: &str, run_id: i64) -> Value {
        self.until_matching(|e| e["phase"] == phase && e["run_id"].as_i64() == Some(run_id))
            .await
    }

    /// Reads progress until an event says no sync is running.
    pub async fn until_idle(&mut self) -> Value {
        self.until_matching(|e| e["phase"] == "idle").await
    }

    /// Gives up after a minute, or the stream's patience if longer
    /// (keep-alives alone would wait for ever).
    async fn until_matching(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        let limit = self.patience.max(Duration::from_secs(60));
        let mut seen = Vec::new();
        let wait = async {
            loop {
                let event = self.next_progress().await;
                if wanted(&event) {
                    return event;
                }
                seen.push(event["phase"].as_str().unwrap_or_default().to_owned());
            }
        };
        let found = tokio::time::timeout(limit, wait).await;
        match found {
            Ok(event) => event,
            Err(_) => panic!("not within {limit:?}; saw {seen:?}"),
        }
    }
}
