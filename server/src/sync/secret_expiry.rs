//! Reading when the client secret expires: Test connection and every sync
//! ask Azure AD for the app's `passwordCredentials` and keep the answer
//! (or why there was none) per secret; the admin's own date is kept beside
//! it for when Azure AD will not say. The rules (which entry is the
//! secret's, when to warn) are the domain's `secret_expiry`.

use super::connection::{Connection, ConnectionService};
use crate::graph::GraphClient;
use crate::store::now_millis;
use app::domain::connection::SecretExpiry;
use app::domain::connection::secret_expiry::{ExpiryRead, ManualExpiry, find_expiry};
use app::domain::format::format_date;
use app::services::{ConnectionFailure, StoreError};
use secrecy::ExposeSecret;

/// Who the store records for reads nobody asked for by hand.
const READ_BY: &str = "dirsync";

impl ConnectionService {
    /// Which secret a connection signs in with, without its value: the
    /// tenant, the client, and a fingerprint of the secret (a hash that
    /// cannot be turned back into it), so that a replaced secret (saved
    /// here or set in the environment) does not inherit the old one's date.
    pub(super) fn secret_key(&self, connection: &Connection) -> Option<String> {
        let (tenant, client, secret) = match connection {
            Connection::Demo(demo) => {
                let reg = demo.sim.registration();
                (
                    reg.tenant_id.clone(),
                    reg.client_id.clone(),
                    reg.client_secret.clone(),
                )
            }
            Connection::Tenant { credentials, .. } => (
                credentials.tenant_id.clone(),
                credentials.client_id.clone(),
                credentials.client_secret.expose_secret().to_owned(),
            ),
            Connection::Unavailable(_) => return None,
        };
        Some(format!("{tenant} {client} {}", fingerprint(&secret)))
    }

    /// Whether the secret comes from `AZURE_CLIENT_SECRET`.
    pub fn secret_in_environment(&self) -> bool {
        self.env.client_secret.is_some()
    }

    /// What is known of the expiry of the secret `connection` signs in
    /// with: nothing when it has none, or nothing is recorded for it.
    pub async fn secret_expiry(
        &self,
        connection: &Connection,
    ) -> Result<Option<SecretExpiry>, StoreError> {
        match self.secret_key(connection) {
            Some(key) => self.stored_for(&key).await,
            None => Ok(None),
        }
    }

    /// The stored record of the secret `key`: the store keeps one record,
    /// for whichever secret was last in use.
    async fn stored_for(&self, key: &str) -> Result<Option<SecretExpiry>, StoreError> {
        Ok(self
            .store
            .secret_expiry()
            .await?
            .filter(|e| e.secret == key))
    }

    /// As [`Self::stored_for`], or an empty record to fill.
    async fn record_for(&self, key: &str) -> Result<SecretExpiry, StoreError> {
        Ok(self
            .stored_for(key)
            .await?
            .unwrap_or_else(|| SecretExpiry::new(key)))
    }

    /// Reads the secret's expiry through `client` (signed in with
    /// `connection`) and keeps the answer. A failed read is kept with its
    /// reason (unless an earlier read found the date), never raised: the
    /// sync or test goes on without it.
    pub async fn read_secret_expiry(
        &self,
        connection: &Connection,
        client: &GraphClient,
    ) -> Result<SecretExpiry, StoreError> {
        let key = self.secret_key(connection).unwrap_or_default();
        let now = now_millis();
        let read = match client.app_credentials().await {
            Ok(app) => match find_expiry(
                &app.credentials,
                &client.secret_hint(),
                app.app_name.as_deref(),
                now,
            ) {
                Ok(found) => ExpiryRead::Found(found),
                Err(reason) => ExpiryRead::Failed { reason },
            },
            Err(e) => ExpiryRead::Failed {
                reason: format!("Azure AD did not say when the client secret expires. {e}"),
            },
        };
        if let ExpiryRead::Failed { reason } = &read {
            tracing::warn!(%reason, "could not read the client secret's expiry");
        }
        let mut expiry = self.record_for(&key).await?;
        // A secret's end never moves: once Azure AD gave it, a later failed
        // read (the expired secret itself refused at sign-in, a permission
        // withdrawn) does not forget it.
        let known = matches!(expiry.last_read, Some(ExpiryRead::Found(_)));
        if known && matches!(read, ExpiryRead::Failed { .. }) {
            return Ok(expiry);
        }
        expiry.last_read = Some(read);
        expiry.read_at = Some(now);
        self.store.save_secret_expiry(READ_BY, &expiry, &[]).await?;
        Ok(expiry)
    }

    /// The admin's date for the secret in use (`None` clears it), allowed
    /// while Azure AD does not say. Returns what changed.
    pub(super) async fn enter_secret_expiry(
        &self,
        admin: &str,
        expires_at: Option<i64>,
    ) -> Result<Vec<String>, ConnectionFailure> {
        let saved = self.store.saved_connection().await?;
        let connection = self.resolve(saved.as_ref());
        let Some(key) = self.secret_key(&connection) else {
            return Err(ConnectionFailure::Refused(
                "There is no client secret to enter an expiry date for: configure the connection first.".to_owned(),
            ));
        };
        let mut expiry = self.record_for(&key).await?;
        if !expiry.can_enter_by_hand() {
            return Err(ConnectionFailure::Refused(
                "Azure AD says when this secret expires, so there is nothing to enter by hand."
                    .to_owned(),
            ));
        }
        let before = expiry.manual.as_ref().map(|m| m.expires_at);
        if before == expires_at {
            return Ok(vec![]);
        }
        let change = match expires_at {
            Some(at) => format!("Client secret expiry entered by hand: {}", format_date(at)),
            None => "Client secret expiry entered by hand cleared".to_owned(),
        };
        expiry.manual = expires_at.map(|expires_at| ManualExpiry {
            expires_at,
            entered_by: admin.to_owned(),
            entered_at: now_millis(),
        });
        self.store
            .save_secret_expiry(admin, &expiry, std::slice::from_ref(&change))
            .await?;
        Ok(vec![change])
    }
}

/// 64 bits of a SHA-256 of the secret, salted with what it is for: enough
/// to tell two secrets apart, nothing to recover one from (a client
/// secret is 40 random characters).
fn fingerprint(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(b"dirsync client secret expiry\0")
        .chain_update(secret.as_bytes())
        .finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::fingerprint;

    #[test]
    fn a_fingerprint_tells_secrets_apart_without_holding_them() {
        let a = fingerprint("Abc~0123456789abcdefghijklmnopqrstuvwxyz");
        assert_eq!(a.len(), 16);
        assert_eq!(a, fingerprint("Abc~0123456789abcdefghijklmnopqrstuvwxyz"));
        assert_ne!(a, fingerprint("Abc~0123456789abcdefghijklmnopqrstuvwxyZ"));
        assert!(!a.contains("Abc"));
    }
}
