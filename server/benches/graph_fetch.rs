//! How long the Graph client takes to fetch a large tenant from the
//! emulator, against a floor measured in the same run: the same pages
//! fetched with bare reqwest and thrown away unparsed. The difference is
//! the client's own cost (parsing, mapping, bookkeeping).
//!
//! cargo bench -p server --bench graph_fetch [-- USERS]

use server::graph::{Cloud, Endpoints, GraphClient, RetryPolicy};
use server::graph_sim::GraphSim;
use server::graph_sim::generate::generate;
use std::time::Instant;

#[tokio::main]
async fn main() {
    let users: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let started = Instant::now();
    let sim = GraphSim::new(generate(users, 12, 1), 1, "");
    println!("generated {users} users in {:?}", started.elapsed());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = sim.router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let reg = sim.registration().clone();
    let endpoints = Endpoints::for_cloud(Cloud::Global).with_overrides(Some(&base), Some(&base));
    let credentials = reg.credentials();
    let client = GraphClient::new(endpoints.clone(), credentials, RetryPolicy::default()).unwrap();

    for round in 1..=2 {
        // Floor: bare HTTP over the same pages, bodies not parsed.
        let http = reqwest::Client::new();
        let token: serde_json::Value = http
            .post(endpoints.token_url(&reg.tenant_id))
            .form(&[
                ("client_id", reg.client_id.as_str()),
                ("client_secret", reg.client_secret.as_str()),
                ("scope", "https://graph.microsoft.com/.default"),
                ("grant_type", "client_credentials"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = token["access_token"].as_str().unwrap().to_owned();
        let floor_start = Instant::now();
        let mut next = Some(endpoints.v1(&format!(
            "users?$select={}&$expand=manager($select=id)&$top=999",
            *server::graph::USER_SELECT
        )));
        let mut bytes = 0usize;
        while let Some(url) = next.take() {
            let body = http
                .get(&url)
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            bytes += body.len();
            // Only the link is read: the cheapest way to find the next page.
            let text = std::str::from_utf8(&body).unwrap();
            next = text.find("\"@odata.nextLink\":\"").map(|i| {
                let rest = &text[i + 19..];
                rest[..rest.find('"').unwrap()].to_owned()
            });
        }
        let floor = floor_start.elapsed();

        let client_start = Instant::now();
        let mut fetched = 0u64;
        let progress = client
            .list_users(true, |page, _| fetched += page.len() as u64)
            .await
            .unwrap();
        let took = client_start.elapsed();
        assert_eq!(fetched, users as u64);
        println!(
            "round {round}: client {took:?} for {fetched} users in {} pages; floor (bare HTTP) {floor:?} for {} MB; client/floor = {:.2}",
            progress.pages,
            bytes / 1_000_000,
            took.as_secs_f64() / floor.as_secs_f64()
        );
    }
}
