//! The running system: configuration, database, authentication and the web
//! router, wired together in `startup.rs`. `main.rs` only reads the
//! environment and serves.

#![recursion_limit = "256"]

pub mod auth;
pub mod bootstrap;
pub mod config;
pub mod graph;
pub mod graph_sim;
pub mod secrets;
pub mod startup;
pub mod store;
pub mod sync;
pub mod web;

/// Where the demo's simulated tenant is served inside the app.
pub const DEMO_GRAPH_PREFIX: &str = "/graph-sim";
