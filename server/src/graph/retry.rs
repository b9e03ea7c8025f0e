//! When and how long to wait before trying Graph again (graph-api.md §6):
//! 429, 503 and 504 are retried, honouring `Retry-After` (seconds or an HTTP
//! date), else exponential backoff with jitter; a dropped connection counts
//! as a 503. Attempts and the total wait are both bounded.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The first backoff when Graph gives no `Retry-After`; doubles each time.
    pub base_delay: Duration,
    /// No single wait is longer (a longer `Retry-After` ends the retries).
    pub max_delay: Duration,
    /// Total waiting allowed for one request.
    pub max_total_wait: Duration,
    /// One HTTP request, start to end.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        // The Graph SDKs' defaults (3 s, doubling, at most 180 s per wait),
        // with more attempts because a full import is one long job.
        Self {
            max_attempts: 6,
            base_delay: Duration::from_secs(3),
            max_delay: Duration::from_secs(180),
            max_total_wait: Duration::from_secs(10 * 60),
            request_timeout: Duration::from_secs(100),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` (after `attempt` failures),
    /// given Graph's `Retry-After` if any, and a jitter fraction in [0, 1).
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>, jitter: f64) -> Duration {
        match retry_after {
            Some(wait) => wait,
            None => {
                let exp = self
                    .base_delay
                    .saturating_mul(1 << attempt.saturating_sub(1).min(16));
                let jittered = exp.mul_f64(1.0 + jitter.clamp(0.0, 1.0) * 0.5);
                jittered.min(self.max_delay)
            }
        }
    }
}

/// Reads `Retry-After`: delta-seconds, or an HTTP date (RFC 9110 §10.2.3).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// How the client waits. Tests swap in one that records instead of sleeping.
pub type Sleeper = Arc<dyn Fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

pub fn tokio_sleeper() -> Sleeper {
    Arc::new(|d| Box::pin(tokio::time::sleep(d)))
}

/// A jitter fraction in [0, 1) from the OS's random source.
pub fn jitter() -> f64 {
    let mut byte = [0u8; 2];
    if getrandom::fill(&mut byte).is_err() {
        return 0.5;
    }
    f64::from(u16::from_le_bytes(byte)) / 65_536.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2026 07:28:00 GMT").unwrap();
        assert_eq!(parse_retry_after("10", now), Some(Duration::from_secs(10)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2026 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2026 07:27:00 GMT", now),
            Some(Duration::ZERO),
            "a past date"
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(1, None, 0.0), Duration::from_secs(3));
        assert_eq!(p.delay(2, None, 0.0), Duration::from_secs(6));
        assert_eq!(p.delay(3, None, 0.0), Duration::from_secs(12));
        let jittered = p.delay(3, None, 0.99);
        assert!(
            jittered > Duration::from_secs(12) && jittered < Duration::from_secs(18),
            "{jittered:?}"
        );
        assert_eq!(p.delay(30, None, 0.5), Duration::from_secs(180));
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(42)), 0.9),
            Duration::from_secs(42),
            "Retry-After wins"
        );
    }
}
