//! The Graph emulator on port 0, and a client pointed at it with the
//! registration it accepts.

use server::graph::{Cloud, Credentials, Endpoints, GraphClient, RetryPolicy};
use server::graph_sim::GraphSim;
use server::graph_sim::generate::generate;

/// Serves `sim` on a free local port; returns its base URL.
pub async fn serve(sim: &GraphSim) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = sim.router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    base
}

/// The registration `sim` accepts, as client credentials.
pub fn credentials(sim: &GraphSim) -> Credentials {
    sim.registration().credentials()
}

pub fn client(base: &str, credentials: Credentials, policy: RetryPolicy) -> GraphClient {
    let endpoints = Endpoints::for_cloud(Cloud::Global).with_overrides(Some(base), Some(base));
    GraphClient::new(endpoints, credentials, policy).unwrap()
}

/// A generated tenant, served, and a client for it.
pub async fn start(users: usize, groups: usize, seed: u64) -> (GraphSim, GraphClient) {
    let sim = GraphSim::new(generate(users, groups, seed), seed, "");
    let base = serve(&sim).await;
    let client = client(&base, credentials(&sim), RetryPolicy::default());
    (sim, client)
}
