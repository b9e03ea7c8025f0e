//! The gate in front of everything: without a valid admin session, pages
//! redirect to the sign-in page and server functions answer 401. The few
//! public paths are listed here, in one place.

use super::AppState;
use app::api::AppError;
use app::services::{ClientAddress, session_token};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use http::{StatusCode, header};
use std::net::SocketAddr;

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
    // Where the request came from, for the sign-in throttle.
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>() {
        let address = ClientAddress(peer.ip());
        request.extensions_mut().insert(address);
    }
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
        // The demo's simulated sign-in endpoint and Graph: called by the
        // app's own Graph client, which has no session, and guarded by the
        // emulator's secret and tokens. Its control API is not.
        None if state.demo.is_some() && is_demo_graph_path(&path) => next.run(request).await,
        None if path.starts_with("/api/") || path.starts_with(crate::DEMO_GRAPH_PREFIX) => {
            not_signed_in()
        }
        None => Redirect::to("/login").into_response(),
    }
}

/// A path of the demo's sign-in endpoint or Graph, not of its control API.
fn is_demo_graph_path(path: &str) -> bool {
    path.strip_prefix(crate::DEMO_GRAPH_PREFIX)
        .is_some_and(|rest| rest.starts_with('/') && !rest.starts_with(super::demo::CONTROL_PREFIX))
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

    #[test]
    fn the_demo_control_api_is_not_part_of_its_graph() {
        assert!(is_demo_graph_path("/graph-sim/v1.0/users"));
        assert!(is_demo_graph_path("/graph-sim/t/oauth2/v2.0/token"));
        for control in [
            "/graph-sim/_sim/tenant",
            "/graph-sim/_sim/",
            "/graph-simx/v1.0/users",
            "/graph-sim",
        ] {
            assert!(!is_demo_graph_path(control), "{control}");
        }
    }
}
