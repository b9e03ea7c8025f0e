//! The axum router: Leptos pages and server functions behind the session
//! gate, the progress stream and CSV downloads, the demo's simulated Graph
//! (while the demo is in use), a health probe; and around everything the
//! refusal of cross-site requests, a body size limit and security headers.

mod demo;
mod events;
mod export;
mod origin;
mod route_list;
mod session;
mod streams;

use app::services::Services;
use app::{App, shell};
use axum::extract::FromRef;
use axum::response::Redirect;
use axum::routing::get;
use axum::{Router, middleware};
use http::{HeaderName, HeaderValue, header};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;

pub use origin::{CrossSite, PublicUrl};
pub use route_list::Listed;
pub use session::{PUBLIC_SERVER_FNS, is_public_path};
pub use streams::{StreamPolicy, StreamRegistry};

/// The largest request body the app reads: a server function's arguments
/// are small (a page of ids at most). The emulator's control API, which
/// takes whole tenants, has its own larger limit (`demo.rs`).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub services: Services,
    /// The simulated tenant, served while the demo is in use.
    pub demo: Option<crate::graph_sim::GraphSim>,
    /// Decides whether the demo is in use (no connection configured).
    pub connections: Arc<crate::sync::ConnectionService>,
    /// The running sync's progress, for the event stream.
    pub progress: Arc<crate::sync::ProgressHub>,
    /// For the CSV exports, which are plain downloads, not server functions.
    pub store: crate::store::Store,
    /// `DIRSYNC_PUBLIC_URL`: the allowed origin.
    pub public_url: Option<PublicUrl>,
    /// The open progress streams, per session.
    pub streams: StreamRegistry,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The router, and every path it serves (with `{param}` placeholders): the
/// explicit routes, the pages, and the demo's control API when it is
/// mounted. Server functions are listed by their own registry.
pub struct Served {
    pub router: Router,
    pub paths: Vec<String>,
}

pub fn router(state: AppState) -> Served {
    let routes = generate_route_list(App);
    let page_paths: Vec<String> = routes.iter().map(|r| r.path().to_owned()).collect();
    let services = state.services.clone();
    let options = state.leptos_options.clone();
    let explicit = Listed::<AppState>::new()
        .route("/", get(|| async { Redirect::to("/users") }))
        .route("/api/health", get(|| async { "ok" }))
        .route("/api/sync/events", get(events::sync_events))
        .route("/api/sync/runs/{run_id}/csv", get(export::run_csv));
    let mut paths = explicit.paths;
    paths.extend(page_paths);
    let app_routes = explicit
        .router
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(services.clone()),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        // Server functions read their body whole: this bounds what they read.
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            MAX_BODY_BYTES,
        ));
    // Nested after the limit above, so the emulator keeps its own.
    let router = match &state.demo {
        Some(sim) => {
            paths.extend(
                crate::graph_sim::GraphSim::control_paths()
                    .into_iter()
                    .map(|p| format!("{}{p}", crate::DEMO_GRAPH_PREFIX)),
            );
            app_routes.nest_service(crate::DEMO_GRAPH_PREFIX, demo::routes(sim, state.clone()))
        }
        None => app_routes,
    };
    // Served over https (the public URL says so): browsers should never
    // try plain http again.
    let hsts = state
        .public_url
        .as_ref()
        .filter(|url| url.is_https())
        .map(|_| HeaderValue::from_static("max-age=31536000"));
    let router = router
        .layer(middleware::from_fn_with_state(
            state.clone(),
            session::require_admin_session,
        ))
        .layer(middleware::from_fn_with_state(
            state.public_url.clone(),
            origin::refuse_cross_site,
        ))
        .layer(header(
            header::CONTENT_SECURITY_POLICY,
            app::security::NOT_A_PAGE_POLICY,
        ))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header(header::REFERRER_POLICY, "same-origin"))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            move |_: &http::Response<axum::body::Body>| hsts.clone(),
        ))
        .with_state(state);
    Served { router, paths }
}

/// A header set on every response that does not set its own (a page sets
/// its own Content-Security-Policy, with its nonce).
fn header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}
