//! The Users page's server functions: one page at a time, never the table.

use super::AppError;
use crate::domain::paging::Page;
use crate::domain::user::{LocalUser, UserStatus};
use crate::domain::user_input::UserInput;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(prefix = "/api", endpoint = "list_users")]
pub async fn list_users(search: String, page: u32) -> Result<Page<LocalUser>, AppError> {
    use super::guard::{fail, require_admin, services};
    use crate::domain::paging::UserQuery;
    require_admin()?;
    let query = UserQuery::new(&search, page);
    services()?.users.list_users(&query).await.map_err(fail)
}

#[server(prefix = "/api", endpoint = "get_user")]
pub async fn get_user(id: i64) -> Result<LocalUser, AppError> {
    use super::guard::{fail, require_admin, services};
    require_admin()?;
    services()?.users.get_user(id).await.map_err(fail)
}

#[server(prefix = "/api", endpoint = "create_user", input = Json)]
pub async fn create_user(input: UserInput) -> Result<LocalUser, AppError> {
    use super::guard::{fail, require_admin, services};
    let admin = require_admin()?;
    let valid = input
        .validate()
        .map_err(|errors| fail(AppError::Invalid(errors)))?;
    let user = services()?
        .users
        .create_local_user(&valid)
        .await
        .map_err(fail)?;
    tracing::info!(admin = %admin.email, user_id = user.id, "local user created");
    Ok(user)
}

#[server(prefix = "/api", endpoint = "update_user", input = Json)]
pub async fn update_user(id: i64, input: UserInput) -> Result<LocalUser, AppError> {
    use super::guard::{fail, require_admin, services};
    let admin = require_admin()?;
    let valid = input
        .validate()
        .map_err(|errors| fail(AppError::Invalid(errors)))?;
    let user = services()?
        .users
        .update_user(id, &valid)
        .await
        .map_err(fail)?;
    tracing::info!(admin = %admin.email, user_id = user.id, "user edited");
    Ok(user)
}

#[server(prefix = "/api", endpoint = "set_user_status", input = Json)]
pub async fn set_user_status(id: i64, status: UserStatus) -> Result<LocalUser, AppError> {
    use super::guard::{fail, require_admin, services};
    let admin = require_admin()?;
    let user = services()?
        .users
        .set_user_status(id, status)
        .await
        .map_err(fail)?;
    tracing::info!(admin = %admin.email, user_id = user.id, status = status.as_str(), "user status changed");
    Ok(user)
}
