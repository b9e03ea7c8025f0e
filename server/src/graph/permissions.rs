//! Which of the permissions dirsync needs did the admin grant? Read from the
//! token's `roles` claim (graph-api.md §1.5). Graph tokens are opaque to
//! clients and are not signature-checked here; the claims only inform the
//! admin. No `roles` claim at all means admin consent was never granted.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

pub use app::domain::connection::report::REQUIRED_PERMISSIONS;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionReport {
    /// The tenant the token was issued for (`tid`).
    pub tenant_id: Option<String>,
    /// `app_displayname`, when present.
    pub app_name: Option<String>,
    /// False when the token had no `roles` claim at all.
    pub consent_granted: bool,
    pub granted: Vec<&'static str>,
    pub missing: Vec<&'static str>,
}

#[derive(Deserialize)]
struct Claims {
    tid: Option<String>,
    app_displayname: Option<String>,
    roles: Option<Vec<String>>,
}

/// Reads the claims of an access token; `None` when it is not a JWT.
pub fn inspect_token(access_token: &str) -> Option<PermissionReport> {
    let payload = access_token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: Claims = serde_json::from_slice(&bytes).ok()?;
    let roles = claims.roles.as_deref().unwrap_or_default();
    let has = |p: &str| roles.iter().any(|r| r.eq_ignore_ascii_case(p));
    Some(PermissionReport {
        tenant_id: claims.tid,
        app_name: claims.app_displayname,
        consent_granted: claims.roles.is_some(),
        granted: REQUIRED_PERMISSIONS
            .into_iter()
            .filter(|p| has(p))
            .collect(),
        missing: REQUIRED_PERMISSIONS
            .into_iter()
            .filter(|p| !has(p))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(claims: serde_json::Value) -> String {
        let enc = |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
        format!(
            "{}.{}.sig",
            enc(&serde_json::json!({"typ": "JWT", "alg": "RS256"})),
            enc(&claims)
        )
    }

    #[test]
    fn reports_granted_and_missing_roles() {
        let t = token(
            serde_json::json!({"tid": "t1", "roles": ["User.Read.All", "Mail.Send"], "app_displayname": "dirsync"}),
        );
        let r = inspect_token(&t).unwrap();
        assert!(r.consent_granted);
        assert_eq!(r.granted, vec!["User.Read.All"]);
        assert_eq!(r.missing, vec!["Group.Read.All", "Directory.Read.All"]);
        assert_eq!(r.tenant_id.as_deref(), Some("t1"));
        assert_eq!(r.app_name.as_deref(), Some("dirsync"));
    }

    #[test]
    fn no_roles_claim_means_no_consent() {
        let r = inspect_token(&token(serde_json::json!({"tid": "t1"}))).unwrap();
        assert!(!r.consent_granted);
        assert_eq!(r.missing.len(), 3);
        assert!(inspect_token("not-a-jwt").is_none());
        assert!(inspect_token("a.!!!.c").is_none());
    }
}
