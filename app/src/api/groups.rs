//! The Groups page's server functions: one page at a time.

use super::AppError;
use crate::domain::group::GroupSummary;
use crate::domain::paging::Page;
use crate::domain::user::LocalUser;
use leptos::prelude::*;

#[server(prefix = "/api", endpoint = "list_groups")]
pub async fn list_groups(search: String, page: u32) -> Result<Page<GroupSummary>, AppError> {
    use super::guard::{fail, require_admin, services};
    use crate::domain::paging::UserQuery;
    require_admin()?;
    services()?
        .groups
        .list_groups(&UserQuery::new(&search, page))
        .await
        .map_err(fail)
}

#[server(prefix = "/api", endpoint = "get_group")]
pub async fn get_group(id: i64) -> Result<GroupSummary, AppError> {
    use super::guard::{fail, require_admin, services};
    require_admin()?;
    services()?.groups.get_group(id).await.map_err(fail)
}

#[server(prefix = "/api", endpoint = "list_group_members")]
pub async fn list_group_members(
    id: i64,
    search: String,
    page: u32,
) -> Result<Page<LocalUser>, AppError> {
    use super::guard::{fail, require_admin, services};
    use crate::domain::paging::UserQuery;
    require_admin()?;
    services()?
        .groups
        .group_members(id, &UserQuery::new(&search, page))
        .await
        .map_err(fail)
}

#[server(prefix = "/api", endpoint = "user_groups")]
pub async fn user_groups(user_id: i64) -> Result<Vec<GroupSummary>, AppError> {
    use super::guard::{fail, require_admin, services};
    require_admin()?;
    services()?.groups.user_groups(user_id).await.map_err(fail)
}
