//! The Azure AD connection: which tenant and app registration dirsync signs
//! in as, where each value comes from (saved on the Settings page, the
//! server's environment, or the demo's simulation), and what the page shows
//! of it. The secret itself never appears here: only whether one is set.

pub mod input;
pub mod report;
pub mod secret_expiry;

pub use input::{ConnectionField, ConnectionInput, FieldProblem, Secret, ValidConnection};
pub use report::{ConnectionTest, PermissionCheck, ReadCheck, TestOutcome};
pub use secret_expiry::{ExpiryLevel, ExpiryNotice, SecretExpiry, SecretExpiryView};

use serde::{Deserialize, Serialize};
use std::fmt;

/// Which Microsoft cloud the tenant lives in; each has its own sign-in and
/// Graph hosts (the server maps them, graph-api.md §1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Cloud {
    #[default]
    Global,
    UsGovernment,
    China,
}

impl Cloud {
    pub const ALL: [Cloud; 3] = [Cloud::Global, Cloud::UsGovernment, Cloud::China];

    /// The stored name, also accepted from configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Global => "global",
            Self::UsGovernment => "us_government",
            Self::China => "china",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value
            .trim()
            .to_ascii_lowercase()
            .replace(['-', ' '], "_")
            .as_str()
        {
            "global" | "public" | "azurepubliccloud" => Some(Self::Global),
            "us_government" | "usgov" | "gcc_high" | "azureusgovernment" => {
                Some(Self::UsGovernment)
            }
            "china" | "azurechinacloud" => Some(Self::China),
            _ => None,
        }
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Global => "Global",
            Self::UsGovernment => "US Government",
            Self::China => "China (21Vianet)",
        })
    }
}

/// What an import reads from right now, in one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConnectionStatus {
    /// The emulator's tenant, served by this process.
    Demo,
    /// A real tenant: its id and the cloud, and whether any of the values
    /// come from the environment.
    Tenant {
        tenant_id: String,
        cloud: String,
        from_environment: bool,
    },
    /// Nothing to connect to; the text says what to configure.
    NotConfigured,
}

impl ConnectionStatus {
    /// "Demo tenant (simulated)", or the tenant and cloud.
    pub fn describe(&self) -> String {
        match self {
            Self::Demo => "Demo tenant (simulated)".to_owned(),
            Self::Tenant {
                tenant_id, cloud, ..
            } => format!("Tenant {tenant_id} ({cloud})"),
            Self::NotConfigured => "Not configured".to_owned(),
        }
    }
}

/// Why the demo runs, which decides whether the form can change anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DemoMode {
    /// `DIRSYNC_DEMO=1`: the simulation, whatever is saved.
    Forced,
    /// `DIRSYNC_DEMO` unset: the simulation until a connection is complete.
    UntilConfigured,
    /// `DIRSYNC_DEMO=0`: never.
    Off,
}

/// One value of the connection as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ShownValue {
    pub value: String,
    /// The environment variable it comes from; the field is then read-only.
    pub env_var: Option<String>,
}

/// Whether a client secret is set, and since when: never its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SecretState {
    NotSet,
    Saved {
        set_at: i64,
        set_by: String,
    },
    /// Saved, but this server's key cannot decrypt it (the key changed).
    Unreadable {
        set_at: i64,
        set_by: String,
    },
    Environment,
}

impl SecretState {
    /// Whether a secret is there to keep when the form leaves the field empty.
    pub fn is_set(&self) -> bool {
        matches!(self, Self::Saved { .. } | Self::Environment)
    }
}

/// The Settings page's Azure AD connection section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionSettings {
    /// What imports use now.
    pub status: ConnectionStatus,
    pub demo: DemoMode,
    pub tenant_id: ShownValue,
    pub client_id: ShownValue,
    pub secret: SecretState,
    pub cloud: Cloud,
    /// `AZURE_AUTHORITY_HOST` / `GRAPH_BASE_URL`, when they replace the
    /// cloud's addresses.
    pub endpoint_overrides: Vec<String>,
    /// A connection is saved in the database (and can be removed).
    pub saved: bool,
}

impl ConnectionSettings {
    /// The form is read-only in a forced demo: nothing saved would be used.
    pub fn editable(&self) -> bool {
        self.demo != DemoMode::Forced
    }

    /// Where the values come from, in a sentence for the page.
    pub fn source_note(&self) -> String {
        let env_vars: Vec<&str> = [&self.tenant_id, &self.client_id]
            .into_iter()
            .filter_map(|v| v.env_var.as_deref())
            .chain((self.secret == SecretState::Environment).then_some("AZURE_CLIENT_SECRET"))
            .collect();
        match (&self.status, self.demo) {
            (ConnectionStatus::Demo, DemoMode::Forced) => "Demo mode (DIRSYNC_DEMO=1): imports read a simulated tenant served by this server, and nothing reaches Microsoft. Restart the server without DIRSYNC_DEMO to connect your tenant.".to_owned(),
            (ConnectionStatus::Demo, _) => "Demo mode: until you save your tenant's connection below, imports read a simulated tenant served by this server, and nothing reaches Microsoft.".to_owned(),
            (ConnectionStatus::NotConfigured, _) => "Not configured: enter the tenant, client ID and client secret of your app registration below.".to_owned(),
            (ConnectionStatus::Tenant { .. }, _) if env_vars.is_empty() => "Saved on this page.".to_owned(),
            (ConnectionStatus::Tenant { .. }, _) => format!(
                "{} {} set in the server's environment, which wins over this page.",
                env_vars.join(", "),
                if env_vars.len() == 1 { "is" } else { "are" }
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(status: ConnectionStatus, demo: DemoMode) -> ConnectionSettings {
        ConnectionSettings {
            status,
            demo,
            tenant_id: ShownValue::default(),
            client_id: ShownValue::default(),
            secret: SecretState::NotSet,
            cloud: Cloud::Global,
            endpoint_overrides: vec![],
            saved: false,
        }
    }

    #[test]
    fn clouds_round_trip_through_their_stored_names() {
        for cloud in Cloud::ALL {
            assert_eq!(Cloud::parse(cloud.as_str()), Some(cloud));
        }
        assert_eq!(Cloud::parse("US Government"), Some(Cloud::UsGovernment));
        assert_eq!(Cloud::parse("mars"), None);
    }

    #[test]
    fn the_page_says_where_the_values_come_from() {
        let forced = settings(ConnectionStatus::Demo, DemoMode::Forced);
        assert!(!forced.editable());
        assert!(forced.source_note().contains("DIRSYNC_DEMO=1"));
        let until = settings(ConnectionStatus::Demo, DemoMode::UntilConfigured);
        assert!(until.editable());
        assert!(until.source_note().contains("until you save"));
        let tenant = ConnectionStatus::Tenant {
            tenant_id: "t".into(),
            cloud: "Global".into(),
            from_environment: true,
        };
        let mut env = settings(tenant, DemoMode::Off);
        env.tenant_id.env_var = Some("AZURE_TENANT_ID".into());
        env.secret = SecretState::Environment;
        assert_eq!(
            env.source_note(),
            "AZURE_TENANT_ID, AZURE_CLIENT_SECRET are set in the server's environment, which wins over this page."
        );
        env.tenant_id.env_var = None;
        assert!(env.source_note().starts_with("AZURE_CLIENT_SECRET is set"));
        env.secret = SecretState::Saved {
            set_at: 0,
            set_by: "a".into(),
        };
        assert_eq!(env.source_note(), "Saved on this page.");
    }
}
