//! The Graph emulator: a stateful, faithful stand-in for Azure AD's sign-in
//! endpoint and the Microsoft Graph v1.0 directory endpoints dirsync reads,
//! following shared/docs/graph-api.md. Every test and the demo talk to it
//! over real HTTP, through the same client code that talks to Microsoft.
//!
//! Runs standalone (`graph-sim`), in tests on port 0, or mounted inside the
//! app in demo mode. Its control API (`/_sim/...`) changes the tenant and
//! injects faults; it exists only where the emulator runs.

mod applications;
mod collection;
mod control;
mod delta;
mod faults;
pub mod generate;
mod groups;
mod odata;
mod tenant;
mod token;
mod users;

pub use applications::SimPasswordCredential;
pub use delta::DeltaReset;
pub use faults::Faults;
pub use tenant::{AppRegistration, SimGroup, SimObject, SimUser, Tenant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// The content type Graph answers JSON with.
pub const GRAPH_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

pub struct SimState {
    pub registration: AppRegistration,
    pub tenant: RwLock<Tenant>,
    faults: Mutex<Faults>,
    /// Where the emulator is mounted (`""`, or `/graph-sim` inside the app).
    prefix: String,
    /// Signs tokens; replaced to revoke every token issued so far.
    token_key: RwLock<[u8; 32]>,
    service_principal_id: String,
    /// The application object's id (not its appId, the client id).
    application_object_id: String,
    /// The registration's client secrets, as `passwordCredentials` lists them.
    password_credentials: RwLock<Vec<SimPasswordCredential>>,
    page_tokens: odata::PageTokens,
    /// What each deltaLink handed out knew of the tenant.
    delta: delta::DeltaState,
    /// Graph requests served (token requests excluded), for "every n-th".
    graph_requests: AtomicU64,
    all_requests: AtomicU64,
}

impl SimState {
    pub fn faults(&self) -> Faults {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn revoke_tokens(&self) {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the operating system's random source failed");
        *self.token_key.write().unwrap_or_else(|e| e.into_inner()) = key;
    }

    fn token_key(&self) -> [u8; 32] {
        *self.token_key.read().unwrap_or_else(|e| e.into_inner())
    }

    fn count_request(&self) {
        self.all_requests.fetch_add(1, Ordering::Relaxed);
    }

    /// The Graph root as the caller reached it, e.g. `http://127.0.0.1:4100`
    /// or `http://127.0.0.1:3000/graph-sim`: nextLinks are absolute.
    fn graph_root(&self, headers: &HeaderMap) -> String {
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1");
        let https = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            == Some("https");
        format!(
            "{}://{host}{}",
            if https { "https" } else { "http" },
            self.prefix
        )
    }
}

/// A running emulator's handle: its state, to read and change directly.
#[derive(Clone)]
pub struct GraphSim {
    pub state: Arc<SimState>,
}

impl GraphSim {
    /// An emulator serving `tenant`, accepting the registration derived from
    /// `seed`, mounted at `prefix` (`""` when it is the whole server).
    pub fn new(tenant: Tenant, seed: u64, prefix: &str) -> Self {
        Self::with_registration(tenant, generate::registration(seed), seed, prefix)
    }

    /// As [`GraphSim::new`], but the registration's secret is random: the
    /// demo inside the app, whose seed (and so a seeded secret) anyone
    /// with the source knows.
    pub fn with_random_secret(tenant: Tenant, seed: u64, prefix: &str) -> Self {
        let mut registration = generate::registration(seed);
        let mut bytes = [0u8; 30];
        getrandom::fill(&mut bytes).expect("the operating system's random source failed");
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789~.";
        registration.client_secret = bytes
            .iter()
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
            .collect();
        Self::with_registration(tenant, registration, seed, prefix)
    }

    fn with_registration(
        tenant: Tenant,
        registration: AppRegistration,
        seed: u64,
        prefix: &str,
    ) -> Self {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the operating system's random source failed");
        let mut page_key = [0u8; 32];
        getrandom::fill(&mut page_key).expect("the operating system's random source failed");
        let mut rng = generate::Rng::new(seed.wrapping_add(1));
        let service_principal_id = rng.guid();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let credentials = applications::initial_credentials(&registration, now);
        Self {
            state: Arc::new(SimState {
                registration,
                application_object_id: rng.guid(),
                password_credentials: RwLock::new(credentials),
                tenant: RwLock::new(tenant),
                faults: Mutex::new(Faults::default()),
                prefix: prefix.trim_end_matches('/').to_owned(),
                token_key: RwLock::new(key),
                service_principal_id,
                page_tokens: odata::PageTokens { key: page_key },
                delta: delta::DeltaState::default(),
                graph_requests: AtomicU64::new(0),
                all_requests: AtomicU64::new(0),
            }),
        }
    }

    pub fn registration(&self) -> &AppRegistration {
        &self.state.registration
    }

    pub fn set_faults(&self, faults: Faults) {
        *self.state.faults.lock().unwrap_or_else(|e| e.into_inner()) = faults;
    }

    pub fn with_tenant<T>(&self, change: impl FnOnce(&mut Tenant) -> T) -> T {
        change(&mut self.state.tenant.write().unwrap_or_else(|e| e.into_inner()))
    }

    /// Requests answered so far, token requests included.
    pub fn requests_served(&self) -> u64 {
        self.state.all_requests.load(Ordering::Relaxed)
    }

    /// Token requests answered so far.
    pub fn token_requests(&self) -> u64 {
        self.requests_served() - self.state.graph_requests.load(Ordering::Relaxed)
    }

    /// Invalidates every token issued so far (Graph then answers 401).
    pub fn revoke_tokens(&self) {
        self.state.revoke_tokens();
    }

    /// The sign-in endpoint, Graph, and the control API, relative to the
    /// mount point: the standalone emulator and the tests' tenants.
    pub fn router(&self) -> Router {
        self.graph_router().merge(self.control_router())
    }

    /// The sign-in endpoint and Graph: what the client calls. Graph's own
    /// rule guards it: every call needs a token the sign-in endpoint issued
    /// for the registration's secret.
    pub fn graph_router(&self) -> Router {
        Router::new()
            .route("/{tenant}/oauth2/v2.0/token", post(token::token_endpoint))
            .route("/v1.0/users", get(users::list_users))
            .route("/v1.0/users/$count", get(users::count_users))
            .route("/v1.0/users/delta", get(delta::users_delta))
            .route("/v1.0/groups/delta", get(delta::groups_delta))
            .route("/v1.0/users/{id}", get(users::get_user))
            .route("/v1.0/users/{id}/manager", get(users::get_manager))
            .route("/v1.0/groups", get(groups::list_groups))
            .route(
                "/v1.0/groups/{id}/members",
                get(groups::list_direct_members),
            )
            .route(
                "/v1.0/groups/{id}/transitiveMembers",
                get(groups::list_transitive_members),
            )
            // `applications(appId='...')`: the one key-segment Graph call
            // dirsync makes; the static routes above take precedence.
            .route("/v1.0/{segment}", get(applications::get_application))
            .with_state(self.state.clone())
    }

    /// Every deltaLink handed out so far is refused from now on, as `how`
    /// says (what seven days, or a reset on Microsoft's side, look like).
    pub fn expire_delta_tokens(&self, how: DeltaReset) {
        self.state.delta.expire_all(how);
    }

    /// The registration's client secrets as Graph lists them.
    pub fn password_credentials(&self) -> Vec<SimPasswordCredential> {
        self.state
            .password_credentials
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces the registration's client secrets (to make one expire).
    pub fn set_password_credentials(&self, credentials: Vec<SimPasswordCredential>) {
        *self
            .state
            .password_credentials
            .write()
            .unwrap_or_else(|e| e.into_inner()) = credentials;
    }

    /// The control API (`/_sim/...`), which changes the tenant and injects
    /// faults. Inside the app, only a signed-in admin reaches it.
    pub fn control_router(&self) -> Router {
        control::routes().router.with_state(self.state.clone())
    }

    /// The control API's paths, relative to the mount point.
    pub fn control_paths() -> Vec<String> {
        control::routes().paths
    }
}

/// A Graph error body (graph-api.md §7) with the usual headers.
pub fn graph_error(status: StatusCode, code: &str, message: &str, headers: &HeaderMap) -> Response {
    let body = json!({"error": {
        "code": code,
        "message": message,
        "innerError": {
            "date": httpdate::fmt_http_date(std::time::SystemTime::now()),
            "request-id": token::uuid_like(),
            "client-request-id": client_request_id(headers),
        }
    }});
    graph_response(status, body.to_string(), headers)
}

fn client_request_id(headers: &HeaderMap) -> String {
    headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(token::uuid_like)
}

/// A Graph JSON answer: `request-id`, echoed `client-request-id`, and
/// Graph's content type.
pub fn graph_response(status: StatusCode, body: String, headers: &HeaderMap) -> Response {
    let mut response = (status, Body::from(body)).into_response();
    let h = response.headers_mut();
    h.insert("content-type", HeaderValue::from_static(GRAPH_JSON));
    if let Ok(v) = HeaderValue::from_str(&token::uuid_like()) {
        h.insert("request-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(&client_request_id(headers)) {
        h.insert("client-request-id", v);
    }
    h.insert("x-ms-resource-unit", HeaderValue::from_static("1"));
    response
}
