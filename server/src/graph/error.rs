//! Everything that can go wrong talking to Microsoft, worded for the admin
//! who has to fix it. Built from the `error` / `error_codes` of the sign-in
//! endpoint and the `code` of Graph errors, never from message text
//! (graph-api.md §1.4, §7). No variant can hold the client secret.

use std::fmt;
use std::time::Duration;

/// Why the sign-in endpoint refused the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInFailure {
    /// AADSTS7000215.
    WrongSecret,
    /// AADSTS7000222.
    ExpiredSecret,
    /// AADSTS90002: no such tenant in this cloud.
    TenantNotFound { tenant: String },
    /// AADSTS700016: no such application in the tenant.
    AppNotFound { client_id: String },
    /// AADSTS70011 / 700022: the scope was refused.
    InvalidScope,
    /// Anything else: the OAuth `error` and the AADSTS codes, for support.
    Other { error: String, codes: Vec<u64> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphError {
    SignIn(SignInFailure),
    /// 403 `Authorization_RequestDenied`: the app lacks a permission, or
    /// admin consent was never granted.
    MissingConsent {
        permission: &'static str,
    },
    /// 401 even with a freshly issued token.
    NotAuthenticated {
        code: String,
    },
    /// 429 or 503/504 until the retry budget ran out.
    GaveUp {
        attempts: u32,
        waited: Duration,
        last: String,
    },
    /// The connection failed or timed out, and retries ran out.
    Unreachable {
        attempts: u32,
        waited: Duration,
        detail: String,
    },
    /// The answer was not the JSON Graph documents.
    Malformed {
        detail: String,
    },
    /// Any other status, with Graph's error code when it sent one.
    Unexpected {
        status: u16,
        code: Option<String>,
    },
    /// 404 for something that is expected to exist.
    NotFound {
        what: String,
    },
    /// A paged read that could not be followed safely.
    Paging(PagingFault),
}

/// Why a paged read stopped before its last page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PagingFault {
    /// An `@odata.nextLink` outside the configured Graph root: it was not
    /// requested, so the token never went there.
    ForeignLink {
        link_origin: String,
        graph_root: String,
    },
    /// A link that was already followed came again: the read would loop.
    RepeatedLink { pages: u32 },
    /// More pages than any directory needs.
    TooManyPages { limit: u32 },
}

fn wait_text(waited: Duration) -> String {
    let secs = waited.as_secs();
    if secs < 120 {
        format!("{secs} seconds")
    } else {
        format!("{} minutes", secs.div_ceil(60))
    }
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SignIn(SignInFailure::WrongSecret) => f.write_str(
                "Azure AD refused the client secret (AADSTS7000215). Use the secret's Value, not its ID: \
                 in the Azure portal, under App registrations > your app > Certificates & secrets, \
                 copy the Value column when you create a secret.",
            ),
            Self::SignIn(SignInFailure::ExpiredSecret) => f.write_str(
                "The client secret has expired (AADSTS7000222). Create a new secret under App registrations > \
                 your app > Certificates & secrets, and enter its Value as the Client secret under Settings > \
                 Azure AD connection.",
            ),
            Self::SignIn(SignInFailure::TenantNotFound { tenant }) => write!(
                f,
                "Tenant '{tenant}' was not found (AADSTS90002). Check the Directory (tenant) ID on the app's \
                 Overview page, and that the cloud setting (Global, US Government, China) matches your tenant."
            ),
            Self::SignIn(SignInFailure::AppNotFound { client_id }) => write!(
                f,
                "Application '{client_id}' was not found in this tenant (AADSTS700016). Check the Application \
                 (client) ID on the app's Overview page, and that the app is registered in this tenant."
            ),
            Self::SignIn(SignInFailure::InvalidScope) => {
                f.write_str("Azure AD refused the requested scope. Check that the Graph address matches the cloud.")
            }
            Self::SignIn(SignInFailure::Other { error, codes }) => {
                let codes = codes.iter().map(|c| format!("AADSTS{c}")).collect::<Vec<_>>().join(", ");
                write!(f, "Azure AD refused the sign-in ({error}{}{codes}).", if codes.is_empty() { "" } else { ": " })
            }
            Self::MissingConsent { permission } => write!(
                f,
                "The app is not allowed to read this data: it needs the {permission} application permission \
                 with admin consent. In the Azure portal, open App registrations > your app > API permissions, \
                 add Microsoft Graph > Application permissions > {permission}, then click \
                 \"Grant admin consent\"."
            ),
            Self::NotAuthenticated { code } => write!(
                f,
                "Microsoft Graph did not accept the app's token ({code}). Check that the cloud setting matches \
                 your tenant."
            ),
            Self::GaveUp { attempts, waited, last } => write!(
                f,
                "Microsoft Graph kept answering {last} after {attempts} attempts over {}; it is throttling or \
                 unavailable. Try again later.",
                wait_text(*waited)
            ),
            Self::Unreachable { attempts, waited, detail } => write!(
                f,
                "Could not reach Microsoft after {attempts} attempts over {} ({detail}). Check the server's \
                 network access to the sign-in and Graph addresses.",
                wait_text(*waited)
            ),
            Self::Malformed { detail } => {
                write!(f, "Microsoft Graph sent an answer dirsync could not read ({detail}).")
            }
            Self::Unexpected { status, code } => match code {
                Some(code) => write!(f, "Microsoft Graph answered HTTP {status} ({code})."),
                None => write!(f, "Microsoft Graph answered HTTP {status}."),
            },
            Self::NotFound { what } => write!(f, "Microsoft Graph has no {what}."),
            Self::Paging(PagingFault::ForeignLink { link_origin, graph_root }) => write!(
                f,
                "Microsoft Graph sent a next-page link to {link_origin}, which is not the Graph address \
                 dirsync is configured with ({graph_root}). It was not followed, so the app's token was \
                 not sent there, and the read stopped. Check GRAPH_BASE_URL and the cloud setting."
            ),
            Self::Paging(PagingFault::RepeatedLink { pages }) => write!(
                f,
                "Microsoft Graph sent a next-page link it had already sent, after {pages} pages, so the \
                 read would never end; it stopped. Try again later."
            ),
            Self::Paging(PagingFault::TooManyPages { limit }) => write!(
                f,
                "The read stopped after {limit} pages, more than any directory needs: Microsoft Graph \
                 may be paging in a loop. Try again later."
            ),
        }
    }
}

impl std::error::Error for GraphError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_tell_the_admin_what_to_do() {
        assert!(
            GraphError::SignIn(SignInFailure::WrongSecret)
                .to_string()
                .contains("Value, not its ID")
        );
        assert!(
            GraphError::SignIn(SignInFailure::ExpiredSecret)
                .to_string()
                .contains("expired")
        );
        let missing = GraphError::MissingConsent {
            permission: "User.Read.All",
        }
        .to_string();
        assert!(missing.contains("User.Read.All") && missing.contains("Grant admin consent"));
        let gave_up = GraphError::GaveUp {
            attempts: 5,
            waited: Duration::from_secs(75),
            last: "429 Too Many Requests".into(),
        };
        assert!(
            gave_up.to_string().contains("5 attempts over 75 seconds"),
            "{gave_up}"
        );
        let other = GraphError::SignIn(SignInFailure::Other {
            error: "invalid_request".into(),
            codes: vec![900144],
        });
        assert_eq!(
            other.to_string(),
            "Azure AD refused the sign-in (invalid_request: AADSTS900144)."
        );
    }
}
