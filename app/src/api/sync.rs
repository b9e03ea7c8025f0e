//! The Import Users and Sync history pages' server functions. The plan stays
//! on the server: the browser asks for one page of one bucket at a time.
//! Progress does not come through here but over `/api/sync/events`.

use super::AppError;
use crate::domain::paging::Page;
use crate::domain::sync::view::{
    ExcludedCounts, GroupChange, ImportOverview, PlanBucket, PlanRow, PreviewSummary, RunSummary,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// Most rows one exclusion call may name (a page is 25; "exclude this page").
pub const MAX_EXCLUSIONS_PER_CALL: usize = 500;

#[server(prefix = "/api", endpoint = "sync_overview")]
pub async fn sync_overview() -> Result<ImportOverview, AppError> {
    use super::guard::{fail, require_admin, services};
    require_admin()?;
    services()?.sync.overview().await.map_err(fail)
}

/// `full_read`: the admin's "Full read", everything and not only the
/// changes since the last read.
#[server(prefix = "/api", endpoint = "start_preview")]
pub async fn start_preview(full_read: bool) -> Result<i64, AppError> {
    use super::guard::{fail, require_admin, services};
    let admin = require_admin()?;
    let run_id = services()?
        .sync
        .start_preview(&admin.email, full_read)
        .await
        .map_err(fail)?;
    tracing::info!(admin = %admin.email, run_id, full_read, "import preview started");
    Ok(run_id)
}

#[server(prefix = "/api", endpoint = "cancel_fetch")]
pub async fn cancel_fetch() -> Result<(), AppError> {
    use super::guard::{fail, require_admin, services};
    let admin = require_admin()?;
    services()?
        .sync
        .cancel_fetch(&admin.email)
        .await
        .map_err(fail)
}

#[server(prefix = "/api", endpoint = "load_preview")]
pub async fn load_preview(run_id: i64) -> Result<PreviewSummary, AppError> {
    use super::guard::{fail, require_admin, services};
    require_admin()?;
    services()?.sync.preview_summary(run_id).await.map_err(fail)
}

#[server(prefix = "/api", endpoint = "plan_page", input = Json)]
pub async fn plan_page(
    run_id: i64,
    bucket: PlanBucket,
    search: String,
    page: u32,
) -> Result<Page<PlanRow>, AppError> {
    use super::guard::{fail, require_admin, services};
    use crate::domain::paging::UserQuery;
    require_admin()?;
    let query = UserQuery::new(&search, page);
    services()?
        .sync
        .plan_page(run_id, bucket, &query)
        .await
        .map_err(fail)
}

#[server(prefix = "/api", endpoint = "group_changes", input = Json)]
pub async fn group_changes(
    run_id: i64,
    search: String,
    page: u32,
) -> Result<Page<GroupChange>, AppError> {
    use super::guard::{fail, require_admin, services};
    use crate::domain::paging::UserQuery;
    require_admin()?;
    let query = UserQuery::new(&search, page);
    services()?
        .sync
        .group_changes(run_id, &query)
        .await
        .map_err(fail)
}

#[server(prefix = "/api", endpoint = "set_excluded", input = Json)]
pub async fn set_excluded(
    run_id: i64,
    seqs: Vec<i64>,
    excluded: bool,
) -> Result<ExcludedCounts, AppError> {
    use super::guard::{fail, require_admin, services};
    require_admin()?;
    if seqs.len() > MAX_EXCLUSIONS_PER_CALL {
        return Err(fail(AppError::Refused(format!(
            "Exclude at most {MAX_EXCLUSIONS_PER_CALL} rows at a time."
        ))));
    }
    services()?
        .sync
        .set_excluded(run_id, &seqs, excluded)
        .await
        .map_err(fail)
}

#[server(prefix = "/api", endpoint = "apply_preview", input = Json)]
pub async fn apply_preview(run_id: i64, override_threshold: bool) -> Result<(), AppError> {
    use super::guard::{fail, require_admin, services};
    let admin = require_admin()?;
    services()?
        .sync
        .start_apply(run_id, &admin.email, override_threshold)
        .await
        .map_err(fail)?;
    tracing::info!(admin = %admin.email, run_id, override_threshold, "import apply started");
    Ok(())
}

#[server(prefix = "/api", endpoint = "discard_run")]
pub async fn discard_run(run_id: i64) -> Result<(), AppError> {
    use super::guard::{fail, require_admin, services};
    let admin = require_admin()?;
    services()?
        .sync
        .discard(run_id, &admin.email)
        .await
        .map_err(fail)?;
    tracing::info!(admin = %admin.email, run_id, "sync run discarded");
    Ok(())
}

/// "Reactivate the N users this run deactivated": previewed as a run of its
/// own, which the admin then reviews and applies on Import Users.
#[server(prefix = "/api", endpoint = "preview_reactivation")]
pub async fn preview_reactivation(run_id: i64) -> Result<i64, AppError> {
    use super::guard::{fail, require_admin, services};
    let admin = require_admin()?;
    let new_run = services()?
        .sync
        .preview_reactivation(run_id, &admin.email)
        .await
        .map_err(fail)?;
    tracing::info!(admin = %admin.email, run_id, new_run, "reactivation previewed");
    Ok(new_run)
}

#[server(prefix = "/api", endpoint = "list_runs")]
pub async fn list_runs(page: u32) -> Result<Page<RunSummary>, AppError> {
    use super::guard::{fail, require_admin, services};
    require_admin()?;
    services()?.sync.list_runs(page.max(1)).await.map_err(fail)
}

#[server(prefix = "/api", endpoint = "get_run")]
pub async fn get_run(run_id: i64) -> Result<RunSummary, AppError> {
    use super::guard::{fail, require_admin, services};
    require_admin()?;
    services()?.sync.run(run_id).await.map_err(fail)
}

/// A scheduled preview waiting for an admin, for the navigation's badge.
#[server(prefix = "/api", endpoint = "waiting_preview")]
pub async fn waiting_preview() -> Result<Option<i64>, AppError> {
    use super::guard::{fail, require_admin, services};
    require_admin()?;
    services()?.sync.waiting_preview().await.map_err(fail)
}
