//! Where a sync reads the directory from, decided afresh for every preview
//! and every Test connection: the demo's simulated tenant (served by this
//! same process over HTTP, so the real client code runs), or the tenant of
//! the connection saved on the Settings page, each `AZURE_*` variable that
//! is set winning over its field. A forced demo never contacts anything
//! else, whatever is saved.

use crate::config::AzureEnv;
use crate::graph::{
    Cloud, CloudHosts, Credentials, Endpoints, GraphClient, REQUIRED_PERMISSIONS, RetryPolicy,
};
use crate::graph_sim::GraphSim;
use crate::secrets::SecretBox;
use crate::store::{SavedConnection, Store, now_millis};
use app::domain::connection::{
    ConnectionField, ConnectionInput, ConnectionSettings, ConnectionStatus, ConnectionTest,
    DemoMode, PermissionCheck, ReadCheck, SecretState, ShownValue, TestOutcome,
};
use app::domain::settings::{GROUP_MATCHES_SHOWN, GroupChoice, GroupSearch, search_groups};
use app::services::{AzureConnection, ConnectionFailure, StoreError};
use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What to tell an admin when there is nothing to connect to.
pub const NOT_CONFIGURED: &str = "No Azure AD connection is configured. Enter your app \
     registration's tenant ID, client ID and client secret under Settings > Azure AD connection.";

/// What the sealed client secret is bound to.
const SECRET_CONTEXT: &str = "azure_connection.client_secret";

const UNREADABLE_SECRET: &str = "The saved client secret cannot be decrypted with this \
     server's key: DIRSYNC_SECRET_KEY or the data folder's secret.key changed since it was saved. \
     Enter the client secret again under Settings > Azure AD connection.";

const FORCED_DEMO: &str = "Demo mode is on (DIRSYNC_DEMO=1), so a saved connection would not be \
     used. Restart the server without DIRSYNC_DEMO to connect your tenant.";

