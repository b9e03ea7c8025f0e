//! The Graph client keeps its token home (issue 12): a next-page link
//! outside the configured Graph root is never requested (a second listener
//! records that nothing reached it), a looping or endless read stops, and an
//! absurd token lifetime from the sign-in endpoint does not panic.

mod common;

use serde_json::json;
use server::graph::{Cloud, Credentials, Endpoints, GraphClient, GraphError, PagingFault};
use server::graph_sim::generate::generate;
use server::graph_sim::{Faults, GraphSim};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[tokio::test]
async fn an_absurd_token_lifetime_from_the_sign_in_endpoint_does_not_panic_the_client() {
    let sim = GraphSim::new(generate(5, 0, 4), 4, "");
    let base = common::emulator::serve(&sim).await;
    // Set behind the control API's back, as a hostile endpoint would send it.
    sim.set_faults(Faults {
        token_lifetime_secs: u64::MAX,
        ..Faults::default()
    });
    let client = common::emulator::client(
        &base,
        common::emulator::credentials(&sim),
        Default::default(),
    );
    let mut users = 0;
    client
        .list_users(false, |page, _| users += page.len())
        .await
        .unwrap();
    assert_eq!(users, 5);
}

/// A listener that records every connection made to it and every byte
/// sent, and answers nothing useful.
async fn recording_listener() -> (String, Arc<AtomicUsize>, Arc<std::sync::Mutex<Vec<u8>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let bytes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (count, seen) = (connections.clone(), bytes.clone());
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let mut buffer = [0u8; 4096];
            if let Ok(n) = socket.read(&mut buffer).await {
                seen.lock().unwrap().extend_from_slice(&buffer[..n]);
            }
            let _ = socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")
                .await;
        }
    });
    (address, connections, bytes)
}

/// A Graph stand-in whose users page carries `next_link`; its token
/// endpoint issues `TOKEN`.
const TOKEN: &str = "token-that-must-stay-home";

async fn graph_with_next_link(
    next_link: impl Fn(&str) -> String + Send + Sync + 'static,
) -> String {
    use axum::routing::{get, post};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let next_link = Arc::new(next_link);
    let own = base.clone();
    let router = axum::Router::new()
        .route(
            "/{tenant}/oauth2/v2.0/token",
            post(|| async {
                axum::Json(json!({"token_type": "Bearer", "expires_in": 3599, "access_token": TOKEN}))
            }),
        )
        .route(
            "/v1.0/users",
            get(move || {
                let link = next_link(&own);
                async move {
                    axum::Json(json!({
                        "value": [{"id": "00000000-0000-0000-0000-000000000001", "displayName": "Ada",
                                   "userPrincipalName": "ada@contoso.com", "accountEnabled": true}],
                        "@odata.nextLink": link,
                    }))
                }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    base
}

fn client_for(base: &str) -> GraphClient {
    let endpoints = Endpoints::for_cloud(Cloud::Global).with_overrides(Some(base), Some(base));
    GraphClient::new(
        endpoints,
        Credentials {
            tenant_id: "contoso.onmicrosoft.com".into(),
            client_id: "00000000-0000-0000-0000-000000000002".into(),
            client_secret: "s3cret-value".to_owned().into(),
        },
        Default::default(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_foreign_next_link_is_never_requested_and_gets_no_token() {
    let (elsewhere, connections, bytes) = recording_listener().await;
    // Another port on the same host is another origin, and so is another
    // scheme; both are refused before any request.
    for foreign in [
        format!("{elsewhere}/v1.0/users?$skiptoken=x"),
        elsewhere.replace("http://", "https://") + "/v1.0/users",
    ] {
        let link = foreign.clone();
        let graph = graph_with_next_link(move |_| link.clone()).await;
        let error = client_for(&graph)
            .list_users(false, |_, _| {})
            .await
            .unwrap_err();
        assert!(
            matches!(&error, GraphError::Paging(PagingFault::ForeignLink { .. })),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains("was not followed"), "{message}");
    }
    assert_eq!(connections.load(Ordering::SeqCst), 0, "nothing reached it");
    assert!(!String::from_utf8_lossy(&bytes.lock().unwrap()).contains(TOKEN));
}

#[tokio::test]
async fn a_next_link_that_loops_or_pages_without_end_stops_the_read() {
    let graph = graph_with_next_link(|own| format!("{own}/v1.0/users?$skiptoken=same")).await;
    let error = client_for(&graph)
        .list_users(false, |_, _| {})
        .await
        .unwrap_err();
    assert!(
        matches!(error, GraphError::Paging(PagingFault::RepeatedLink { .. })),
        "{error:?}"
    );

    let counter = Arc::new(AtomicUsize::new(0));
    let graph = graph_with_next_link(move |own| {
        format!(
            "{own}/v1.0/users?$skiptoken={}",
            counter.fetch_add(1, Ordering::SeqCst)
        )
    })
    .await;
    let error = client_for(&graph)
        .with_max_pages(25)
        .list_users(false, |_, _| {})
        .await
        .unwrap_err();
    assert_eq!(
        error,
        GraphError::Paging(PagingFault::TooManyPages { limit: 25 })
    );
}
