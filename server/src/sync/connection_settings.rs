//! The Settings page's side of the connection: the `AzureConnection` port
//! over [`ConnectionService`] (what the page shows, saving, removing, Test
//! connection, the group search) and the record of what changed.

use super::connection::{Connection, ConnectionService, FORCED_DEMO, SECRET_CONTEXT};
use crate::graph::REQUIRED_PERMISSIONS;
use crate::store::{SavedConnection, now_millis};
use app::domain::connection::{
    ConnectionField, ConnectionInput, ConnectionSettings, ConnectionTest, DemoMode,
    PermissionCheck, ReadCheck, SecretExpiryView, ShownValue, TestOutcome,
};
use app::domain::settings::{GROUP_MATCHES_SHOWN, GroupChoice, GroupSearch, search_groups};
use app::services::{AzureConnection, ConnectionFailure, StoreError};
use async_trait::async_trait;
use secrecy::ExposeSecret;

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

    async fn secret_expiry_view(&self) -> Result<SecretExpiryView, StoreError> {
        let saved = self.store.saved_connection().await?;
        let connection = self.resolve(saved.as_ref());
        let expiry = self.secret_expiry(&connection).await?;
        Ok(SecretExpiryView {
            applies: self.secret_key(&connection).is_some(),
            notice: expiry
                .as_ref()
                .and_then(|e| e.notice(now_millis(), self.secret_in_environment())),
            expiry,
        })
    }

    async fn set_secret_expiry(
        &self,
        admin: &str,
        expires_at: Option<i64>,
    ) -> Result<Vec<String>, ConnectionFailure> {
        self.enter_secret_expiry(admin, expires_at).await
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
        // The secret's expiry, kept for Settings and Import Users; a failed
        // read is kept with its reason and does not fail the test.
        self.read_secret_expiry(&connection, &client).await?;
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
    use app::domain::connection::Cloud;

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
