//! Which Microsoft cloud to talk to: its sign-in host and its Graph root
//! (graph-api.md §1.1). `AZURE_AUTHORITY_HOST` and `GRAPH_BASE_URL` override
//! them, which is also how the client is pointed at the emulator.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Cloud {
    #[default]
    Global,
    UsGovernment,
    China,
}

impl Cloud {
    pub const ALL: [Cloud; 3] = [Cloud::Global, Cloud::UsGovernment, Cloud::China];

    pub fn authority_host(self) -> &'static str {
        match self {
            Self::Global => "https://login.microsoftonline.com",
            Self::UsGovernment => "https://login.microsoftonline.us",
            // Entra's national-cloud page; Graph's deployments page names
            // login.chinacloudapi.cn instead (graph-api.md §1.1).
            Self::China => "https://login.partner.microsoftonline.cn",
        }
    }

    pub fn graph_root(self) -> &'static str {
        match self {
            Self::Global => "https://graph.microsoft.com",
            Self::UsGovernment => "https://graph.microsoft.us",
            Self::China => "https://microsoftgraph.chinacloudapi.cn",
        }
    }

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

/// The two roots a client needs, without trailing slashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub authority_host: String,
    pub graph_root: String,
}

impl Endpoints {
    pub fn for_cloud(cloud: Cloud) -> Self {
        Self {
            authority_host: cloud.authority_host().to_owned(),
            graph_root: cloud.graph_root().to_owned(),
        }
    }

    /// Applies `AZURE_AUTHORITY_HOST` / `GRAPH_BASE_URL` style overrides.
    pub fn with_overrides(
        mut self,
        authority_host: Option<&str>,
        graph_root: Option<&str>,
    ) -> Self {
        if let Some(host) = authority_host.map(str::trim).filter(|h| !h.is_empty()) {
            self.authority_host = host.trim_end_matches('/').to_owned();
        }
        if let Some(root) = graph_root.map(str::trim).filter(|r| !r.is_empty()) {
            self.graph_root = root
                .trim_end_matches('/')
                .trim_end_matches("/v1.0")
                .to_owned();
        }
        self
    }

    pub fn token_url(&self, tenant: &str) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.authority_host, tenant)
    }

    /// The `scope` of a client-credentials request: the Graph root's `.default`.
    pub fn scope(&self) -> String {
        format!("{}/.default", self.graph_root)
    }

    pub fn v1(&self, path: &str) -> String {
        format!("{}/v1.0/{}", self.graph_root, path.trim_start_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cloud_has_its_own_hosts() {
        let gov = Endpoints::for_cloud(Cloud::UsGovernment);
        assert_eq!(
            gov.token_url("contoso.onmicrosoft.us"),
            "https://login.microsoftonline.us/contoso.onmicrosoft.us/oauth2/v2.0/token"
        );
        assert_eq!(gov.scope(), "https://graph.microsoft.us/.default");
        let china = Endpoints::for_cloud(Cloud::China);
        assert_eq!(
            china.v1("users"),
            "https://microsoftgraph.chinacloudapi.cn/v1.0/users"
        );
        for cloud in Cloud::ALL {
            assert_eq!(Cloud::parse(cloud.as_str()), Some(cloud));
        }
        assert_eq!(Cloud::parse("US Government"), Some(Cloud::UsGovernment));
        assert_eq!(Cloud::parse("mars"), None);
    }

    #[test]
    fn overrides_replace_the_roots() {
        let e = Endpoints::for_cloud(Cloud::Global).with_overrides(
            Some("http://127.0.0.1:9000/"),
            Some("http://127.0.0.1:9000/v1.0/"),
        );
        assert_eq!(
            e.token_url("t"),
            "http://127.0.0.1:9000/t/oauth2/v2.0/token"
        );
        assert_eq!(e.v1("/users"), "http://127.0.0.1:9000/v1.0/users");
        assert_eq!(e.scope(), "http://127.0.0.1:9000/.default");
        let unchanged = Endpoints::for_cloud(Cloud::Global).with_overrides(Some(" "), None);
        assert_eq!(unchanged, Endpoints::for_cloud(Cloud::Global));
    }
}
