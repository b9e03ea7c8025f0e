//! Slows down guessing: after a few failures for one email, each further
//! attempt must wait, twice as long after every failure, up to a ceiling.
//! Kept in memory: a restart forgets it, which only helps the real admin.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    /// Failures allowed before any waiting.
    pub free_failures: u32,
    /// The first wait; each further failure doubles it.
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// After this long without a failure, an email starts afresh.
    pub forget_after: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            free_failures: 3,
            first_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(5 * 60),
            forget_after: Duration::from_secs(15 * 60),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

/// Most emails remembered; beyond this the stalest are forgotten first.
const MAX_TRACKED: usize = 10_000;

pub struct SignInThrottle {
    policy: ThrottlePolicy,
    failures: Mutex<HashMap<String, Failures>>,
}

impl SignInThrottle {
    pub fn new(policy: ThrottlePolicy) -> Self {
        Self {
            policy,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn delay_after(&self, count: u32) -> Duration {
        if count < self.policy.free_failures {
            return Duration::ZERO;
        }
        let doublings = (count - self.policy.free_failures).min(20);
        self.policy
            .first_delay
            .saturating_mul(1 << doublings)
            .min(self.policy.max_delay)
    }

    /// `Err(wait)` when an attempt for `key` must wait that much longer.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let Some(f) = failures.get(key) else {
            return Ok(());
        };
        let allowed_at = f.last + self.delay_after(f.count);
        if now < allowed_at {
            Err(allowed_at - now)
        } else {
            Ok(())
        }
    }

    pub fn record_failure(&self, key: &str, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let forget_after = self.policy.forget_after;
        failures.retain(|_, f| now.saturating_duration_since(f.last) < forget_after);
        if failures.len() >= MAX_TRACKED
            && let Some(stalest) = failures
                .iter()
                .min_by_key(|(_, f)| f.last)
                .map(|(k, _)| k.clone())
        {
            failures.remove(&stalest);
        }
        let entry = failures.entry(key.to_owned()).or_insert(Failures {
            count: 0,
            last: now,
        });
        entry.count += 1;
        entry.last = now;
    }

    pub fn record_success(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle() -> SignInThrottle {
        SignInThrottle::new(ThrottlePolicy::default())
    }

    #[test]
    fn the_first_failures_are_free_then_waits_double() {
        let t = throttle();
        let start = Instant::now();
        for _ in 0..2 {
            t.record_failure("ada", start);
            assert!(t.check("ada", start).is_ok());
        }
        t.record_failure("ada", start); // third failure: 2 s
        assert_eq!(t.check("ada", start), Err(Duration::from_secs(2)));
        assert!(t.check("ada", start + Duration::from_secs(2)).is_ok());
        t.record_failure("ada", start); // fourth: 4 s
        assert_eq!(t.check("ada", start), Err(Duration::from_secs(4)));
        assert!(
            t.check("grace", start).is_ok(),
            "other emails are not affected"
        );
    }

    #[test]
    fn waits_are_capped_and_success_or_time_forgets() {
        let t = throttle();
        let start = Instant::now();
        for _ in 0..30 {
            t.record_failure("ada", start);
        }
        assert_eq!(t.check("ada", start), Err(Duration::from_secs(300)));
        t.record_success("ada");
        assert!(t.check("ada", start).is_ok());

        for _ in 0..5 {
            t.record_failure("bob", start);
        }
        let later = start + Duration::from_secs(16 * 60);
        t.record_failure("carol", later);
        t.record_failure("bob", later);
        assert!(
            t.check("bob", later).is_ok(),
            "old failures are forgotten: this is a first failure"
        );
    }
}
