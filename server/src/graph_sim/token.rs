//! The emulated sign-in endpoint: `POST /{tenant}/oauth2/v2.0/token` with
//! the errors and status codes Azure AD really sends (graph-api.md §1,
//! Appendix A items 1-2), and the v1-style app token it issues. Tokens are
//! signed with a key of this emulator (HS256) so that it can tell its own
//! tokens from forgeries; clients must not check signatures anyway.

use super::SimState;
use super::faults::Faults;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// What a real Graph token's audience is; the emulator accepts only this.
pub const GRAPH_AUDIENCE: &str = "https://graph.microsoft.com";
/// The roles a consented dirsync registration carries.
pub const DEFAULT_ROLES: [&str; 3] = ["User.Read.All", "Group.Read.All", "Directory.Read.All"];

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn sign(key: &[u8], data: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Issues an app-only token with v1 claims.
pub fn issue(state: &SimState, faults: &Faults) -> String {
    let reg = &state.registration;
    let now = now_secs();
    let mut claims = json!({
        "aud": GRAPH_AUDIENCE,
        "iss": format!("https://sts.windows.net/{}/", reg.tenant_id),
        "iat": now,
        "nbf": now,
        "exp": now.saturating_add(faults.token_lifetime_secs),
        "app_displayname": reg.app_display_name,
        "appid": reg.client_id,
        "appidacr": "1",
        "idtyp": "app",
        "oid": state.service_principal_id,
        "sub": state.service_principal_id,
        "tid": reg.tenant_id,
        "ver": "1.0",
    });
    if !faults.no_roles {
        let roles = faults
            .roles
            .clone()
            .unwrap_or_else(|| DEFAULT_ROLES.iter().map(|r| r.to_string()).collect());
        claims["roles"] = json!(roles);
    }
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"HS256"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signed = format!("{header}.{payload}");
    let signature = sign(&state.token_key(), &signed);
    format!("{signed}.{signature}")
}

/// Why a bearer token was refused, as Graph words it (graph-api.md §7).
#[derive(Debug, PartialEq, Eq)]
pub enum TokenProblem {
    Empty,
    Malformed,
    Expired,
    WrongAudience,
}

impl TokenProblem {
    pub fn message(&self) -> &'static str {
        match self {
            Self::Empty => "Access token is empty.",
            Self::Malformed => "CompactToken parsing failed with error code: 80049217",
            Self::Expired => "Access token has expired or is not yet valid.",
            Self::WrongAudience => "Access token validation failure. Invalid audience.",
        }
    }
}

/// Checks a bearer token; returns its `roles`.
pub fn validate(state: &SimState, headers: &HeaderMap) -> Result<Vec<String>, TokenProblem> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(TokenProblem::Empty)?;
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenProblem::Malformed);
    };
    if sign(&state.token_key(), &format!("{header}.{payload}")) != signature {
        return Err(TokenProblem::Malformed);
    }
    let claims: Value = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(TokenProblem::Malformed)?;
    if claims["aud"] != GRAPH_AUDIENCE {
        return Err(TokenProblem::WrongAudience);
    }
    let now = now_secs();
    let exp = claims["exp"].as_u64().unwrap_or(0);
    let nbf = claims["nbf"].as_u64().unwrap_or(u64::MAX);
    if now >= exp || now < nbf {
        return Err(TokenProblem::Expired);
    }
    Ok(claims["roles"]
        .as_array()
        .map(|roles| {
            roles
                .iter()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

/// An AADSTS error body (graph-api.md §1.4).
fn aadsts(status: StatusCode, error: &str, code: u64, description: &str) -> Response {
    let trace = uuid_like();
    let correlation = uuid_like();
    let timestamp = httpdate::fmt_http_date(SystemTime::now());
    let body = json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {description}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {timestamp}"),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
    });
    (
        status,
        [("content-type", "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

pub fn uuid_like() -> String {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).unwrap_or_default();
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// `POST /{tenant}/oauth2/v2.0/token`.
pub async fn token_endpoint(
    State(state): State<Arc<SimState>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    state.count_request();
    let faults = state.faults();
    faults.delay().await;
    let form: HashMap<String, String> = serde_urlencoded::from_str(&body).unwrap_or_default();
    let reg = &state.registration;

    // Basic auth is accepted in place of the form's id and secret (RFC 6749).
    let basic = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(a, b)| (a.to_owned(), b.to_owned())));
    let client_id = form
        .get("client_id")
        .cloned()
        .or_else(|| basic.as_ref().map(|b| b.0.clone()));
    let secret = form
        .get("client_secret")
        .cloned()
        .or_else(|| basic.as_ref().map(|b| b.1.clone()));

    if tenant.eq_ignore_ascii_case("common") || tenant.eq_ignore_ascii_case("consumers") {
        return aadsts(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            9_001_023,
            "The grant type isn't supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.",
        );
    }
    let domain = state
        .tenant
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .domain
        .clone();
    if !tenant.eq_ignore_ascii_case(&reg.tenant_id) && !tenant.eq_ignore_ascii_case(&domain) {
        return aadsts(
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
            90_002,
            &format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        );
    }
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return aadsts(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70_003,
            "The app requested an unsupported grant type.",
        );
    }
    let Some(client_id) = client_id else {
        return aadsts(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900_144,
            "The request body must contain the following parameter: 'client_id'.",
        );
    };
    if !client_id.eq_ignore_ascii_case(&reg.client_id) {
        return aadsts(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700_016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{domain}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."
            ),
        );
    }
    let scope = form.get("scope").map(String::as_str).unwrap_or_default();
    let resource = scope.strip_suffix("/.default");
    let own_root = state.graph_root(&headers);
    if scope.contains(' ') || !resource.is_some_and(|r| r == GRAPH_AUDIENCE || r == own_root) {
        return aadsts(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70_011,
            "The provided value for the input parameter 'scope' is not valid. The scope requested is not valid.",
        );
    }
    let Some(secret) = secret else {
        return aadsts(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            7_000_218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
    };
    if secret != reg.client_secret {
        return aadsts(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7_000_215,
            &format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.",
                reg.client_id
            ),
        );
    }
    if faults.expired_secret {
        return aadsts(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7_000_222,
            &format!(
                "The provided client secret keys for app '{}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.",
                reg.client_id
            ),
        );
    }
    let body = json!({
        "token_type": "Bearer",
        "expires_in": faults.token_lifetime_secs,
        "ext_expires_in": faults.token_lifetime_secs,
        "access_token": issue(&state, &faults),
    });
    (
        StatusCode::OK,
        [("content-type", "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}
