//! Configuration from the environment (names fixed by the product; see the
//! README's configuration table).

use crate::graph::Credentials;
use secrecy::SecretString;

/// Where the SQLite database lives when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/dirsync.db";

pub struct Config {
    pub database_url: String,
    /// `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`, when all set.
    pub azure_credentials: Option<Credentials>,
    /// `AZURE_AUTHORITY_HOST`: overrides the cloud's sign-in host.
    pub authority_host: Option<String>,
    /// `GRAPH_BASE_URL`: overrides the cloud's Graph root.
    pub graph_base_url: Option<String>,
    /// The first admin, created at start when there is none.
    pub admin_email: Option<String>,
    pub admin_password: Option<SecretString>,
    /// Serve a simulated tenant and connect to it (`DIRSYNC_DEMO`; on by
    /// default when no Azure credentials are configured).
    pub demo: bool,
}

impl Config {
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let azure_credentials = Credentials::from_env();
        let demo = demo_mode(var("DIRSYNC_DEMO").as_deref(), azure_credentials.is_some());
        Self {
            database_url: var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            azure_credentials,
            authority_host: var("AZURE_AUTHORITY_HOST"),
            graph_base_url: var("GRAPH_BASE_URL"),
            admin_email: var("ADMIN_EMAIL"),
            admin_password: var("ADMIN_PASSWORD").map(SecretString::from),
            demo,
        }
    }
}

/// `DIRSYNC_DEMO=1` forces the demo, `0` forbids it; unset, the demo runs
/// when there are no Azure credentials to use instead.
pub fn demo_mode(setting: Option<&str>, has_credentials: bool) -> bool {
    match setting.map(|s| s.trim().to_ascii_lowercase()) {
        Some(s) if matches!(s.as_str(), "1" | "true" | "yes" | "on") => true,
        Some(s) if matches!(s.as_str(), "0" | "false" | "no" | "off") => false,
        _ => !has_credentials,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_runs_when_nothing_real_is_configured() {
        assert!(demo_mode(None, false));
        assert!(!demo_mode(None, true));
        assert!(
            demo_mode(Some("1"), true),
            "forced on, even with credentials"
        );
        assert!(!demo_mode(Some("0"), false), "forced off");
        assert!(demo_mode(Some("maybe"), false));
    }
}
