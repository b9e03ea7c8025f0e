//! What an admin types into the Azure AD connection form, and its
//! validation: the usual mistakes (the secret's ID for its Value, the
//! tenant ID in the client ID field, `common` for a tenant) get a message
//! that says so, at the field.

use super::Cloud;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A client secret on its way from the form to the server. It has no
/// `Display`, and its `Debug` never shows the value.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for encrypting it or signing in with it; nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() {
            "Secret(empty)"
        } else {
            "Secret([REDACTED])"
        })
    }
}

/// The form's fields, with their labels (tests find them by these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConnectionField {
    TenantId,
    ClientId,
    ClientSecret,
}

impl ConnectionField {
    pub fn label(self) -> &'static str {
        match self {
            Self::TenantId => "Tenant ID",
            Self::ClientId => "Client ID",
            Self::ClientSecret => "Client secret",
        }
    }

    /// The environment variable that wins over the field.
    pub fn env_var(self) -> &'static str {
        match self {
            Self::TenantId => "AZURE_TENANT_ID",
            Self::ClientId => "AZURE_CLIENT_ID",
            Self::ClientSecret => "AZURE_CLIENT_SECRET",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    pub field: ConnectionField,
    pub message: String,
}

/// The form as submitted. An empty secret keeps the one already set.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConnectionInput {
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub cloud: Cloud,
}

/// A checked connection; `None` for a field the environment supplies (the
/// form's value is ignored) and, for the secret, when the one set is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidConnection {
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub new_secret: Option<Secret>,
    pub cloud: Cloud,
}

/// A secret longer than this is not one Azure issued (theirs are 40).
const MAX_SECRET_LEN: usize = 512;
/// The longest DNS name.
const MAX_DOMAIN_LEN: usize = 253;
const GUID_EXAMPLE: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

impl ConnectionInput {
    /// Checks every field the admin may set: `from_env` lists the fields the
    /// environment supplies, `secret_is_set` whether an empty secret field
    /// keeps one. Every problem is reported, each at its field.
    pub fn validate(
        &self,
        from_env: &[ConnectionField],
        secret_is_set: bool,
    ) -> Result<ValidConnection, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut check = |field: ConnectionField, result: Result<String, String>| match result {
            _ if from_env.contains(&field) => None,
            Ok(value) => Some(value),
            Err(message) => {
                problems.push(FieldProblem { field, message });
                None
            }
        };
        let tenant_id = check(ConnectionField::TenantId, tenant_id(&self.tenant_id));
        let client_id = check(
            ConnectionField::ClientId,
            client_id(&self.client_id, &self.tenant_id),
        );
        let new_secret = check(
            ConnectionField::ClientSecret,
            client_secret(self.client_secret.expose(), secret_is_set)
                .map(|s| s.unwrap_or_default()),
        )
        .filter(|s| !s.is_empty())
        .map(Secret::new);
        if problems.is_empty() {
            Ok(ValidConnection {
                tenant_id,
                client_id,
                new_secret,
                cloud: self.cloud,
            })
        } else {
            Err(problems)
        }
    }
}

/// A GUID in its usual 8-4-4-4-12 form, lowercased.
pub fn parse_guid(value: &str) -> Option<String> {
    let value = value.trim().trim_start_matches('{').trim_end_matches('}');
    let groups: Vec<&str> = value.split('-').collect();
    let shape_ok = groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.chars().all(|c| c.is_ascii_hexdigit()));
    shape_ok.then(|| value.to_ascii_lowercase())
}

/// A DNS name such as `contoso.onmicrosoft.com`, lowercased.
fn parse_domain(value: &str) -> Option<String> {
    let value = value.trim().trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = value.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let top_level_ok = labels
        .last()
        .is_some_and(|tld| tld.chars().any(|c| c.is_ascii_alphabetic()));
    (value.len() <= MAX_DOMAIN_LEN
        && labels.len() >= 2
        && labels.iter().all(label_ok)
        && top_level_ok)
        .then_some(value)
}

fn tenant_id(value: &str) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err("Enter the Directory (tenant) ID from the app registration's Overview page, or your tenant's domain.".into());
    }
    if ["common", "organizations", "consumers"]
        .iter()
        .any(|shared| trimmed.eq_ignore_ascii_case(shared))
    {
        return Err(format!(
            "'{trimmed}' is not one tenant: an app signs in as itself only in its own tenant. Enter your Directory (tenant) ID or domain."
        ));
    }
    parse_guid(trimmed).or_else(|| parse_domain(trimmed)).ok_or_else(|| {
        format!(
            "A tenant ID is a GUID like {GUID_EXAMPLE}, or a domain like contoso.onmicrosoft.com."
        )
    })
}

fn client_id(value: &str, tenant: &str) -> Result<String, String> {
    if value.trim().is_empty() {
        return Err(
            "Enter the Application (client) ID from the app registration's Overview page.".into(),
        );
    }
    let guid = parse_guid(value).ok_or_else(|| {
        format!("The Application (client) ID is a GUID like {GUID_EXAMPLE}, from the app registration's Overview page.")
    })?;
    if parse_guid(tenant).as_deref() == Some(guid.as_str()) {
        return Err("This is the tenant ID. The Application (client) ID is the other GUID on the app registration's Overview page.".into());
    }
    Ok(guid)
}

