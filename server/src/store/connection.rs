//! The Azure AD connection saved on the Settings page: one setting whose
//! client secret is stored sealed (see `secrets.rs`), never in the clear.

use super::Store;
use app::domain::connection::{Cloud, SecretExpiry};
use app::services::StoreError;
use serde::{Deserialize, Serialize};
use std::fmt;

const AZURE_CONNECTION: &str = "azure_connection";
/// What is known of the client secret's expiry (see `secret_expiry.rs`).
const SECRET_EXPIRY: &str = "azure_connection.secret_expiry";

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedConnection {
    pub tenant_id: String,
    pub client_id: String,
    pub cloud: Cloud,
    /// The client secret, sealed by the server's key.
    pub sealed_secret: Option<String>,
    pub secret_set_at: Option<i64>,
    pub secret_set_by: Option<String>,
}

impl fmt::Debug for SavedConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SavedConnection")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("cloud", &self.cloud)
            .field("secret_set", &self.sealed_secret.is_some())
            .finish()
    }
}

impl Store {
    pub async fn saved_connection(&self) -> Result<Option<SavedConnection>, StoreError> {
        self.setting(AZURE_CONNECTION).await
    }

    /// Saves the connection and the record of what changed.
    pub async fn save_connection(
        &self,
        admin: &str,
        connection: &SavedConnection,
        changes: &[String],
    ) -> Result<(), StoreError> {
        self.save_setting(AZURE_CONNECTION, Some(connection), admin, changes)
            .await
    }

    /// Forgets the connection, and the copy of its directory kept for
    /// reading changes (every Azure AD user, imported or not).
    pub async fn remove_connection(&self, admin: &str, change: &str) -> Result<(), StoreError> {
        self.save_setting::<SavedConnection>(AZURE_CONNECTION, None, admin, &[change.to_owned()])
            .await?;
        self.forget_directory().await
    }

    /// The last word on the client secret's expiry, for whichever secret
    /// it was about.
    pub async fn secret_expiry(&self) -> Result<Option<SecretExpiry>, StoreError> {
        self.setting(SECRET_EXPIRY).await
    }

    /// Saves it; `changes` records what an admin entered (a read from
    /// Azure AD records none).
    pub async fn save_secret_expiry(
        &self,
        by: &str,
        expiry: &SecretExpiry,
        changes: &[String],
    ) -> Result<(), StoreError> {
        self.save_setting(SECRET_EXPIRY, Some(expiry), by, changes)
            .await
    }
}
