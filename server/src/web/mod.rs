//! The axum router: Leptos pages and server functions behind the session
//! check, a health probe, and security headers.

mod events;
mod export;
mod session;

use app::services::Services;
use app::{App, shell};
use axum::extract::FromRef;
use axum::response::Redirect;
use axum::routing::get;
use axum::{Router, middleware};
use http::{HeaderName, HeaderValue};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::set_header::SetResponseHeaderLayer;

pub use session::{PUBLIC_SERVER_FNS, is_public_path};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub services: Services,
    /// The simulated tenant, in demo mode.
    pub demo: Option<crate::graph_sim::GraphSim>,
    /// The running sync's progress, for the event stream.
    pub progress: std::sync::Arc<crate::sync::ProgressHub>,
    /// For the CSV exports, which are plain downloads, not server functions.
    pub store: crate::store::Store,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let services = state.services.clone();
    let options = state.leptos_options.clone();
    let demo = state.demo.as_ref().map(|sim| sim.router());
    let router = match demo {
        // The emulator checks its own bearer tokens; the session gate lets
        // it through (see session.rs).
        Some(sim) => Router::<AppState>::new().nest_service(crate::DEMO_GRAPH_PREFIX, sim),
        None => Router::new(),
    };
    router
        .route("/", get(|| async { Redirect::to("/users") }))
        .route("/api/health", get(|| async { "ok" }))
        .route("/api/sync/events", get(events::sync_events))
        .route("/api/sync/runs/{run_id}/csv", get(export::run_csv))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(services.clone()),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            session::require_admin_session,
        ))
        .layer(header("x-content-type-options", "nosniff"))
        .layer(header("x-frame-options", "DENY"))
        .layer(header("referrer-policy", "same-origin"))
        .with_state(state)
}

fn header(name: &'static str, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
    )
}
