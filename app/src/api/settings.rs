//! The Settings page's server functions: the sync options and their record.

use super::AppError;
use crate::domain::settings::SyncSettings;
use crate::domain::sync::SyncOptions;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(prefix = "/api", endpoint = "load_sync_settings")]
pub async fn load_sync_settings() -> Result<SyncSettings, AppError> {
    use super::guard::{fail, require_admin, services};
    require_admin()?;
    services()?.settings.sync_settings().await.map_err(fail)
}

/// Saves the options the next preview uses; returns what changed.
#[server(prefix = "/api", endpoint = "save_sync_options", input = Json)]
pub async fn save_sync_options(options: SyncOptions) -> Result<Vec<String>, AppError> {
    use super::guard::{fail, require_admin, services};
    let admin = require_admin()?;
    options
        .validate()
        .map_err(|message| fail(AppError::InvalidSetting(message)))?;
    let changes = services()?
        .settings
        .save_sync_options(&admin.email, &options)
        .await
        .map_err(fail)?;
    for change in &changes {
        tracing::info!(admin = %admin.email, %change, "sync option changed");
    }
    Ok(changes)
}