/// `Ok(None)`: the field was left empty and the secret set is kept.
fn client_secret(value: &str, secret_is_set: bool) -> Result<Option<String>, String> {
    let value = value.trim();
    if value.is_empty() {
        return if secret_is_set {
            Ok(None)
        } else {
            Err("Enter the client secret's Value, from Certificates & secrets in the app registration.".into())
        };
    }
    if parse_guid(value).is_some() {
        return Err("This looks like the secret's ID, a GUID. Paste its Value instead: the Value column, shown only right after the secret is created.".into());
    }
    if value.len() > MAX_SECRET_LEN {
        return Err(format!(
            "A client secret is at most {MAX_SECRET_LEN} characters; this is not one."
        ));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("A client secret has no spaces or line breaks. Copy its Value again.".into());
    }
    Ok(Some(value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConnectionField::*;

    const TENANT: &str = "72F988BF-86F1-41AF-91AB-2D7CD011DB47";
    const CLIENT: &str = "00000000-0000-4000-8000-000000000abc";

    fn input(tenant: &str, client: &str, secret: &str) -> ConnectionInput {
        ConnectionInput {
            tenant_id: tenant.into(),
            client_id: client.into(),
            client_secret: Secret::new(secret),
            cloud: Cloud::UsGovernment,
        }
    }

    fn problems(input: &ConnectionInput, secret_is_set: bool) -> Vec<(ConnectionField, String)> {
        input
            .validate(&[], secret_is_set)
            .unwrap_err()
            .into_iter()
            .map(|p| (p.field, p.message))
            .collect()
    }

    #[test]
    fn a_complete_form_is_normalized() {
        let valid = input(&format!(" {TENANT} "), CLIENT, " abc8Q~secret.value ")
            .validate(&[], false)
            .unwrap();
        assert_eq!(
            valid.tenant_id.as_deref(),
            Some("72f988bf-86f1-41af-91ab-2d7cd011db47")
        );
        assert_eq!(valid.client_id.as_deref(), Some(CLIENT));
        assert_eq!(valid.new_secret, Some(Secret::new("abc8Q~secret.value")));
        assert_eq!(valid.cloud, Cloud::UsGovernment);
        let domain = input("Contoso.OnMicrosoft.com", CLIENT, "x")
            .validate(&[], false)
            .unwrap();
        assert_eq!(domain.tenant_id.as_deref(), Some("contoso.onmicrosoft.com"));
    }

    #[test]
    fn an_empty_secret_keeps_the_one_set_and_is_required_otherwise() {
        let kept = input(TENANT, CLIENT, "").validate(&[], true).unwrap();
        assert_eq!(kept.new_secret, None);
        let missing = problems(&input(TENANT, CLIENT, "  "), false);
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].0, ClientSecret);
        assert!(missing[0].1.contains("Value"));
    }

    #[test]
    fn common_mistakes_are_named_at_their_field() {
        let all = problems(&input("common", "not-a-guid", CLIENT), false);
        let fields: Vec<_> = all.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, vec![TenantId, ClientId, ClientSecret]);
        assert!(all[0].1.contains("not one tenant"));
        assert!(all[1].1.contains("GUID"));
        assert!(all[2].1.contains("secret's ID"), "{}", all[2].1);

        let swapped = problems(&input(TENANT, &TENANT.to_lowercase(), "x"), false);
        assert!(swapped[0].1.contains("This is the tenant ID"));
        let spaced = problems(&input(TENANT, CLIENT, "abc def"), false);
        assert!(spaced[0].1.contains("no spaces"));
        let long = problems(&input(TENANT, CLIENT, &"x".repeat(513)), false);
        assert!(long[0].1.contains("at most 512"));
    }

    #[test]
    fn tenants_are_guids_or_domains() {
        for bad in [
            "",
            "contoso",
            "-bad.com",
            "a..b",
            "72f988bf-86f1-41af-91ab",
            "https://login.microsoftonline.com/x",
            "1.2.3.4",
        ] {
            assert!(tenant_id(bad).is_err(), "{bad:?} was accepted");
        }
        for good in [
            "contoso.onmicrosoft.com",
            "fabrikam.com",
            "{72f988bf-86f1-41af-91ab-2d7cd011db47}",
        ] {
            assert!(tenant_id(good).is_ok(), "{good:?} was refused");
        }
    }

    #[test]
    fn fields_from_the_environment_are_not_checked() {
        let valid = input("", "", "")
            .validate(&[TenantId, ClientId, ClientSecret], false)
            .unwrap();
        assert_eq!(
            (valid.tenant_id, valid.client_id, valid.new_secret),
            (None, None, None)
        );
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let printed = format!("{:?}", input(TENANT, CLIENT, "s3cr3t~value"));
        assert!(!printed.contains("s3cr3t"), "{printed}");
        assert!(printed.contains("REDACTED"));
    }
}
