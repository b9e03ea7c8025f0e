//! Starts dirsync: read the environment, open and migrate the database,
//! make sure an admin exists, serve until Ctrl-C or SIGTERM.

use anyhow::Context;
use server::bootstrap::{FirstAdmin, ensure_first_admin};
use server::config::Config;
use server::graph::{Cloud, Credentials, Endpoints, GraphClient, RetryPolicy};
use server::graph_sim::GraphSim;
use server::graph_sim::generate::generate;
use server::store::Store;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();

    let config = Config::from_env();
    let store = Store::open(&config.database_url)
        .await
        .context("opening the database (DATABASE_URL)")?;
    tracing::info!(engine = ?store.engine(), "database ready");

    match ensure_first_admin(
        &store,
        config.admin_email.as_deref(),
        config.admin_password.as_ref(),
    )
    .await?
    {
        FirstAdmin::Existing => {}
        FirstAdmin::FromEnvironment { email } => {
            tracing::info!(%email, "created the first admin from ADMIN_EMAIL/ADMIN_PASSWORD")
        }
        FirstAdmin::Generated { email, password } => {
            // Shown once, on the console only: not a log line, not stored.
            println!(
                "\n  First admin created. Sign in with:\n    Email:    {email}\n    Password: {password}\n  This password is not shown again.\n"
            );
        }
    }

    // A sync left mid-apply by a crash is resumable, not silently lost.
    let interrupted = store
        .mark_interrupted_runs(
            server::store::now_millis(),
            server::sync::preview::LOCK_STALE_MS,
        )
        .await?;
    if interrupted > 0 {
        tracing::warn!(
            runs = interrupted,
            "a sync was interrupted by a restart; resume or discard it"
        );
    }
    spawn_session_sweeper(store.clone());

    let leptos_options = leptos::prelude::get_configuration(None)
        .context("reading the Leptos configuration")?
        .leptos_options;
    let addr = leptos_options.site_addr;
    let demo = config.demo.then(|| {
        GraphSim::new(
            generate(DEMO_USERS, DEMO_GROUPS, DEMO_SEED),
            DEMO_SEED,
            server::DEMO_GRAPH_PREFIX,
        )
    });
    let router = server::build_router(
        store.clone(),
        leptos_options,
        Default::default(),
        demo.clone(),
        Default::default(),
    );

    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr}"))?;
    tracing::info!("dirsync is listening on http://{addr}");
    if let Some(sim) = demo {
        spawn_demo_check(sim, listener.local_addr()?);
    }
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    store.close().await;
    Ok(())
}

/// The demo tenant: about 500 people, always the same ones.
const DEMO_USERS: usize = 500;
const DEMO_GROUPS: usize = 12;
const DEMO_SEED: u64 = 2026;

/// Reads the demo tenant once through the real Graph client, over HTTP, so
/// the log shows at start that the whole path works.
fn spawn_demo_check(sim: GraphSim, addr: std::net::SocketAddr) {
    tokio::spawn(async move {
        let root = format!("http://{addr}{}", server::DEMO_GRAPH_PREFIX);
        let reg = sim.registration();
        let credentials = Credentials {
            tenant_id: reg.tenant_id.clone(),
            client_id: reg.client_id.clone(),
            client_secret: secrecy::SecretString::from(reg.client_secret.clone()),
        };
        let endpoints =
            Endpoints::for_cloud(Cloud::Global).with_overrides(Some(&root), Some(&root));
        let client = match GraphClient::new(endpoints, credentials, RetryPolicy::default()) {
            Ok(c) => c,
            Err(e) => return tracing::warn!(error = %e, "demo tenant check could not start"),
        };
        match client.list_users(true, |_, _| {}).await {
            Ok(p) => tracing::info!(
                users = p.items_so_far,
                pages = p.pages,
                "demo mode: a simulated Azure AD tenant is served at {root}"
            ),
            Err(e) => tracing::warn!(error = %e, "demo tenant check failed"),
        }
    });
}

/// Deletes expired sessions now and every hour, so the table stays small.
fn spawn_session_sweeper(store: Store) {
    tokio::spawn(async move {
        let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(60 * 60));
        loop {
            every_hour.tick().await;
            match store
                .delete_expired_sessions(server::store::now_millis())
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(sessions = n, "removed expired sessions"),
                Err(e) => tracing::warn!(error = %e, "could not remove expired sessions"),
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
