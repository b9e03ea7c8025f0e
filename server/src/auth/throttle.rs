//! Slows down password guessing without letting anyone lock the admin out.
//!
//! Each attempt is counted when it starts, under one lock, before the
//! password is checked: parallel attempts cannot all slip through while the
//! first ones are still being verified. A success takes its count back.
//!
//! Three counts, each with its own pace:
//! - one email from one client address: a few free failures, then each
//!   attempt waits, twice as long after every failure, up to a ceiling;
//! - one client address, whatever the email: more free failures, the same
//!   doubling (guessing across many emails from one place);
//! - everyone: a bucket of failures that refills one every `global_spacing`,
//!   so that a spray from many addresses is slowed to that pace, never to a
//!   standstill. An address where an admin signed in successfully in the
//!   last day skips this bucket, so a spray elsewhere cannot keep the admin
//!   out of their usual place.
//!
//! Addresses are counted as networks where one client holds many: an IPv6
//! client its /64, an IPv4 one its address (IPv4-mapped IPv6 as IPv4).
//!
//! Kept in memory: a restart forgets it, which only helps the real admin.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    /// Failures of one email from one address before any waiting.
    pub free_failures: u32,
    /// Failures from one address, across emails, before any waiting.
    pub free_failures_per_address: u32,
    /// The first wait; each further failure doubles it.
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// After this long without a failure, a count starts afresh.
    pub forget_after: Duration,
    /// Failures anyone may have in a burst before the global pace applies.
    pub global_burst: u32,
    /// The global pace: one more failure allowed per this much time.
    pub global_spacing: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            free_failures: 3,
            free_failures_per_address: 20,
            first_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(5 * 60),
            forget_after: Duration::from_secs(15 * 60),
            global_burst: 30,
            global_spacing: Duration::from_secs(1),
        }
    }
}

/// Who is trying: the email (normalised) and where the request came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttemptKey {
    pub email: String,
    pub address: IpAddr,
}

impl AttemptKey {
    /// The key for `email` from `address`, the address reduced to what one
    /// client controls (see the module's comment).
    pub fn new(email: String, address: IpAddr) -> Self {
        Self {
            email,
            address: client_network(address),
        }
    }
}

/// An IPv6 client holds a whole /64; an IPv4-mapped address is IPv4.
pub fn client_network(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::from(segments)
        }
        v4 => v4,
    }
}

/// How long an address where an admin signed in stays trusted to skip the
/// global bucket.
const KNOWN_GOOD_FOR: Duration = Duration::from_secs(24 * 60 * 60);

/// Why an attempt may not go ahead now, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// This email from this address failed too often.
    EmailAtAddress(Duration),
    /// This address failed too often, across emails.
    Address(Duration),
    /// Too many failures everywhere.
    Global(Duration),
}

impl Refusal {
    pub fn wait(self) -> Duration {
        match self {
            Self::EmailAtAddress(d) | Self::Address(d) | Self::Global(d) => d,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

struct Counts {
    by_email_and_address: HashMap<AttemptKey, Failures>,
    by_address: HashMap<IpAddr, Failures>,
    /// Failures that may still happen at once, refilled over time.
    global_tokens: f64,
    global_checked: Instant,
    /// Addresses where an admin signed in, and when.
    known_good: HashMap<IpAddr, Instant>,
}

/// Most keys remembered per map; beyond this the stalest are forgotten first.
const MAX_TRACKED: usize = 10_000;

pub struct SignInThrottle {
    policy: ThrottlePolicy,
    counts: Mutex<Counts>,
}

/// An attempt that was let through and counted as a failure until it
/// proves otherwise.
#[must_use = "report a success, or the attempt stays counted as a failure"]
pub struct Attempt<'a> {
    throttle: &'a SignInThrottle,
    key: AttemptKey,
    /// Whether it took a token from the global bucket.
    took_global: bool,
}

impl Attempt<'_> {
    /// The password was right: this email at this address starts afresh,
    /// the address is known good, and the attempt is taken off the counts.
    pub fn succeeded(self) {
        let mut counts = self.take_back();
        counts.by_email_and_address.remove(&self.key);
        if counts.known_good.len() >= MAX_TRACKED {
            counts.known_good.clear();
        }
        counts.known_good.insert(self.key.address, Instant::now());
    }

    /// The password was never checked (the server was too busy): the
    /// attempt does not count.
    pub fn abandoned(self) {
        drop(self.take_back());
    }

    fn take_back(&self) -> std::sync::MutexGuard<'_, Counts> {
        let mut counts = self.throttle.lock();
        if let Some(f) = counts.by_email_and_address.get_mut(&self.key) {
            f.count = f.count.saturating_sub(1);
        }
        if let Some(f) = counts.by_address.get_mut(&self.key.address) {
            f.count = f.count.saturating_sub(1);
        }
        if self.took_global {
            counts.global_tokens =
                (counts.global_tokens + 1.0).min(f64::from(self.throttle.policy.global_burst));
        }
        counts
    }
}