/// The demo's simulated tenant, and where this process serves it.
#[derive(Clone)]
pub struct DemoTenant {
    sim: GraphSim,
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
    store: Store,
    secrets: SecretBox,
    env: AzureEnv,
    demo: DemoMode,
    demo_tenant: Option<DemoTenant>,
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
    async fn directory_groups(
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
            .list_groups(|page, _| {
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

    fn resolve(&self, saved: Option<&SavedConnection>) -> Connection {
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
    fn env_fields(&self) -> Vec<ConnectionField> {
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
    fn saved_secret(&self, saved: &SavedConnection) -> Option<SecretString> {
        let sealed = saved.sealed_secret.as_deref()?;
        self.secrets.open(sealed, SECRET_CONTEXT).ok()
    }

    fn secret_state(&self, saved: Option<&SavedConnection>) -> SecretState {
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
    fn test_policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(5),
            max_total_wait: Duration::from_secs(10),
            request_timeout: Duration::from_secs(20),
        }
    }
}

/// What changed between two saved connections, for the record. The secret
/// is named, never shown.
fn describe_changes(
    old: Option<&SavedConnection>,
    new: &SavedConnection,
    secret_replaced: bool,
) -> Vec<String> {
    let before = old.cloned().unwrap_or_default();
    let mut changes = Vec::new();
    let mut compare = |label: &str, old: &str, new: &str| {
        if old != new {
            changes.push(match (old.is_empty(), new.is_empty()) {
                (true, _) => format!("{label} set to {new}"),
                (_, true) => format!("{label} cleared (was {old})"),
                _ => format!("{label}: {old} → {new}"),
            });
        }
    };
    compare("Tenant ID", &before.tenant_id, &new.tenant_id);
    compare("Client ID", &before.client_id, &new.client_id);
    if old.is_none() {
        changes.push(format!("Cloud set to {}", new.cloud));
    } else if before.cloud != new.cloud {
        changes.push(format!("Cloud: {} → {}", before.cloud, new.cloud));
    }
    if secret_replaced {
        changes.push(if before.sealed_secret.is_some() {
            "Client secret replaced".to_owned()
        } else {
            "Client secret set".to_owned()
        });
    }
    changes
}

#[async_trait]
impl AzureConnection for ConnectionService {
    async fn connection_settings(&self) -> Result<ConnectionSettings, StoreError> {
        let saved = self.store.saved_connection().await?;
        let connection = self.resolve(saved.as_ref());
        let shown = |env: &Option<String>, field: ConnectionField, saved_value: Option<&String>| {
            match env {
                Some(value) => ShownValue {
                    value: value.clone(),
                    env_var: Some(field.env_var().to_owned()),
                },
                None => ShownValue {
                    value: saved_value.cloned().unwrap_or_default(),
                    env_var: None,
                },
            }
        };
        let (mut tenant_id, mut client_id) = (
            shown(
                &self.env.tenant_id,
                ConnectionField::TenantId,
                saved.as_ref().map(|s| &s.tenant_id),
            ),
            shown(
                &self.env.client_id,
                ConnectionField::ClientId,
                saved.as_ref().map(|s| &s.client_id),
            ),
        );
        // A forced demo shows the simulated registration it signs in as.
        if let (DemoMode::Forced, Some(demo)) = (self.demo, &self.demo_tenant) {
            let reg = demo.sim.registration();
            tenant_id = ShownValue {
                value: reg.tenant_id.clone(),
                env_var: None,
            };
            client_id = ShownValue {
                value: reg.client_id.clone(),
                env_var: None,
            };
        }
        let endpoint_overrides = [
            ("AZURE_AUTHORITY_HOST", &self.env.authority_host),
            ("GRAPH_BASE_URL", &self.env.graph_base_url),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_ref().map(|v| format!("{name}={v}")))
        .collect();
        Ok(ConnectionSettings {
            status: connection.status(),
            demo: self.demo,
            tenant_id,
            client_id,
            secret: self.secret_state(saved.as_ref()),
            cloud: saved.as_ref().map(|s| s.cloud).unwrap_or_default(),
            endpoint_overrides,
            saved: saved.is_some(),
        })
    }

    async fn save_connection(
        &self,
        admin: &str,
        input: &ConnectionInput,
    ) -> Result<Vec<String>, ConnectionFailure> {
        if self.demo == DemoMode::Forced {
            return Err(ConnectionFailure::Refused(FORCED_DEMO.to_owned()));
        }
        let saved = self.store.saved_connection().await?;
        let old_secret = saved.as_ref().and_then(|s| self.saved_secret(s));
        let valid = input
            .validate(
                &self.env_fields(),
                self.env.client_secret.is_some() || old_secret.is_some(),
            )
            .map_err(ConnectionFailure::Invalid)?;
        let mut new = saved.clone().unwrap_or_default();
        if let Some(tenant_id) = valid.tenant_id {
            new.tenant_id = tenant_id;
        }
        if let Some(client_id) = valid.client_id {
            new.client_id = client_id;
        }
        new.cloud = valid.cloud;
        // The same secret typed again is not a change.
        let secret_replaced = valid.new_secret.filter(|secret| {
            old_secret
                .as_ref()
                .is_none_or(|old| old.expose_secret() != secret.expose())
        });
        let changes = describe_changes(saved.as_ref(), &new, secret_replaced.is_some());
        if let Some(secret) = secret_replaced {
            new.sealed_secret = Some(self.secrets.seal(secret.expose(), SECRET_CONTEXT));
            new.secret_set_at = Some(now_millis());
            new.secret_set_by = Some(admin.to_owned());
        }
        if changes.is_empty() {
            return Ok(changes);
        }
        self.store.save_connection(admin, &new, &changes).await?;
        Ok(changes)
    }

    async fn remove_connection(&self, admin: &str) -> Result<Vec<String>, ConnectionFailure> {
        if self.demo == DemoMode::Forced {
            return Err(ConnectionFailure::Refused(FORCED_DEMO.to_owned()));
        }
        let Some(saved) = self.store.saved_connection().await? else {
            return Ok(vec![]);
        };
        let change = if saved.tenant_id.is_empty() {
            "Connection removed".to_owned()
        } else {
            format!("Connection to tenant {} removed", saved.tenant_id)
        };
        self.store.remove_connection(admin, &change).await?;
        Ok(vec![change])
    }

    async fn search_groups(
        &self,
        query: &str,
        refresh: bool,
    ) -> Result<GroupSearch, ConnectionFailure> {
        let groups = self.directory_groups(refresh).await?;
        Ok(search_groups(&groups, query, GROUP_MATCHES_SHOWN))
    }

    async fn name_groups(&self, groups: &mut [GroupChoice]) {
        let directory = match self.directory_groups(false).await {
            Ok(directory) => directory,
            Err(e) => {
                return tracing::warn!(error = %e, "could not read the directory's group names");
            }
        };
        for group in groups.iter_mut().filter(|g| g.name.is_empty()) {
            if let Some(found) = directory.iter().find(|d| d.id == group.id) {
                group.name = found.name.clone();
            }
        }
    }

    async fn test_connection(&self) -> Result<ConnectionTest, StoreError> {
        let connection = self.current().await?;
        let simulated = matches!(connection, Connection::Demo(_));
        let target = match &connection {
            Connection::Demo(_) => "the simulated demo tenant".to_owned(),
            other => other.status().describe().replacen("Tenant", "tenant", 1),
        };
        let client = match connection.client(Self::test_policy()) {
            Ok(client) => client,
            Err(message) => {
                return Ok(ConnectionTest {
                    target,
                    simulated,
                    outcome: TestOutcome::NotConfigured { message },
                });
            }
        };
        let report = match client.check_permissions().await {
            Ok(report) => report,
            Err(e) => {
                return Ok(ConnectionTest {
                    target,
                    simulated,
                    outcome: TestOutcome::SignInFailed {
                        message: e.to_string(),
                    },
                });
            }
        };
        let read = |what: &str, result: Result<Option<u64>, crate::graph::GraphError>| ReadCheck {
            what: what.to_owned(),
            result: result.map_err(|e| e.to_string()),
        };
        let reads = vec![
            read("users", client.count_users().await),
            read("groups", client.count_groups().await),
        ];
        Ok(ConnectionTest {
            target,
            simulated,
            outcome: TestOutcome::SignedIn {
                tenant_id: report
                    .tenant_id
                    .unwrap_or_else(|| client.tenant_id().to_owned()),
                app_name: report.app_name,
                consent_granted: report.consent_granted,
                permissions: REQUIRED_PERMISSIONS
                    .into_iter()
                    .map(|name| PermissionCheck {
                        name: name.to_owned(),
                        granted: report.granted.contains(&name),
                    })
                    .collect(),
                reads,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(tenant: &str, cloud: Cloud, secret: bool) -> SavedConnection {
        SavedConnection {
            tenant_id: tenant.into(),
            client_id: "c".into(),
            cloud,
            sealed_secret: secret.then(|| "v1.sealed".into()),
            secret_set_at: None,
            secret_set_by: None,
        }
    }

    #[test]
    fn changes_name_each_field_and_never_the_secret() {
        let first = saved("t1", Cloud::Global, true);
        assert_eq!(
            describe_changes(None, &first, true),
            vec![
                "Tenant ID set to t1",
                "Client ID set to c",
                "Cloud set to Global",
                "Client secret set"
            ]
        );
        let moved = saved("t2", Cloud::China, true);
        assert_eq!(
            describe_changes(Some(&first), &moved, true),
            vec![
                "Tenant ID: t1 → t2",
                "Cloud: Global → China (21Vianet)",
                "Client secret replaced"
            ]
        );
        assert!(describe_changes(Some(&first), &first, false).is_empty());
    }
}
