//! The app registration: tenant, client id and the client secret. The secret
//! is a `SecretString`: its `Debug` prints `[REDACTED]`, and it is exposed
//! only to build the token request's form body.

use secrecy::SecretString;

#[derive(Debug, Clone)]
pub struct Credentials {
    /// A GUID or a verified domain (`contoso.onmicrosoft.com`).
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: SecretString,
}

impl Credentials {
    /// From `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and `AZURE_CLIENT_SECRET`,
    /// when all three are set.
    pub fn from_env() -> Option<Self> {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        Some(Self {
            tenant_id: var("AZURE_TENANT_ID")?,
            client_id: var("AZURE_CLIENT_ID")?,
            client_secret: SecretString::from(var("AZURE_CLIENT_SECRET")?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let c = Credentials {
            tenant_id: "t".into(),
            client_id: "c".into(),
            client_secret: SecretString::from("s3cr3t-value~ABC".to_owned()),
        };
        let printed = format!("{c:?}");
        assert!(!printed.contains("s3cr3t"), "{printed}");
        assert!(printed.contains("REDACTED"), "{printed}");
    }
}
