//! The gate in front of everything: without a valid admin session, pages
//! redirect to the sign-in page and server functions answer 401. The few
//! public paths are listed here, in one place.

use super::AppState;
use app::api::AppError;
use app::services::session_token;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use http::{StatusCode, header};

/// The only server functions callable without a session.
pub const PUBLIC_SERVER_FNS: &[&str] = &["/api/sign_in"];

/// Paths served without a session: the sign-in page and function, the
/// health probe and static assets.
pub fn is_public_path(path: &str) -> bool {
    PUBLIC_SERVER_FNS.contains(&path)
        || matches!(
            path,
            "/login" | "/api/health" | "/favicon.svg" | "/favicon.ico"
        )
        || path.starts_with("/pkg/")
}

pub async fn require_admin_session(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let admin = match session_token(request.headers()) {
        Some(token) => match state.services.auth.admin_for_session(&token).await {
            Ok(admin) => admin,
            Err(e) => {
                tracing::error!(error = %e, "could not check a session");
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The database is unavailable; try again shortly.",
                )
                    .into_response();
            }
        },
        None => None,
    };
    match admin {
        // Signed in already: the sign-in page has nothing to offer.
        Some(_) if path == "/login" => Redirect::to("/users").into_response(),
        Some(admin) => {
            request.extensions_mut().insert(admin);
            next.run(request).await
        }
        None if is_public_path(&path) => next.run(request).await,
        // The demo's simulated Graph: called by the app's own Graph client,
        // which has no session, and guarded by the emulator's bearer tokens.
        None if state.demo.is_some()
            && path.starts_with(&format!("{}/", crate::DEMO_GRAPH_PREFIX)) =>
        {
            next.run(request).await
        }
        None if path.starts_with("/api/") => not_signed_in(),
        None => Redirect::to("/login").into_response(),
    }
}

/// A 401 whose body the browser's server-function client decodes as
/// `AppError::NotSignedIn`.
fn not_signed_in() -> Response {
    let body = serde_json::to_vec(&AppError::NotSignedIn).unwrap_or_default();
    Response::builder()
        .status(StatusCode::UNAUTHORIZED)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap_or_else(|_| StatusCode::UNAUTHORIZED.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sign_in_health_and_assets_are_public() {
        for public in [
            "/login",
            "/api/sign_in",
            "/api/health",
            "/pkg/dirsync.wasm",
            "/favicon.svg",
        ] {
            assert!(is_public_path(public), "{public}");
        }
        for private in [
            "/",
            "/users",
            "/users/1",
            "/api/list_users",
            "/api/sign_in2",
            "/settings",
            "/login/x",
        ] {
            assert!(!is_public_path(private), "{private}");
        }
    }
}
