//! Reading when the client secret expires: Test connection and every sync
//! ask Azure AD for the app's `passwordCredentials` and keep the answer
//! (or why there was none) per secret; the admin's own date is kept beside
//! it for when Azure AD will not say. The rules (which entry is the
//! secret's, when to warn) are the domain's `secret_expiry`.

use super::connection::{Connection, ConnectionService};
use crate::graph::GraphClient;
use crate::store::{SavedConnection, now_millis};
use app::domain::connection::SecretExpiry;
use app::domain::connection::secret_expiry::{ExpiryRead, ManualExpiry, find_expiry};
use app::domain::format::format_date;
use app::services::{ConnectionFailure, StoreError};

/// Who the store records for reads nobody asked for by hand.
const READ_BY: &str = "dirsync";

impl ConnectionService {
    /// Which secret a connection signs in with, without its value: the
    /// tenant, the client, and where the secret came from and when it was
    /// saved, so that a replaced secret does not inherit the old one's date.
    pub(super) fn secret_key(
        &self,
        connection: &Connection,
        saved: Option<&SavedConnection>,
    ) -> Option<String> {
        match connection {
            Connection::Demo(demo) => Some(format!("demo {}", demo.sim.registration().client_id)),
            Connection::Tenant { credentials, .. } => {
                let origin = match (&self.env.client_secret, saved) {
                    (Some(_), _) => "environment".to_owned(),
                    (None, saved) => format!(
                        "saved {}",
                        saved.and_then(|s| s.secret_set_at).unwrap_or_default()
                    ),
                };
                Some(format!(
                    "{} {} {origin}",
                    credentials.tenant_id, credentials.client_id
                ))
            }
            Connection::Unavailable(_) => None,
        }
    }

    /// What is known of the expiry of the secret in use now.
    pub async fn secret_expiry(&self) -> Result<Option<SecretExpiry>, StoreError> {
        let saved = self.store.saved_connection().await?;
        let connection = self.resolve(saved.as_ref());
        let Some(key) = self.secret_key(&connection, saved.as_ref()) else {
            return Ok(None);
        };
        Ok(self
            .store
            .secret_expiry()
            .await?
            .filter(|expiry| expiry.secret == key))
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
        let saved = self.store.saved_connection().await?;
        let key = self
            .secret_key(connection, saved.as_ref())
            .unwrap_or_default();
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
        let mut expiry = self
            .store
            .secret_expiry()
            .await?
            .filter(|e| e.secret == key)
            .unwrap_or_else(|| SecretExpiry::new(&key));
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
        let Some(key) = self.secret_key(&connection, saved.as_ref()) else {
            return Err(ConnectionFailure::Refused(
                "There is no client secret to enter an expiry date for: configure the connection first.".to_owned(),
            ));
        };
        let mut expiry = self
            .store
            .secret_expiry()
            .await?
            .filter(|e| e.secret == key)
            .unwrap_or_else(|| SecretExpiry::new(&key));
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
