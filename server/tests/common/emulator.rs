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

/// A generated tenant, served, and a client that tries each request once:
/// a fault test sees the fault, not a retry.
pub async fn start_trying_once(users: usize, groups: usize, seed: u64) -> (GraphSim, GraphClient) {
    let sim = GraphSim::new(generate(users, groups, seed), seed, "");
    let base = serve(&sim).await;
    let policy = RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    };
    let client = client(&base, credentials(&sim), policy);
    (sim, client)
}

/// An access token for raw Graph requests to `sim` at `base`.
pub async fn access_token(sim: &GraphSim, base: &str) -> String {
    let reg = sim.registration();
    let token_url = format!("{base}/{}/oauth2/v2.0/token", reg.tenant_id);
    client_credentials_token(&token_url, &reg.client_id, &reg.client_secret).await
}

/// The client-credentials grant, raw: the access token for Graph.
pub async fn client_credentials_token(token_url: &str, client_id: &str, secret: &str) -> String {
    let form = [
        ("client_id", client_id),
        ("client_secret", secret),
        ("scope", "https://graph.microsoft.com/.default"),
        ("grant_type", "client_credentials"),
    ];
    let body: serde_json::Value = reqwest::Client::new()
        .post(token_url)
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}
