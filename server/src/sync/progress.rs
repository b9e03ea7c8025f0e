//! Publishes progress events to any number of subscribers. A subscriber
//! that joins late (a reloaded page, a second tab) first gets the current
//! state, then every update: the snapshot and the subscription are taken
//! under one lock, so no event falls between them.
//!
//! The events of a sync this process runs are also handed to
//! `shared_progress`, which writes them for the other server processes on
//! the database; what they run arrives from there through
//! [`ProgressHub::show_from_elsewhere`].

use app::domain::sync::progress::ProgressEvent;
use std::sync::Mutex;
use tokio::sync::{broadcast, watch};

/// Updates buffered per subscriber before a slow one skips ahead (it then
/// resynchronises from the next event, which carries the whole state).
const BUFFER: usize = 256;

pub struct ProgressHub {
    /// What is shown now, and whether a sync of this process published it.
    current: Mutex<(ProgressEvent, bool)>,
    sender: broadcast::Sender<ProgressEvent>,
    /// The latest event of this process's own syncs.
    published_here: watch::Sender<ProgressEvent>,
}

impl Default for ProgressHub {
    fn default() -> Self {
        Self::new()
    }
}

impl ProgressHub {
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(BUFFER);
        Self {
            current: Mutex::new((ProgressEvent::Idle, false)),
            sender,
            published_here: watch::Sender::new(ProgressEvent::Idle),
        }
    }

    /// An event of a sync this process runs.
    pub fn publish(&self, event: ProgressEvent) {
        self.show(event.clone(), true);
        self.published_here.send_replace(event);
    }

    /// An event of a sync another server process runs, unless a sync of
    /// this process is running (its own progress is the truth here), or it
    /// is what is shown already. Returns whether it is shown.
    pub fn show_from_elsewhere(&self, event: ProgressEvent) -> bool {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        let (shown, here) = &*current;
        if (*here && shown.is_running()) || *shown == event {
            return false;
        }
        *current = (event.clone(), false);
        let _ = self.sender.send(event);
        true
    }

    fn show(&self, event: ProgressEvent, here: bool) {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        *current = (event.clone(), here);
        // No subscribers is fine: the snapshot keeps the state.
        let _ = self.sender.send(event);
    }

    pub fn current(&self) -> ProgressEvent {
        self.current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .clone()
    }

    /// True while a sync of this process is running.
    pub fn running_here(&self) -> bool {
        let current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        current.1 && current.0.is_running()
    }

    /// The events of this process's own syncs, the latest one at a time.
    pub fn published_here(&self) -> watch::Receiver<ProgressEvent> {
        self.published_here.subscribe()
    }

    /// The state now, and a receiver of every later update.
    pub fn subscribe(&self) -> (ProgressEvent, broadcast::Receiver<ProgressEvent>) {
        let current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        (current.0.clone(), self.sender.subscribe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetching(users: u64) -> ProgressEvent {
        ProgressEvent::Fetching {
            run_id: 1,
            started_by: "admin@example.com".into(),
            pages: 1,
            users_so_far: users,
            total: Some(3000),
            groups_so_far: 0,
            changes_only: false,
        }
    }

    #[tokio::test]
    async fn late_subscribers_get_the_snapshot_then_updates() {
        let hub = ProgressHub::new();
        assert_eq!(hub.subscribe().0, ProgressEvent::Idle);
        hub.publish(fetching(999));
        let (snapshot, mut updates) = hub.subscribe();
        assert_eq!(snapshot, fetching(999));
        hub.publish(fetching(1998));
        assert_eq!(updates.recv().await.unwrap(), fetching(1998));
        assert_eq!(hub.current(), fetching(1998));
        assert!(updates.try_recv().is_err(), "nothing else was sent");
    }

    #[tokio::test]
    async fn only_this_process_s_own_events_are_handed_on() {
        let hub = ProgressHub::new();
        let mut here = hub.published_here();
        assert!(hub.show_from_elsewhere(fetching(5)));
        assert_eq!(hub.current(), fetching(5));
        assert!(!hub.running_here());
        assert!(!here.has_changed().unwrap(), "not written back");
        assert!(!hub.show_from_elsewhere(fetching(5)), "shown already");
        hub.publish(fetching(6));
        assert!(hub.running_here());
        assert_eq!(*here.borrow_and_update(), fetching(6));
        assert!(
            !hub.show_from_elsewhere(fetching(5)),
            "never over this process's own running sync"
        );
        assert_eq!(hub.current(), fetching(6));
    }

    #[tokio::test]
    async fn many_subscribers_each_get_every_update() {
        let hub = ProgressHub::new();
        let mut receivers: Vec<_> = (0..5).map(|_| hub.subscribe().1).collect();
        for n in 1..=3 {
            hub.publish(fetching(n));
        }
        for r in &mut receivers {
            for n in 1..=3 {
                assert_eq!(r.recv().await.unwrap(), fetching(n));
            }
        }
    }
}
