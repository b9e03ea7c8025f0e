//! The app registration: tenant, client id and the client secret, from the
//! Settings page or the `AZURE_*` variables (see `sync/connection.rs`). The secret
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
