//! The Settings page's server functions: the sync options, the directory's
//! groups to limit them to, and their record.

use super::AppError;
use crate::domain::settings::{GroupSearch, SyncSettings};
use crate::domain::sync::SyncOptions;
use crate::domain::sync::schedule::{Schedule, ScheduleState};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(prefix = "/api", endpoint = "load_sync_settings")]
pub async fn load_sync_settings() -> Result<SyncSettings, AppError> {
    use super::guard::{fail, require_admin, services};
    require_admin()?;
    let services = services()?;
    let mut settings = services.settings.sync_settings().await.map_err(fail)?;
    // Groups chosen before the first import have no imported name yet.
    if settings.chosen_groups.iter().any(|g| g.name.is_empty()) {
        services
            .connection
            .name_groups(&mut settings.chosen_groups)
            .await;
    }
    Ok(settings)
}

/// The directory's groups matching `query`, for the group scope picker:
/// read afresh with `refresh` (when the page opens), then filtered as the
/// admin types.
#[server(prefix = "/api", endpoint = "search_directory_groups")]
pub async fn search_directory_groups(
    query: String,
    refresh: bool,
) -> Result<GroupSearch, AppError> {
    use super::guard::{fail, require_admin, services};
    /// A group name is at most 256 characters in Azure AD.
    const MAX_GROUP_QUERY: usize = 256;
    require_admin()?;
    if query.chars().count() > MAX_GROUP_QUERY {
        return Err(fail(AppError::InvalidSetting(format!(
            "Search with at most {MAX_GROUP_QUERY} characters."
        ))));
    }
    services()?
        .connection
        .search_groups(&query, refresh)
        .await
        .map_err(fail)
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

/// The sync schedule, and when it runs next.
#[server(prefix = "/api", endpoint = "load_schedule")]
pub async fn load_schedule() -> Result<ScheduleState, AppError> {
    use super::guard::{fail, require_admin, services};
    require_admin()?;
    services()?.schedule.schedule().await.map_err(fail)
}

/// Saves the schedule (off, or every 1 to 168 hours, and what a scheduled
/// preview may do); returns what changed.
#[server(prefix = "/api", endpoint = "save_schedule", input = Json)]
pub async fn save_schedule(schedule: Schedule) -> Result<Vec<String>, AppError> {
    use super::guard::{fail, require_admin, services};
    let admin = require_admin()?;
    let schedule = schedule
        .validate()
        .map_err(|message| fail(AppError::InvalidSetting(message)))?;
    let changes = services()?
        .schedule
        .save_schedule(&admin.email, &schedule)
        .await
        .map_err(fail)?;
    for change in &changes {
        tracing::info!(admin = %admin.email, %change, "sync schedule changed");
    }
    Ok(changes)
}
