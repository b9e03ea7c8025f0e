//! The Settings page's Azure AD connection: what it shows, saving and
//! removing it, and Test connection. The client secret only ever travels
//! from the browser to the server, never back.

use super::AppError;
use crate::domain::connection::{
    ConnectionInput, ConnectionSettings, ConnectionTest, SecretExpiryView,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(prefix = "/api", endpoint = "load_connection_settings")]
pub async fn load_connection_settings() -> Result<ConnectionSettings, AppError> {
    use super::guard::{fail, require_admin, services};
    require_admin()?;
    services()?
        .connection
        .connection_settings()
        .await
        .map_err(fail)
}

/// Saves the connection the next preview uses; returns what changed.
#[server(prefix = "/api", endpoint = "save_connection", input = Json)]
pub async fn save_connection(input: ConnectionInput) -> Result<Vec<String>, AppError> {
    use super::guard::{fail, require_admin, services};
    let admin = require_admin()?;
    let changes = services()?
        .connection
        .save_connection(&admin.email, &input)
        .await
        .map_err(fail)?;
    for change in &changes {
        tracing::info!(admin = %admin.email, %change, "Azure AD connection changed");
    }
    Ok(changes)
}

#[server(prefix = "/api", endpoint = "remove_connection")]
pub async fn remove_connection() -> Result<Vec<String>, AppError> {
    use super::guard::{fail, require_admin, services};
    let admin = require_admin()?;
    let changes = services()?
        .connection
        .remove_connection(&admin.email)
        .await
        .map_err(fail)?;
    for change in &changes {
        tracing::info!(admin = %admin.email, %change, "Azure AD connection changed");
    }
    Ok(changes)
}

#[server(prefix = "/api", endpoint = "test_connection")]
pub async fn test_connection() -> Result<ConnectionTest, AppError> {
    use super::guard::{fail, require_admin, services};
    let admin = require_admin()?;
    let test = services()?
        .connection
        .test_connection()
        .await
        .map_err(fail)?;
    tracing::info!(admin = %admin.email, result = %test.headline(), "Test connection");
    Ok(test)
}

/// When the client secret in use expires, as read at the last Test
/// connection or sync, or as entered by hand.
#[server(prefix = "/api", endpoint = "load_secret_expiry")]
pub async fn load_secret_expiry() -> Result<SecretExpiryView, AppError> {
    use super::guard::{fail, require_admin, services};
    require_admin()?;
    services()?
        .connection
        .secret_expiry_view()
        .await
        .map_err(fail)
}

/// The day the client secret expires, entered by hand where Azure AD does
/// not say ("YYYY-MM-DD"; empty clears it); returns what changed.
#[server(prefix = "/api", endpoint = "set_secret_expiry")]
pub async fn set_secret_expiry(date: String) -> Result<Vec<String>, AppError> {
    use super::guard::{fail, require_admin, services};
    use crate::domain::connection::secret_expiry::parse_entered_date;
    let admin = require_admin()?;
    let expires_at = parse_entered_date(&date).map_err(|why| fail(AppError::InvalidInput(why)))?;
    let changes = services()?
        .connection
        .set_secret_expiry(&admin.email, expires_at)
        .await
        .map_err(fail)?;
    for change in &changes {
        tracing::info!(admin = %admin.email, %change, "Azure AD connection changed");
    }
    Ok(changes)
}
