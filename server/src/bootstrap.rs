//! The first admin: on a database without any, create one from
//! `ADMIN_EMAIL`/`ADMIN_PASSWORD`, or generate a password and print it once.

use crate::auth::hash_password;
use crate::store::Store;
use app::domain::email::Email;
use secrecy::{ExposeSecret, SecretString};

/// The email used when `ADMIN_EMAIL` is not set.
pub const DEFAULT_ADMIN_EMAIL: &str = "admin@dirsync.local";
/// Shortest password accepted from `ADMIN_PASSWORD`.
pub const MIN_PASSWORD_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("ADMIN_EMAIL is not a valid email address: {0}")]
    BadEmail(app::domain::email::EmailError),
    #[error("ADMIN_PASSWORD must be at least {MIN_PASSWORD_LEN} characters long")]
    ShortPassword,
    #[error("could not create the first admin: {0}")]
    Store(#[from] app::services::StoreError),
    #[error("could not hash the password: {0}")]
    Hash(String),
}

/// What happened at start-up, for the caller to report.
#[derive(Debug, PartialEq, Eq)]
pub enum FirstAdmin {
    /// Admins already exist; nothing was done.
    Existing,
    /// Created with the password from the environment.
    FromEnvironment { email: String },
    /// Created with a generated password, to be shown once.
    Generated { email: String, password: String },
}

pub async fn ensure_first_admin(
    store: &Store,
    email: Option<&str>,
    password: Option<&SecretString>,
) -> Result<FirstAdmin, BootstrapError> {
    if store.count_admins().await? > 0 {
        return Ok(FirstAdmin::Existing);
    }
    let email =
        Email::parse(email.unwrap_or(DEFAULT_ADMIN_EMAIL)).map_err(BootstrapError::BadEmail)?;
    let (password, generated) = match password {
        Some(p) if p.expose_secret().chars().count() < MIN_PASSWORD_LEN => {
            return Err(BootstrapError::ShortPassword);
        }
        Some(p) => (p.expose_secret().to_owned(), false),
        None => (generate_password(), true),
    };
    let hash = hash_password(&password).map_err(|e| BootstrapError::Hash(e.to_string()))?;
    store.create_admin(email.as_str(), &hash).await?;
    let email = email.as_str().to_owned();
    Ok(if generated {
        FirstAdmin::Generated { email, password }
    } else {
        FirstAdmin::FromEnvironment { email }
    })
}

/// 20 characters from an alphabet without look-alikes (no 0/O, 1/l/I).
fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    // 256 % 57 leaves a bias of under 1%; harmless for a one-time password.
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_long_and_unambiguous() {
        let p = generate_password();
        assert_eq!(p.len(), 20);
        assert!(!p.contains(['0', 'O', '1', 'l', 'I']));
        assert_ne!(p, generate_password());
    }
}
