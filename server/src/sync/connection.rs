//! Where a sync reads the directory from, decided afresh for every preview
//! and every Test connection: the demo's simulated tenant (served by this
//! same process over HTTP, so the real client code runs), or the tenant of
//! the connection saved on the Settings page, each `AZURE_*` variable that
//! is set winning over its field. A forced demo never contacts anything
//! else, whatever is saved. The Settings page's port over this service is
//! in `connection_settings.rs`.

use crate::config::AzureEnv;
use crate::graph::{Cloud, CloudHosts, Credentials, Endpoints, GraphClient, RetryPolicy};
use crate::graph_sim::GraphSim;
use crate::secrets::SecretBox;
use crate::store::{SavedConnection, Store};
use app::domain::connection::{ConnectionField, ConnectionStatus, DemoMode, SecretState};
use app::domain::settings::GroupChoice;
use app::services::{ConnectionFailure, StoreError};
use secrecy::SecretString;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What to tell an admin when there is nothing to connect to.
pub const NOT_CONFIGURED: &str = "No Azure AD connection is configured. Enter your app \
     registration's tenant ID, client ID and client secret under Settings > Azure AD connection.";

/// What the sealed client secret is bound to.
pub(super) const SECRET_CONTEXT: &str = "azure_connection.client_secret";

const UNREADABLE_SECRET: &str = "The saved client secret cannot be decrypted with this \
     server's key: DIRSYNC_SECRET_KEY or the data folder's secret.key changed since it was saved. \
     Enter the client secret again under Settings > Azure AD connection.";

pub(super) const FORCED_DEMO: &str = "Demo mode is on (DIRSYNC_DEMO=1), so a saved connection would not be \
     used. Restart the server without DIRSYNC_DEMO to connect your tenant.";

/// The demo's simulated tenant, and where this process serves it.
#[derive(Clone)]
pub struct DemoTenant {
    pub(super) sim: GraphSim,
    graph_root: String,
}

impl DemoTenant {
    /// The simulation served by the app listening on `app_addr`.
    pub fn new(sim: GraphSim, app_addr: SocketAddr) -> Self {
        let mut addr = app_addr;
        // Listening on every interface: talk to ourselves over loopback.
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        Self {
            sim,
            graph_root: format!("http://{addr}{}", crate::DEMO_GRAPH_PREFIX),
        }
    }

    fn credentials(&self) -> Credentials {
        self.sim.registration().credentials()
    }
}

/// What the next preview or test signs in with.
#[derive(Clone)]
pub enum Connection {
    Demo(DemoTenant),
    Tenant {
        credentials: Credentials,
        endpoints: Endpoints,
        from_environment: bool,
    },
    /// Nothing usable: the admin's message says what to do.
    Unavailable(String),
}

impl Connection {
    pub fn status(&self) -> ConnectionStatus {
        match self {
            Self::Demo(_) => ConnectionStatus::Demo,
            Self::Tenant {
                credentials,
                endpoints,
                from_environment,
            } => ConnectionStatus::Tenant {
                tenant_id: credentials.tenant_id.clone(),
                cloud: cloud_name(endpoints),
                from_environment: *from_environment,
            },
            Self::Unavailable(_) => ConnectionStatus::NotConfigured,
        }
    }

    /// A client for this connection, or the admin's message why not.
    pub fn client(&self, policy: RetryPolicy) -> Result<GraphClient, String> {
        let (endpoints, credentials) = match self {
            Self::Demo(demo) => (
                Endpoints::for_cloud(Cloud::Global)
                    .with_overrides(Some(&demo.graph_root), Some(&demo.graph_root)),
                demo.credentials(),
            ),
            Self::Tenant {
                credentials,
                endpoints,
                ..
            } => (endpoints.clone(), credentials.clone()),
            Self::Unavailable(message) => return Err(message.clone()),
        };
        GraphClient::new(endpoints, credentials, policy).map_err(|e| e.to_string())
    }
}

/// The cloud's name as the admin picks it, or the custom Graph root.
fn cloud_name(endpoints: &Endpoints) -> String {
    Cloud::ALL
        .into_iter()
        .find(|c| c.graph_root() == endpoints.graph_root)
        .map(|c| c.to_string())
        .unwrap_or_else(|| format!("Graph at {}", endpoints.graph_root))
}

/// The connection's settings and their resolution: the `AzureConnection`
/// port, and what the import service asks for each preview.
pub struct ConnectionService {
    pub(super) store: Store,
    pub(super) secrets: SecretBox,
    pub(super) env: AzureEnv,
    pub(super) demo: DemoMode,
    pub(super) demo_tenant: Option<DemoTenant>,
    groups: tokio::sync::Mutex<Option<GroupList>>,
}

/// The directory's groups as last read, for the group scope picker.
struct GroupList {
    /// Which connection they were read through.
    connection: String,
    read_at: Instant,
    groups: Arc<Vec<GroupChoice>>,
}

/// How long the group list is reused before the directory is read again.
const GROUP_LIST_FRESH: Duration = Duration::from_secs(5 * 60);

impl ConnectionService {
    /// `demo_tenant` is the simulation, when this server serves one.
    pub fn new(
        store: Store,
        secrets: SecretBox,
        env: AzureEnv,
        demo: DemoMode,
        demo_tenant: Option<DemoTenant>,
    ) -> Self {
        Self {
            store,
            secrets,
            env,
            demo,
            demo_tenant,
            groups: tokio::sync::Mutex::new(None),
        }
    }

