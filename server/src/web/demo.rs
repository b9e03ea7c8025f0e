//! The demo's simulated tenant inside the app, under `/graph-sim`. It is
//! served only while the demo is the connection in use: once a real
//! connection is configured (in the environment or on the Settings page),
//! every path under it answers 404, unless `DIRSYNC_DEMO=1` forces the demo.
//! Its sign-in endpoint and Graph are guarded as Microsoft's are, by the
//! registration's secret and the tokens issued for it; its control API,
//! which replaces the tenant and injects faults, only answers a signed-in
//! admin (the session gate checks, and so does this file).

use super::AppState;
use crate::graph_sim::GraphSim;
use crate::sync::Connection;
use app::domain::admin::Admin;
use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use http::StatusCode;

/// The control API takes whole tenants: larger than a server function's
/// arguments, still bounded (the tenant's size is capped in `control.rs`).
pub const MAX_CONTROL_BODY_BYTES: usize = 64 * 1024 * 1024;

/// The path of the control API under the emulator's mount point.
pub const CONTROL_PREFIX: &str = "/_sim/";

pub fn routes(sim: &GraphSim, state: AppState) -> Router {
    sim.graph_router()
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            super::MAX_BODY_BYTES,
        ))
        .merge(control_for_admins(sim))
        .layer(middleware::from_fn_with_state(state, only_while_in_use))
}

/// The control API as the app serves it: admins only, bodies bounded (by
/// tower's limit on the stream and axum's on what the handlers read).
fn control_for_admins(sim: &GraphSim) -> Router {
    sim.control_router()
        .layer(middleware::from_fn(only_admins))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_CONTROL_BODY_BYTES))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            MAX_CONTROL_BODY_BYTES,
        ))
}

/// 404 for everything while a real connection is configured.
async fn only_while_in_use(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    match state.connections.current().await {
        Ok(Connection::Demo(_)) => next.run(request).await,
        Ok(_) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "could not tell whether the demo is in use");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// The control API needs the admin the session gate found.
async fn only_admins(request: Request, next: Next) -> Response {
    if request.extensions().get::<Admin>().is_some() {
        next.run(request).await
    } else {
        StatusCode::UNAUTHORIZED.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph_sim::generate::generate;
    use axum::body::Body;
    use tower::ServiceExt;

    fn request(admin: bool) -> Request {
        let mut request = Request::builder()
            .uri("/_sim/registration")
            .body(Body::empty())
            .unwrap();
        if admin {
            request.extensions_mut().insert(Admin {
                id: 1,
                email: "admin@example.com".into(),
            });
        }
        request
    }

    /// The second guard, on its own: without the admin the session gate
    /// found, the control API answers nothing.
    #[tokio::test]
    async fn the_control_api_needs_the_admin_even_past_the_gate() {
        let sim = GraphSim::new(generate(2, 0, 1), 1, crate::DEMO_GRAPH_PREFIX);
        let anonymous = control_for_admins(&sim)
            .oneshot(request(false))
            .await
            .unwrap();
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
        let admin = control_for_admins(&sim)
            .oneshot(request(true))
            .await
            .unwrap();
        assert_eq!(admin.status(), StatusCode::OK);
    }
}
