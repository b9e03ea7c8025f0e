//! Sign-in, sign-out and "who am I". `sign_in` is the only server function
//! reachable without a session.

use super::AppError;
use crate::domain::admin::Admin;
use leptos::prelude::*;

#[server(prefix = "/api", endpoint = "sign_in")]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    use super::guard::{client_address, fail, refuse, services};
    use crate::services::{SignInError, session_cookie};
    use http::{HeaderValue, StatusCode, header::SET_COOKIE};

    let services = services()?;
    let client = client_address();
    match services.auth.sign_in(&email, &password, client).await {
        Ok(session) => {
            let cookie = session_cookie(&session.token, session.max_age, services.secure_cookies);
            let response = expect_context::<leptos_axum::ResponseOptions>();
            response.append_header(
                SET_COOKIE,
                HeaderValue::from_str(&cookie).map_err(|_| AppError::Internal)?,
            );
            tracing::info!(admin = %session.admin.email, %client, "admin signed in");
            leptos_axum::redirect("/users");
            Ok(())
        }
        Err(SignInError::WrongCredentials) => {
            Err(refuse(StatusCode::UNAUTHORIZED, AppError::WrongCredentials))
        }
        Err(SignInError::Throttled(wait)) => Err(refuse(
            StatusCode::TOO_MANY_REQUESTS,
            AppError::TooManyAttempts {
                // Rounded up: retrying after the time shown must work.
                retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            },
        )),
        Err(SignInError::EmailTooLong) => Err(refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            AppError::InvalidInput(
                "That email is longer than any email address can be (254 characters).".into(),
            ),
        )),
        Err(SignInError::Store(e)) => Err(fail(e)),
    }
}

#[server(prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use super::guard::{fail, require_admin, services};
    use crate::services::{expired_session_cookie, session_token};
    use http::{HeaderValue, header::SET_COOKIE};

    let admin = require_admin()?;
    let services = services()?;
    let parts = expect_context::<http::request::Parts>();
    if let Some(token) = session_token(&parts.headers) {
        services.auth.sign_out(&token).await.map_err(fail)?;
    }
    let expired = expired_session_cookie(services.secure_cookies);
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