    /// Every group of the directory, read through the connection in use, or
    /// (unless `refresh`) reused when read through the same connection in
    /// the last minutes.
    pub(super) async fn directory_groups(
        &self,
        refresh: bool,
    ) -> Result<Arc<Vec<GroupChoice>>, ConnectionFailure> {
        let connection = self.current().await?;
        let key = connection.status().describe();
        let mut cached = self.groups.lock().await;
        if let Some(list) = cached
            .as_ref()
            .filter(|l| !refresh && l.connection == key && l.read_at.elapsed() < GROUP_LIST_FRESH)
        {
            return Ok(list.groups.clone());
        }
        let client = connection
            .client(Self::test_policy())
            .map_err(ConnectionFailure::Refused)?;
        let mut groups = Vec::new();
        client
            .list_groups(false, |page, _| {
                groups.extend(page.into_iter().map(|g| GroupChoice {
                    name: g.display_name.unwrap_or_default(),
                    id: g.id,
                }))
            })
            .await
            .map_err(|e| ConnectionFailure::Refused(e.to_string()))?;
        let groups = Arc::new(groups);
        *cached = Some(GroupList {
            connection: key,
            read_at: Instant::now(),
            groups: groups.clone(),
        });
        Ok(groups)
    }

    /// The connection in use now.
    pub async fn current(&self) -> Result<Connection, StoreError> {
        let saved = self.store.saved_connection().await?;
        Ok(self.resolve(saved.as_ref()))
    }

    pub(super) fn resolve(&self, saved: Option<&SavedConnection>) -> Connection {
        let demo = || match &self.demo_tenant {
            Some(tenant) => Connection::Demo(tenant.clone()),
            None => Connection::Unavailable(NOT_CONFIGURED.to_owned()),
        };
        if self.demo == DemoMode::Forced {
            return demo();
        }
        let saved_value = |v: Option<&String>| v.filter(|v| !v.is_empty()).cloned();
        let tenant_id = self
            .env
            .tenant_id
            .clone()
            .or_else(|| saved_value(saved.map(|s| &s.tenant_id)));
        let client_id = self
            .env
            .client_id
            .clone()
            .or_else(|| saved_value(saved.map(|s| &s.client_id)));
        let sealed = saved.and_then(|s| s.sealed_secret.as_deref());
        let (Some(tenant_id), Some(client_id)) = (tenant_id, client_id) else {
            return self.unconfigured(demo);
        };
        let client_secret = match (&self.env.client_secret, sealed) {
            (Some(secret), _) => secret.clone(),
            (None, Some(sealed)) => match self.secrets.open(sealed, SECRET_CONTEXT) {
                Ok(secret) => secret,
                Err(_) => return Connection::Unavailable(UNREADABLE_SECRET.to_owned()),
            },
            (None, None) => return self.unconfigured(demo),
        };
        let cloud = saved.map(|s| s.cloud).unwrap_or_default();
        Connection::Tenant {
            credentials: Credentials {
                tenant_id,
                client_id,
                client_secret,
            },
            endpoints: Endpoints::for_cloud(cloud).with_overrides(
                self.env.authority_host.as_deref(),
                self.env.graph_base_url.as_deref(),
            ),
            from_environment: self.env.tenant_id.is_some()
                || self.env.client_id.is_some()
                || self.env.client_secret.is_some(),
        }
    }

    fn unconfigured(&self, demo: impl FnOnce() -> Connection) -> Connection {
        match self.demo {
            DemoMode::Off => Connection::Unavailable(NOT_CONFIGURED.to_owned()),
            _ => demo(),
        }
    }

    /// The fields the environment supplies (read-only on the page).
    pub(super) fn env_fields(&self) -> Vec<ConnectionField> {
        [
            (ConnectionField::TenantId, self.env.tenant_id.is_some()),
            (ConnectionField::ClientId, self.env.client_id.is_some()),
            (
                ConnectionField::ClientSecret,
                self.env.client_secret.is_some(),
            ),
        ]
        .into_iter()
        .filter_map(|(field, set)| set.then_some(field))
        .collect()
    }

    /// The saved secret, when there is one and it opens.
    pub(super) fn saved_secret(&self, saved: &SavedConnection) -> Option<SecretString> {
        let sealed = saved.sealed_secret.as_deref()?;
        self.secrets.open(sealed, SECRET_CONTEXT).ok()
    }

    pub(super) fn secret_state(&self, saved: Option<&SavedConnection>) -> SecretState {
        if self.env.client_secret.is_some() {
            return SecretState::Environment;
        }
        let Some(saved) = saved.filter(|s| s.sealed_secret.is_some()) else {
            return SecretState::NotSet;
        };
        let set_at = saved.secret_set_at.unwrap_or_default();
        let set_by = saved.secret_set_by.clone().unwrap_or_default();
        match self.saved_secret(saved) {
            Some(_) => SecretState::Saved { set_at, set_by },
            None => SecretState::Unreadable { set_at, set_by },
        }
    }

    /// A quick retry policy: the admin is waiting for the answer.
    pub fn test_policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(5),
            max_total_wait: Duration::from_secs(10),
            request_timeout: Duration::from_secs(20),
        }
    }
}
