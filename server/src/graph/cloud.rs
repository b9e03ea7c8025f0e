//! Which Microsoft cloud to talk to: its sign-in host and its Graph root
//! (graph-api.md §1.1). `AZURE_AUTHORITY_HOST` and `GRAPH_BASE_URL` override
//! them, which is also how the client is pointed at the emulator.

pub use app::domain::connection::Cloud;

/// Each cloud's sign-in host and Graph root.
pub trait CloudHosts {
    fn authority_host(self) -> &'static str;
    fn graph_root(self) -> &'static str;
}

impl CloudHosts for Cloud {
    fn authority_host(self) -> &'static str {
        match self {
            Self::Global => "https://login.microsoftonline.com",
            Self::UsGovernment => "https://login.microsoftonline.us",
            // Entra's national-cloud page; Graph's deployments page names
            // login.chinacloudapi.cn instead (graph-api.md §1.1).
            Self::China => "https://login.partner.microsoftonline.cn",
        }
    }

    fn graph_root(self) -> &'static str {
        match self {
            Self::Global => "https://graph.microsoft.com",
            Self::UsGovernment => "https://graph.microsoft.us",
            Self::China => "https://microsoftgraph.chinacloudapi.cn",
        }
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
