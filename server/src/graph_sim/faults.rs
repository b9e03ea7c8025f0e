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

impl Faults {
    pub async fn delay(&self) {
        if self.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(self.latency_ms)).await;
        }
    }
}
