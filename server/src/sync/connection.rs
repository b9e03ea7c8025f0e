//! Where a sync reads the directory from: the demo's simulated tenant,
//! served by this same process over HTTP (so the real client code runs), or
//! the tenant the environment configures. In demo mode nothing else is ever
//! contacted, whatever else is configured.

use crate::config::Config;
use crate::graph::{Cloud, Credentials, Endpoints, GraphClient, GraphError, RetryPolicy};
use crate::graph_sim::GraphSim;
use app::domain::sync::view::ConnectionStatus;
use secrecy::SecretString;
use std::net::SocketAddr;

/// What to tell an admin when there is nothing to connect to.
pub const NOT_CONFIGURED: &str = "No Azure AD connection is configured. Set AZURE_TENANT_ID, \
     AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for the server (see the README), or start it \
     with DIRSYNC_DEMO=1 to try the simulated tenant.";

#[derive(Clone)]
pub enum Connection {
    /// The emulator, at `graph_root` (this process's own address).
    Demo {
        sim: GraphSim,
        graph_root: String,
    },
    Configured {
        credentials: Credentials,
        endpoints: Endpoints,
    },
    None,
}

impl Connection {
    /// The demo tenant served by the app listening on `app_addr`.
    pub fn demo(sim: GraphSim, app_addr: SocketAddr) -> Self {
        let mut addr = app_addr;
        // Listening on every interface: talk to ourselves over loopback.
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        Self::Demo {
            sim,
            graph_root: format!("http://{addr}{}", crate::DEMO_GRAPH_PREFIX),
        }
    }

    /// The tenant configured by `AZURE_*` (and the endpoint overrides).
    pub fn from_config(config: &Config) -> Self {
        match &config.azure_credentials {
            Some(credentials) => Self::Configured {
                credentials: credentials.clone(),
                endpoints: Endpoints::for_cloud(Cloud::Global).with_overrides(
                    config.authority_host.as_deref(),
                    config.graph_base_url.as_deref(),
                ),
            },
            None => Self::None,
        }
    }

    pub fn status(&self) -> ConnectionStatus {
        match self {
            Self::Demo { .. } => ConnectionStatus::Demo,
            Self::Configured {
                credentials,
                endpoints,
            } => ConnectionStatus::Tenant {
                tenant_id: credentials.tenant_id.clone(),
                cloud: cloud_name(endpoints),
                from_environment: true,
            },
            Self::None => ConnectionStatus::NotConfigured,
        }
    }

    /// A client for this connection; `None` when nothing is configured.
    pub fn client(&self) -> Result<Option<GraphClient>, GraphError> {
        let (endpoints, credentials) = match self {
            Self::Demo { sim, graph_root } => {
                let reg = sim.registration();
                (
                    Endpoints::for_cloud(Cloud::Global)
                        .with_overrides(Some(graph_root), Some(graph_root)),
                    Credentials {
                        tenant_id: reg.tenant_id.clone(),
                        client_id: reg.client_id.clone(),
                        client_secret: SecretString::from(reg.client_secret.clone()),
                    },
                )
            }
            Self::Configured {
                credentials,
                endpoints,
            } => (endpoints.clone(), credentials.clone()),
            Self::None => return Ok(None),
        };
        GraphClient::new(endpoints, credentials, RetryPolicy::default()).map(Some)
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
