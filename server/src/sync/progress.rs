//! Publishes progress events to any number of subscribers. A subscriber
//! that joins late (a reloaded page, a second tab) first gets the current
//! state, then every update: the snapshot and the subscription are taken
//! under one lock, so no event falls between them.

use app::domain::sync::progress::ProgressEvent;
use std::sync::Mutex;
use tokio::sync::broadcast;

/// Updates buffered per subscriber before a slow one skips ahead (it then
/// resynchronises from the next event, which carries the whole state).
const BUFFER: usize = 256;

pub struct ProgressHub {
    current: Mutex<ProgressEvent>,
    sender: broadcast::Sender<ProgressEvent>,
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
            current: Mutex::new(ProgressEvent::Idle),
            sender,
        }
    }

    pub fn publish(&self, event: ProgressEvent) {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        *current = event.clone();
        // No subscribers is fine: the snapshot keeps the state.
        let _ = self.sender.send(event);
    }

    pub fn current(&self) -> ProgressEvent {
        self.current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The state now, and a receiver of every later update.
    pub fn subscribe(&self) -> (ProgressEvent, broadcast::Receiver<ProgressEvent>) {
        let current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        (current.clone(), self.sender.subscribe())
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
