//! Starts dirsync: read the environment, open and migrate the database,
//! make sure an admin exists, serve until Ctrl-C or SIGTERM.

use anyhow::Context;
use app::domain::connection::DemoMode;
use secrecy::ExposeSecret;
use server::bootstrap::{FirstAdmin, ensure_first_admin};
use server::config::Config;
use server::graph_sim::GraphSim;
use server::graph_sim::generate::generate;
use server::secrets::{KeySource, SecretBox};
use server::startup::{Application, Settings};
use server::store::Store;
use server::sync::ConnectionService;
use server::sync::SchedulerPolicy;
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

/// mimalloc rather than glibc's allocator: a preview of a large directory
/// allocates millions of small strings from several threads, and glibc
/// kept them spread over per-thread arenas it seldom hands back, so the
/// server went on holding a preview's peak long after it ended (measured
/// in the scale benchmark; the README has the figures).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();

    let config = Config::from_env().map_err(anyhow::Error::msg)?;
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

    let leptos_options = leptos::prelude::get_configuration(None)
        .context("reading the Leptos configuration")?
        .leptos_options;
    let addr = leptos_options.site_addr;
    // Bound before the application is built: the demo connection is this
    // process's own address.
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr}"))?;
    // The simulation is served whenever the demo may be used: forced, or
    // until a connection is configured (which the environment may already
    // do; one saved on the Settings page turns it off while it lasts).
    let serve_demo = match config.demo {
        DemoMode::Forced => true,
        DemoMode::UntilConfigured => !config.azure.is_complete(),
        DemoMode::Off => false,
    };
    // Its secret is random: anyone can compute a seeded one.
    let demo = serve_demo.then(|| {
        GraphSim::with_random_secret(
            generate(DEMO_USERS, DEMO_GROUPS, DEMO_SEED),
            DEMO_SEED,
            server::DEMO_GRAPH_PREFIX,
        )
    });
    let (secrets, key_source) = SecretBox::load(
        config.secret_key.as_ref().map(|k| k.expose_secret()),
        &config.data_dir(),
    )
    .context("loading the key that encrypts saved secrets")?;
    match key_source {
        KeySource::Environment => tracing::info!("secrets at rest use DIRSYNC_SECRET_KEY"),
        KeySource::File(path) => {
            tracing::info!(path = %path.display(), "secrets at rest use the key file")
        }
        KeySource::Generated(path) => tracing::info!(
            path = %path.display(),
            "generated the key that encrypts saved secrets; back it up with the database"
        ),
    }
    match &config.public_url {
        Some(url) => tracing::info!(public_url = url.origin(), "administrators reach dirsync at"),
        None if !addr.ip().is_loopback() => tracing::warn!(
            "DIRSYNC_PUBLIC_URL is not set: the session cookie is not marked Secure; \
             set it to the https address administrators use"
        ),
        None => {}
    }
    let app = Application::build(
        store.clone(),
        listener,
        Settings {
            leptos: leptos_options,
            azure: config.azure.clone(),
            demo_mode: config.demo,
            demo,
            secrets,
            throttle: Default::default(),
            sessions: Default::default(),
            lock: Default::default(),
            public_url: config.public_url.clone(),
            streams: Default::default(),
            scheduler: SchedulerPolicy {
                check_every: Some(config.schedule_check),
                ..SchedulerPolicy::default()
            },
            sharing: Default::default(),
        },
    )
    .await
    .context("building the application")?;

    tracing::info!("dirsync is listening on http://{}", app.address());
    spawn_connection_check(app.connections.clone());
    app.run_until(shutdown_signal()).await?;
    store.close().await;
    Ok(())
}

/// The demo tenant: about 500 people, always the same ones.
const DEMO_USERS: usize = 500;
const DEMO_GROUPS: usize = 12;
const DEMO_SEED: u64 = 2026;

/// Signs in once at start, so the log shows at once whether the connection
/// works. Only `main` does this: it is the operator's first log line about
/// the connection, and tests count the emulator's token requests.
fn spawn_connection_check(connections: Arc<ConnectionService>) {
    tokio::spawn(async move {
        let connection = match connections.current().await {
            Ok(connection) => connection,
            Err(e) => return tracing::warn!(error = %e, "could not read the Azure AD connection"),
        };
        let what = connection.status().describe();
        let client = match connection.client(Default::default()) {
            Ok(client) => client,
            Err(message) => return tracing::warn!("{message}"),
        };
        match client.check_permissions().await {
            Ok(report) => tracing::info!(connection = %what, ?report, "Azure AD connection works"),
            Err(e) => {
                tracing::warn!(connection = %what, error = %e, "Azure AD connection check failed")
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
