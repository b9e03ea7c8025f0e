//! Configuration from the environment (names fixed by the product; see the
//! README's configuration table).

use secrecy::SecretString;

/// Where the SQLite database lives when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/dirsync.db";

pub struct Config {
    pub database_url: String,
    /// The first admin, created at start when there is none.
    pub admin_email: Option<String>,
    pub admin_password: Option<SecretString>,
}

impl Config {
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Self {
            database_url: var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            admin_email: var("ADMIN_EMAIL"),
            admin_password: var("ADMIN_PASSWORD").map(SecretString::from),
        }
    }
}
