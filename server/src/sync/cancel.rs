//! The directory read this process is running, and how a Cancel click
//! stops it: clicked in this process, or in another one and carried here
//! through the database (`shared_progress`).

use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// A Cancel click for a running fetch, and who clicked.
#[derive(Default)]
pub struct CancelRequest {
    /// A stored permit: the fetch stops even if it is between awaits.
    clicked: Notify,
    by: Mutex<Option<String>>,
}

impl CancelRequest {
    fn request(&self, admin: &str) {
        *self.by.lock().unwrap_or_else(|e| e.into_inner()) = Some(admin.to_owned());
        self.clicked.notify_one();
    }

    /// Completes with who clicked.
    pub async fn clicked(&self) -> String {
        self.clicked.notified().await;
        self.by
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_default()
    }
}

/// A fetch's run, and its Cancel.
type Running = (i64, Arc<CancelRequest>);

/// The fetch this process runs now, if any.
#[derive(Clone, Default)]
pub struct RunningFetch(Arc<Mutex<Option<Running>>>);

impl RunningFetch {
    /// Records that this process reads the directory for `run_id`, until
    /// the returned fetch is dropped (however the read ends: a panic too,
    /// or a Cancel would stay taken by a fetch long gone).
    pub fn start(&self, run_id: i64) -> StartedFetch {
        let cancel = Arc::new(CancelRequest::default());
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((run_id, cancel.clone()));
        StartedFetch {
            running: self.clone(),
            run_id,
            cancel,
        }
    }

    fn finish(&self, run_id: i64) {
        let mut running = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if running.as_ref().is_some_and(|(id, _)| *id == run_id) {
            *running = None;
        }
    }

    /// Asks the fetch of `run_id` (any fetch, when `None`) to stop, if this
    /// process runs it; false when it does not.
    pub fn cancel(&self, run_id: Option<i64>, admin: &str) -> bool {
        let running = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match running.as_ref() {
            Some((id, cancel)) if run_id.is_none_or(|wanted| wanted == *id) => {
                tracing::info!(run_id = id, %admin, "cancel requested");
                cancel.request(admin);
                true
            }
            _ => false,
        }
    }
}

/// A fetch running in this process; dropping it records that it ended.
pub struct StartedFetch {
    running: RunningFetch,
    run_id: i64,
    /// Completes when someone cancels it.
    pub cancel: Arc<CancelRequest>,
}

impl Drop for StartedFetch {
    fn drop(&mut self) {
        self.running.finish(self.run_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_cancel_reaches_only_the_fetch_it_names() {
        let running = RunningFetch::default();
        assert!(!running.cancel(None, "a@example.com"), "nothing runs");
        let started = running.start(4);
        assert!(!running.cancel(Some(3), "a@example.com"), "another run");
        assert!(running.cancel(Some(4), "b@example.com"));
        assert_eq!(started.cancel.clicked().await, "b@example.com");
        drop(started);
        assert!(!running.cancel(None, "a@example.com"), "it ended");
    }
}
