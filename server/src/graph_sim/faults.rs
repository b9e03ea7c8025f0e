//! Faults the control API can switch on, so that tests and demos can see
//! how the client copes: throttling, outages, latency, dropped connections,
//! an expired secret, and an app without admin consent.

use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Faults {
    /// Every n-th Graph request answers 429.
    pub throttle_every: Option<u64>,
    /// The `Retry-After` seconds sent with those 429s (none: no header).
    pub retry_after_secs: Option<u64>,
    /// The next n Graph requests answer `unavailable_status`.
    pub unavailable_next: u64,
    /// 503 or 504.
    pub unavailable_status: u16,
    /// The `Retry-After` seconds sent with those (none: no header).
    pub unavailable_retry_after_secs: Option<u64>,
    /// The next n Graph requests drop the connection mid-answer.
    pub drop_next: u64,
    /// The next n Graph requests answer 200 with a body that is not JSON.
    pub malformed_next: u64,
    /// Pages never hold more than this many items, whatever `$top` says
    /// (Graph once cut its maximum to 120 for months).
    pub max_page_size: Option<usize>,
    /// The next n collection requests answer an empty page whose nextLink
    /// repeats the same position ("a page may contain zero results").
    pub empty_pages: u64,
    /// Added to every answer, in milliseconds.
    pub latency_ms: u64,
    /// The secret is right but has expired (AADSTS7000222).
    pub expired_secret: bool,
    /// Tokens carry no `roles` claim: admin consent was never granted.
    pub no_roles: bool,
    /// Tokens carry exactly these roles (default: all three dirsync needs).
    pub roles: Option<Vec<String>>,
    /// `expires_in` of new tokens.
    pub token_lifetime_secs: u64,
    /// The one-shot faults above (drops, malformed bodies, 503/504s) wait
    /// for this many Graph requests first: a fault in the middle of the pages.
    pub faults_after: u64,
    /// `@odata.count` says this many more than the collection returns, as
    /// when Graph's paging silently loses items.
    pub count_surplus: u64,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            throttle_every: None,
            retry_after_secs: Some(1),
            unavailable_next: 0,
            unavailable_status: 503,
            unavailable_retry_after_secs: None,
            drop_next: 0,
            malformed_next: 0,
            max_page_size: None,
            empty_pages: 0,
            latency_ms: 0,
            expired_secret: false,
            no_roles: false,
            roles: None,
            token_lifetime_secs: 3599,
            faults_after: 0,
            count_surplus: 0,
        }
    }
}

/// The largest value each count or time may take: enough for any test or
/// demo, small enough that no setting can hang or crash the server.
const MAX_COUNT: u64 = 1_000_000;
const MAX_LATENCY_MS: u64 = 60_000;
const MAX_RETRY_AFTER_SECS: u64 = 3_600;
/// A token lives at least a second and at most a day (Azure AD issues
/// 60-90 minutes).
const TOKEN_LIFETIME_SECS: std::ops::RangeInclusive<u64> = 1..=86_400;
const MAX_ROLES: usize = 50;
const MAX_ROLE_LEN: usize = 200;

impl Faults {
    /// Whether every value is one the emulator can act on; the message
    /// names the first that is not.
    pub fn validate(&self) -> Result<(), String> {
        let counts = [
            ("throttleEvery", self.throttle_every.unwrap_or(1)),
            ("unavailableNext", self.unavailable_next),
            ("dropNext", self.drop_next),
            ("malformedNext", self.malformed_next),
            ("emptyPages", self.empty_pages),
            ("faultsAfter", self.faults_after),
            ("countSurplus", self.count_surplus),
        ];
        for (name, value) in counts {
            if value > MAX_COUNT {
                return Err(format!("{name} is at most {MAX_COUNT}"));
            }
        }
        if self.throttle_every == Some(0) {
            return Err("throttleEvery is at least 1 (leave it out for no throttling)".into());
        }
        for (name, value) in [
            ("retryAfterSecs", self.retry_after_secs),
            (
                "unavailableRetryAfterSecs",
                self.unavailable_retry_after_secs,
            ),
        ] {
            if value.is_some_and(|v| v > MAX_RETRY_AFTER_SECS) {
                return Err(format!("{name} is at most {MAX_RETRY_AFTER_SECS}"));
            }
        }
        if !matches!(self.unavailable_status, 503 | 504) {
            return Err("unavailableStatus is 503 or 504".into());
        }
        if self.latency_ms > MAX_LATENCY_MS {
            return Err(format!("latencyMs is at most {MAX_LATENCY_MS}"));
        }
        if self.max_page_size.is_some_and(|n| n == 0 || n > 999) {
            return Err("maxPageSize is between 1 and 999".into());
        }
        if !TOKEN_LIFETIME_SECS.contains(&self.token_lifetime_secs) {
            return Err(format!(
                "tokenLifetimeSecs is between {} and {}",
                TOKEN_LIFETIME_SECS.start(),
                TOKEN_LIFETIME_SECS.end()
            ));
        }
        if let Some(roles) = &self.roles
            && (roles.len() > MAX_ROLES || roles.iter().any(|r| r.len() > MAX_ROLE_LEN))
        {
            return Err(format!(
                "roles holds at most {MAX_ROLES} names of at most {MAX_ROLE_LEN} characters"
            ));
        }
        Ok(())
    }

    pub async fn delay(&self) {
        if self.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(self.latency_ms)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_and_extremes_are_refused() {
        assert_eq!(Faults::default().validate(), Ok(()));
        let bad = [
            Faults {
                token_lifetime_secs: u64::MAX,
                ..Faults::default()
            },
            Faults {
                token_lifetime_secs: 0,
                ..Faults::default()
            },
            Faults {
                latency_ms: u64::MAX,
                ..Faults::default()
            },
            Faults {
                throttle_every: Some(0),
                ..Faults::default()
            },
            Faults {
                unavailable_status: 200,
                ..Faults::default()
            },
            Faults {
                retry_after_secs: Some(u64::MAX),
                ..Faults::default()
            },
            Faults {
                max_page_size: Some(0),
                ..Faults::default()
            },
            Faults {
                empty_pages: u64::MAX,
                ..Faults::default()
            },
            Faults {
                roles: Some(vec!["x".repeat(1000)]),
                ..Faults::default()
            },
        ];
        for faults in bad {
            assert!(faults.validate().is_err(), "{faults:?}");
        }
    }
}
