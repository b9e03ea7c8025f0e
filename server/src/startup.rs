//! The application, wired once: services, background jobs and the router
//! over an opened store and a bound listener. `main` builds it from the
//! environment; the tests build it from their own settings; both run what
//! is built here, so the tests exercise the router production serves.

use crate::auth::{AuthService, SessionPolicy, ThrottlePolicy};
use crate::config::AzureEnv;
use crate::graph_sim::GraphSim;
use crate::secrets::SecretBox;
use crate::store::{Store, now_millis};
use crate::sync::{
    ConnectionService, DemoTenant, ImportService, LockPolicy, ProgressHub, Scheduler,
    SchedulerPolicy, SharingPolicy,
};
use crate::web::{self, AppState, PublicUrl, StreamPolicy};
use app::domain::connection::DemoMode;
use app::services::Services;
use leptos::prelude::LeptosOptions;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Everything that decides how the application behaves, read from the
/// environment by `main` and written out by tests.
pub struct Settings {
    pub leptos: LeptosOptions,
    /// The `AZURE_*` variables.
    pub azure: AzureEnv,
    pub demo_mode: DemoMode,
    /// The simulated tenant this process serves while the demo is in use.
    pub demo: Option<GraphSim>,
    pub secrets: SecretBox,
    pub throttle: ThrottlePolicy,
    pub sessions: SessionPolicy,
    pub lock: LockPolicy,
    pub public_url: Option<PublicUrl>,
    pub streams: StreamPolicy,
    pub scheduler: SchedulerPolicy,
    /// How the server processes on one database share progress and Cancel.
    pub sharing: SharingPolicy,
}

/// A built application, ready to serve on its listener.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    /// Every path the router serves, for the security sweep.
    paths: Vec<String>,
    address: SocketAddr,
    pub store: Store,
    pub progress: Arc<ProgressHub>,
    pub connections: Arc<ConnectionService>,
    /// Runs scheduled syncs (on its own, unless the policy leaves it to
    /// [`Scheduler::tick`]).
    pub scheduler: Arc<Scheduler>,
}

impl Application {
    /// Builds the services and the router, and starts the background jobs:
    /// the reaper of interrupted syncs (once now, then every few seconds),
    /// the sweeper of ended sessions, the sharing of progress and Cancel with
    /// the other server processes on the database, and the scheduler (which
    /// runs a sync missed while the server was down at once).
    pub async fn build(
        store: Store,
        listener: TcpListener,
        settings: Settings,
    ) -> std::io::Result<Self> {
        let address = listener.local_addr()?;
        if let Err(e) = crate::sync::lock::reap(&store, settings.lock).await {
            tracing::warn!(error = %e, "could not look for interrupted syncs");
        }
        crate::sync::lock::spawn_reaper(store.clone(), settings.lock);
        spawn_session_sweeper(store.clone(), settings.sessions);

        let connections = Arc::new(ConnectionService::new(
            store.clone(),
            settings.secrets,
            settings.azure,
            settings.demo_mode,
            settings
                .demo
                .as_ref()
                .map(|sim| DemoTenant::new(sim.clone(), address)),
        ));
        let progress = Arc::new(ProgressHub::new());
        let import = Arc::new(ImportService::new(
            store.clone(),
            progress.clone(),
            connections.clone(),
            settings.lock,
        ));
        crate::sync::shared_progress::spawn(
            store.clone(),
            &progress,
            import.running_fetch(),
            settings.sharing,
        );
        let scheduler = Arc::new(Scheduler::new(
            store.clone(),
            import.clone(),
            settings.scheduler.clock.clone(),
        ));
        if let Some(every) = settings.scheduler.check_every {
            scheduler.clone().spawn(every);
        }
        let services = Services {
            users: Arc::new(store.clone()),
            groups: Arc::new(store.clone()),
            auth: Arc::new(AuthService::new(
                store.clone(),
                settings.throttle,
                settings.sessions,
            )),
            sync: import,
            settings: Arc::new(store.clone()),
            schedule: scheduler.clone(),
            connection: connections.clone(),
            secure_cookies: settings
                .public_url
                .as_ref()
                .is_some_and(PublicUrl::is_https),
        };
        let served = web::router(AppState {
            leptos_options: settings.leptos,
            services,
            demo: settings.demo,
            connections: connections.clone(),
            progress: progress.clone(),
            store: store.clone(),
            public_url: settings.public_url,
            streams: web::StreamRegistry::new(settings.streams),
        });
        Ok(Self {
            listener,
            router: served.router,
            paths: served.paths,
            address,
            store,
            progress,
            connections,
            scheduler,
        })
    }

    /// Every path the router serves (`{param}` placeholders), server
    /// functions aside (their registry lists them).
    pub fn paths(&self) -> &[String] {
        &self.paths
    }

    /// The address it listens on (port 0 resolved).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves until `shutdown` completes. Each request knows its peer's
    /// address, for the sign-in throttle.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
    }
}

/// Deletes ended sessions (expired or idle) now and every hour, so the
/// table stays small.
fn spawn_session_sweeper(store: Store, policy: SessionPolicy) {
    tokio::spawn(async move {
        let mut every_hour = tokio::time::interval(Duration::from_secs(60 * 60));
        loop {
            every_hour.tick().await;
            let now = now_millis();
            let idle = i64::try_from(policy.idle.as_millis()).unwrap_or(i64::MAX);
            match store
                .delete_expired_sessions(now, now.saturating_sub(idle))
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(sessions = n, "removed ended sessions"),
                Err(e) => tracing::warn!(error = %e, "could not remove ended sessions"),
            }
        }
    });
}
