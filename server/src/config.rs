//! Configuration from the environment (names fixed by the product; see the
//! README's configuration table).

use crate::web::PublicUrl;
use app::domain::connection::DemoMode;
use secrecy::SecretString;
use std::path::PathBuf;

/// Where the SQLite database lives when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/dirsync.db";
/// The data folder when the database is not a SQLite file.
const DEFAULT_DATA_DIR: &str = "data";

/// The `AZURE_*` variables: each one set wins over the value saved on the
/// Settings page.
#[derive(Debug, Clone, Default)]
pub struct AzureEnv {
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    /// `AZURE_AUTHORITY_HOST`: overrides the cloud's sign-in host.
    pub authority_host: Option<String>,
    /// `GRAPH_BASE_URL`: overrides the cloud's Graph root.
    pub graph_base_url: Option<String>,
}

impl AzureEnv {
    /// All three of tenant, client and secret are set.
    pub fn is_complete(&self) -> bool {
        self.tenant_id.is_some() && self.client_id.is_some() && self.client_secret.is_some()
    }
}

pub struct Config {
    pub database_url: String,
    pub azure: AzureEnv,
    /// The first admin, created at start when there is none.
    pub admin_email: Option<String>,
    pub admin_password: Option<SecretString>,
    /// `DIRSYNC_DEMO`: serve a simulated tenant and connect to it.
    pub demo: DemoMode,
    /// `DIRSYNC_SECRET_KEY`: the key that seals secrets at rest.
    pub secret_key: Option<SecretString>,
    /// `DIRSYNC_PUBLIC_URL`: where administrators reach the app.
    pub public_url: Option<PublicUrl>,
    /// `DIRSYNC_SCHEDULE_CHECK_SECS`: how often this process looks whether
    /// a scheduled sync is due (30 s).
    pub schedule_check: std::time::Duration,
}

impl Config {
    /// Reads the environment; a value that cannot be right stops the start
    /// with a message naming it.
    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let public_url = var("DIRSYNC_PUBLIC_URL")
            .map(|v| PublicUrl::parse(&v))
            .transpose()?;
        let schedule_check = match var("DIRSYNC_SCHEDULE_CHECK_SECS") {
            None => 30,
            Some(v) => v.parse::<u64>().ok().filter(|s| (1..=3600).contains(s)).ok_or_else(|| {
                format!("DIRSYNC_SCHEDULE_CHECK_SECS must be a number of seconds from 1 to 3600, not {v:?}")
            })?,
        };
        Ok(Self {
            database_url: var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            azure: AzureEnv {
                tenant_id: var("AZURE_TENANT_ID"),
                client_id: var("AZURE_CLIENT_ID"),
                client_secret: var("AZURE_CLIENT_SECRET").map(SecretString::from),
                authority_host: var("AZURE_AUTHORITY_HOST"),
                graph_base_url: var("GRAPH_BASE_URL"),
            },
            admin_email: var("ADMIN_EMAIL"),
            admin_password: var("ADMIN_PASSWORD").map(SecretString::from),
            demo: demo_mode(var("DIRSYNC_DEMO").as_deref()),
            secret_key: var(crate::secrets::SECRET_KEY_ENV).map(SecretString::from),
            public_url,
            schedule_check: std::time::Duration::from_secs(schedule_check),
        })
    }

    /// The folder of the SQLite database, or `./data` for PostgreSQL: where
    /// the generated secret key file lives.
    pub fn data_dir(&self) -> PathBuf {
        data_dir(&self.database_url)
    }
}

/// `DIRSYNC_DEMO=1` forces the demo, `0` forbids it; unset, the demo runs
/// until a connection is configured (in the environment or on the page).
pub fn demo_mode(setting: Option<&str>) -> DemoMode {
    match setting.map(|s| s.trim().to_ascii_lowercase()) {
        Some(s) if matches!(s.as_str(), "1" | "true" | "yes" | "on") => DemoMode::Forced,
        Some(s) if matches!(s.as_str(), "0" | "false" | "no" | "off") => DemoMode::Off,
        _ => DemoMode::UntilConfigured,
    }
}

fn data_dir(database_url: &str) -> PathBuf {
    let Some(rest) = database_url.strip_prefix("sqlite:") else {
        return PathBuf::from(DEFAULT_DATA_DIR);
    };
    let path = rest.trim_start_matches("//");
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    match std::path::Path::new(path).parent() {
        _ if path.is_empty() || path == ":memory:" => PathBuf::from(DEFAULT_DATA_DIR),
        Some(folder) if !folder.as_os_str().is_empty() => folder.to_owned(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_is_forced_forbidden_or_until_configured() {
        assert_eq!(demo_mode(None), DemoMode::UntilConfigured);
        assert_eq!(demo_mode(Some("1")), DemoMode::Forced);
        assert_eq!(demo_mode(Some("0")), DemoMode::Off);
        assert_eq!(demo_mode(Some("maybe")), DemoMode::UntilConfigured);
    }

    #[test]
    fn the_data_folder_is_the_sqlite_files_folder() {
        assert_eq!(data_dir(DEFAULT_DATABASE_URL), PathBuf::from("data"));
        assert_eq!(
            data_dir("sqlite:///var/lib/dirsync/db.sqlite?mode=rwc"),
            PathBuf::from("/var/lib/dirsync")
        );
        assert_eq!(data_dir("sqlite://dirsync.db"), PathBuf::from("."));
        assert_eq!(data_dir("sqlite::memory:"), PathBuf::from("data"));
        assert_eq!(data_dir("postgres://db/dirsync"), PathBuf::from("data"));
    }
}
