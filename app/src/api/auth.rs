//! Sign-in, sign-out and "who am I". `sign_in` is the only server function
//! reachable without a session.

use super::AppError;
use crate::domain::admin::Admin;
use leptos::prelude::*;

#[server(prefix = "/api", endpoint = "sign_in")]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    use super::guard::{fail, refuse, request_is_https, services};
    use crate::services::{SESSION_COOKIE, SignInError};
    use http::{HeaderValue, StatusCode, header::SET_COOKIE};

    let services = services()?;
    match services.auth.sign_in(&email, &password).await {
        Ok(session) => {
            let secure = if request_is_https() { "; Secure" } else { "" };
            let cookie = format!(
                "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
                session.token,
                session.max_age.as_secs()
            );
            let response = expect_context::<leptos_axum::ResponseOptions>();
            response.append_header(
                SET_COOKIE,
                HeaderValue::from_str(&cookie).map_err(|_| AppError::Internal)?,
            );
            tracing::info!(admin = %session.admin.email, "admin signed in");
            leptos_axum::redirect("/users");
            Ok(())
        }
        Err(SignInError::WrongCredentials) => {
            Err(refuse(StatusCode::UNAUTHORIZED, AppError::WrongCredentials))
        }
        Err(SignInError::Throttled(wait)) => Err(refuse(
            StatusCode::TOO_MANY_REQUESTS,
            AppError::TooManyAttempts {
                retry_after_secs: wait.as_secs().max(1),
            },
        )),
        Err(SignInError::Store(e)) => Err(fail(e)),
    }
}

#[server(prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use super::guard::{fail, require_admin, services};
    use crate::services::{SESSION_COOKIE, session_token};
    use http::{HeaderValue, header::SET_COOKIE};

    let admin = require_admin()?;
    let parts = expect_context::<http::request::Parts>();
    if let Some(token) = session_token(&parts.headers) {
        services()?.auth.sign_out(&token).await.map_err(fail)?;
    }
    let expired = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    expect_context::<leptos_axum::ResponseOptions>().append_header(
        SET_COOKIE,
        HeaderValue::from_str(&expired).map_err(|_| AppError::Internal)?,
    );
    tracing::info!(admin = %admin.email, "admin signed out");
    leptos_axum::redirect("/login");
    Ok(())
}

#[server(prefix = "/api", endpoint = "current_admin")]
pub async fn current_admin() -> Result<Admin, AppError> {
    super::guard::require_admin()
}
