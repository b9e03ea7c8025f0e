//! How many progress streams a session may hold open, and how often an open
//! stream checks that its session still lives. A browser tab holds one; a
//! few tabs are normal, hundreds from one session are not.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct StreamPolicy {
    /// Streams one session may have open at once.
    pub per_session: usize,
    /// How often an open stream checks its session (sign-out, expiry).
    pub check_every: Duration,
}

impl Default for StreamPolicy {
    fn default() -> Self {
        Self {
            per_session: 6,
            check_every: Duration::from_secs(5),
        }
    }
}

/// The open streams, counted per session (by the session token's hash).
#[derive(Clone)]
pub struct StreamRegistry {
    policy: StreamPolicy,
    open: Arc<Mutex<HashMap<String, usize>>>,
}

/// One open stream; closing it (dropping) frees its place.
pub struct StreamSlot {
    registry: StreamRegistry,
    session: String,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.registry.lock();
        if let Some(n) = open.get_mut(&self.session) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.session);
            }
        }
    }
}

impl StreamRegistry {
    pub fn new(policy: StreamPolicy) -> Self {
        Self {
            policy,
            open: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    pub fn policy(&self) -> StreamPolicy {
        self.policy
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A place for one more stream of `session`, unless it has its fill.
    pub fn open(&self, session: &str) -> Option<StreamSlot> {
        let mut open = self.lock();
        let n = open.entry(session.to_owned()).or_insert(0);
        if *n >= self.policy.per_session {
            return None;
        }
        *n += 1;
        Some(StreamSlot {
            registry: self.clone(),
            session: session.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_has_a_few_places_and_closing_frees_one() {
        let registry = StreamRegistry::new(StreamPolicy {
            per_session: 2,
            check_every: Duration::from_secs(1),
        });
        let a = registry.open("s1").unwrap();
        let _b = registry.open("s1").unwrap();
        assert!(registry.open("s1").is_none());
        assert!(registry.open("s2").is_some(), "other sessions are apart");
        drop(a);
        assert!(registry.open("s1").is_some());
    }
}