impl SignInThrottle {
    pub fn new(policy: ThrottlePolicy) -> Self {
        Self {
            policy,
            counts: Mutex::new(Counts {
                by_email_and_address: HashMap::new(),
                by_address: HashMap::new(),
                global_tokens: f64::from(policy.global_burst),
                global_checked: Instant::now(),
                known_good: HashMap::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn delay_after(&self, count: u32, free: u32) -> Duration {
        if count < free {
            return Duration::ZERO;
        }
        let doublings = (count - free).min(20);
        self.policy
            .first_delay
            .saturating_mul(1 << doublings)
            .min(self.policy.max_delay)
    }

    fn wait(&self, failures: Option<&Failures>, free: u32, now: Instant) -> Duration {
        failures.map_or(Duration::ZERO, |f| {
            let allowed_at = f.last + self.delay_after(f.count, free);
            allowed_at.saturating_duration_since(now)
        })
    }

    /// Lets an attempt go ahead, counting it at once, or says how long to
    /// wait. Checking and counting happen under one lock.
    pub fn begin(&self, key: AttemptKey, now: Instant) -> Result<Attempt<'_>, Refusal> {
        let policy = self.policy;
        let mut guard = self.lock();
        let counts = &mut *guard;
        forget_stale(&mut counts.by_email_and_address, now, policy.forget_after);
        forget_stale(&mut counts.by_address, now, policy.forget_after);

        let refill = now
            .saturating_duration_since(counts.global_checked)
            .as_secs_f64()
            / policy.global_spacing.as_secs_f64().max(f64::EPSILON);
        counts.global_tokens = (counts.global_tokens + refill).min(f64::from(policy.global_burst));
        counts.global_checked = now;

        let pair = self.wait(
            counts.by_email_and_address.get(&key),
            policy.free_failures,
            now,
        );
        if !pair.is_zero() {
            return Err(Refusal::EmailAtAddress(pair));
        }
        let address = self.wait(
            counts.by_address.get(&key.address),
            policy.free_failures_per_address,
            now,
        );
        if !address.is_zero() {
            return Err(Refusal::Address(address));
        }
        counts
            .known_good
            .retain(|_, at| now.saturating_duration_since(*at) < KNOWN_GOOD_FOR);
        let took_global = !counts.known_good.contains_key(&key.address);
        if took_global {
            if counts.global_tokens < 1.0 {
                let missing = 1.0 - counts.global_tokens;
                return Err(Refusal::Global(
                    policy
                        .global_spacing
                        .mul_f64(missing)
                        .max(Duration::from_millis(1)),
                ));
            }
            counts.global_tokens -= 1.0;
        }
        count_failure(&mut counts.by_email_and_address, key.clone(), now);
        count_failure(&mut counts.by_address, key.address, now);
        Ok(Attempt {
            throttle: self,
            key,
            took_global,
        })
    }
}

fn forget_stale<K>(map: &mut HashMap<K, Failures>, now: Instant, forget_after: Duration) {
    map.retain(|_, f| now.saturating_duration_since(f.last) < forget_after);
}

fn count_failure<K: std::hash::Hash + Eq + Clone>(
    map: &mut HashMap<K, Failures>,
    key: K,
    now: Instant,
) {
    if map.len() >= MAX_TRACKED
        && !map.contains_key(&key)
        && let Some(stalest) = map
            .iter()
            .min_by_key(|(_, f)| f.last)
            .map(|(k, _)| k.clone())
    {
        map.remove(&stalest);
    }
    let entry = map.entry(key).or_insert(Failures {
        count: 0,
        last: now,
    });
    entry.count = entry.count.saturating_add(1);
    entry.last = now;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle() -> SignInThrottle {
        SignInThrottle::new(ThrottlePolicy::default())
    }

    fn key(email: &str, last_octet: u8) -> AttemptKey {
        AttemptKey::new(email.to_owned(), IpAddr::from([10, 0, 0, last_octet]))
    }

    /// An attempt that fails (the count it took stays).
    fn fail(t: &SignInThrottle, k: AttemptKey, now: Instant) -> Result<(), Refusal> {
        t.begin(k, now).map(drop)
    }

    #[test]
    fn the_first_failures_are_free_then_waits_double() {
        let t = throttle();
        let start = Instant::now();
        for _ in 0..3 {
            fail(&t, key("ada", 1), start).unwrap();
        }
        assert_eq!(
            fail(&t, key("ada", 1), start),
            Err(Refusal::EmailAtAddress(Duration::from_secs(2)))
        );
        let later = start + Duration::from_secs(2);
        fail(&t, key("ada", 1), later).unwrap(); // fourth failure: 4 s
        assert_eq!(
            fail(&t, key("ada", 1), later),
            Err(Refusal::EmailAtAddress(Duration::from_secs(4)))
        );
        assert!(
            t.begin(key("ada", 2), later).is_ok(),
            "the same email from another address is not affected"
        );
        assert!(
            t.begin(key("grace", 1), later).is_ok(),
            "another email from the same address is not affected"
        );
    }

    #[test]
    fn a_refused_attempt_is_not_counted_and_a_success_is_taken_back() {
        let t = throttle();
        let now = Instant::now();
        for _ in 0..2 {
            fail(&t, key("ada", 1), now).unwrap();
        }
        t.begin(key("ada", 1), now).unwrap().succeeded();
        for _ in 0..3 {
            fail(&t, key("ada", 1), now).unwrap();
        }
        for _ in 0..10 {
            assert!(fail(&t, key("ada", 1), now).is_err());
        }
        assert_eq!(
            fail(&t, key("ada", 1), now + Duration::from_secs(2)),
            Ok(()),
            "refusals did not make the wait longer"
        );
    }

    #[test]
    fn one_address_trying_many_emails_is_slowed() {
        let t = throttle();
        let now = Instant::now();
        for n in 0..20 {
            fail(&t, key(&format!("user{n}"), 9), now).unwrap();
        }
        assert_eq!(
            fail(&t, key("someone-new", 9), now),
            Err(Refusal::Address(Duration::from_secs(2)))
        );
        assert!(fail(&t, key("someone-new", 8), now).is_ok());
    }

    #[test]
    fn a_spray_from_many_addresses_is_paced_not_stopped() {
        let t = throttle();
        let now = Instant::now();
        for n in 0..30 {
            fail(&t, key("admin", n), now).unwrap();
        }
        let refused = fail(&t, key("admin", 200), now).unwrap_err();
        assert_eq!(refused, Refusal::Global(Duration::from_secs(1)));
        let a_second_later = now + Duration::from_secs(1);
        assert!(
            t.begin(key("admin", 201), a_second_later).is_ok(),
            "the bucket refills: nobody is locked out"
        );
    }

    #[test]
    fn where_the_admin_signed_in_the_spray_does_not_reach() {
        let t = throttle();
        let now = Instant::now();
        t.begin(key("admin", 77), now).unwrap().succeeded();
        for n in 0..30 {
            fail(&t, key("admin", n), now).unwrap();
        }
        assert!(
            fail(&t, key("admin", 200), now).is_err(),
            "the bucket is empty"
        );
        assert!(
            t.begin(key("admin", 77), now).is_ok(),
            "the admin's usual address skips the global bucket"
        );
    }

    #[test]
    fn an_ipv6_client_is_its_64_and_an_abandoned_attempt_does_not_count() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(client_network(a), client_network(b));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(client_network(mapped), IpAddr::from([10, 0, 0, 1]));

        let t = throttle();
        let now = Instant::now();
        for n in 0..3 {
            let host = if n % 2 == 0 { a } else { b };
            fail(&t, AttemptKey::new("ada".into(), host), now).unwrap();
        }
        assert!(
            t.begin(AttemptKey::new("ada".into(), b), now).is_err(),
            "one /64, one count"
        );
        let t = throttle();
        for _ in 0..10 {
            t.begin(key("ada", 1), now).unwrap().abandoned();
        }
        assert!(t.begin(key("ada", 1), now).is_ok());
    }

    #[test]
    fn waits_are_capped_and_time_forgets() {
        let t = throttle();
        let mut now = Instant::now();
        // Each attempt as soon as it is allowed: the waits double to the cap.
        for _ in 0..30 {
            match fail(&t, key("ada", 1), now) {
                Ok(()) => {}
                Err(refusal) => {
                    now += refusal.wait();
                    fail(&t, key("ada", 1), now).unwrap();
                }
            }
        }
        let wait = fail(&t, key("ada", 1), now).unwrap_err().wait();
        assert_eq!(wait, Duration::from_secs(300));
        let later = now + Duration::from_secs(16 * 60);
        assert!(
            fail(&t, key("ada", 1), later).is_ok(),
            "old failures are forgotten"
        );
    }
}
