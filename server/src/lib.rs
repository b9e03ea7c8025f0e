//! The running system: configuration, database, authentication and the web
//! router, wired together. `main.rs` only reads the environment and serves.

#![recursion_limit = "256"]

pub mod auth;
pub mod bootstrap;
pub mod config;
pub mod graph;
pub mod graph_sim;
pub mod secrets;
pub mod store;
pub mod sync;
pub mod web;

use app::services::Services;
use auth::{AuthService, ThrottlePolicy};
use leptos::prelude::LeptosOptions;
use std::sync::Arc;
use store::Store;

/// Where the demo's simulated tenant is served inside the app.
pub const DEMO_GRAPH_PREFIX: &str = "/graph-sim";

/// Builds the router over an opened store; with `demo`, the Graph emulator
/// is served under [`DEMO_GRAPH_PREFIX`]. `import` runs the syncs (and
/// holds their progress hub).
pub fn build_router(
    store: Store,
    leptos_options: LeptosOptions,
    throttle: ThrottlePolicy,
    demo: Option<graph_sim::GraphSim>,
    import: sync::ImportService,
) -> axum::Router {
    let progress = import.hub();
    let connection: Arc<dyn app::services::AzureConnection> = import.connections();
    let services = Services {
        users: Arc::new(store.clone()),
        auth: Arc::new(AuthService::new(store.clone(), throttle)),
        sync: Arc::new(import),
        settings: Arc::new(store.clone()),
        connection,
    };
    web::router(web::AppState {
        leptos_options,
        services,
        demo,
        progress,
        store,
    })
}
