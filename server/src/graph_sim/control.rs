//! The control API, `/_sim/...`: tests and demos change the tenant between
//! syncs and switch faults on. It exists only where the emulator runs, and
//! it answers plain JSON, not Graph's shapes.

use super::SimState;
use super::applications::SimPasswordCredential;
use super::faults::Faults;
use super::generate::{Rng, generate};
use super::tenant::{MAX_GROUPS, MAX_MEMBERSHIPS, MAX_USERS, SimGroup, SimUser, Tenant};
use crate::web::Listed;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// The control routes, with their paths listed.
pub fn routes() -> Listed<Arc<SimState>> {
    Listed::new()
        .route("/_sim/registration", get(registration))
        .route("/_sim/tenant", get(summary).put(replace_tenant))
        .route("/_sim/tenant/generate", post(generate_tenant))
        .route("/_sim/users", post(add_user))
        .route(
            "/_sim/users/{id}",
            get(get_user).patch(change_user).delete(delete_user),
        )
        .route("/_sim/groups/{id}", put(put_group).delete(delete_group))
        .route("/_sim/faults", get(get_faults).put(put_faults))
        .route("/_sim/revoke-tokens", post(revoke_tokens))
        .route("/_sim/delta/expire", post(expire_delta))
        .route(
            "/_sim/credentials",
            get(get_credentials).put(put_credentials),
        )
}

fn problem(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

#[allow(clippy::result_large_err)] // a Response, returned at once
fn parse<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, Response> {
    serde_json::from_str(body)
        .map_err(|e| problem(StatusCode::BAD_REQUEST, format!("invalid JSON: {e}")))
}

async fn registration(State(state): State<Arc<SimState>>) -> Response {
    Json(&state.registration).into_response()
}

async fn summary(State(state): State<Arc<SimState>>) -> Response {
    let t = state.tenant.read().unwrap_or_else(|e| e.into_inner());
    Json(json!({
        "domain": t.domain,
        "users": t.users.len(),
        "enabledUsers": t.users.iter().filter(|u| u.account_enabled).count(),
        "guests": t.users.iter().filter(|u| u.user_type.eq_ignore_ascii_case("guest")).count(),
        "groups": t.groups.len(),
        "others": t.others.len(),
    }))
    .into_response()
}

async fn replace_tenant(State(state): State<Arc<SimState>>, body: String) -> Response {
    let tenant: Tenant = match parse(&body) {
        Ok(t) => t,
        Err(r) => return r,
    };
    if let Err(message) = tenant.check_limits() {
        return problem(StatusCode::BAD_REQUEST, message);
    }
    *state.tenant.write().unwrap_or_else(|e| e.into_inner()) = tenant;
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct GenerateRequest {
    users: usize,
    #[serde(default)]
    groups: usize,
    #[serde(default)]
    seed: u64,
}

async fn generate_tenant(State(state): State<Arc<SimState>>, body: String) -> Response {
    let request: GenerateRequest = match parse(&body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    if request.users > MAX_USERS || request.groups > MAX_GROUPS {
        return problem(
            StatusCode::BAD_REQUEST,
            format!("at most {MAX_USERS} users and {MAX_GROUPS} groups"),
        );
    }
    *state.tenant.write().unwrap_or_else(|e| e.into_inner()) =
        generate(request.users, request.groups, request.seed);
    summary(State(state)).await
}

async fn add_user(State(state): State<Arc<SimState>>, body: String) -> Response {
    let mut value: Value = match parse::<serde_json::Map<String, Value>>(&body) {
        Ok(v) => Value::Object(v),
        Err(r) => return r,
    };
    if value.get("id").is_none() {
        let mut seed = [0u8; 8];
        getrandom::fill(&mut seed).unwrap_or_default();
        value["id"] = json!(Rng::new(u64::from_le_bytes(seed)).guid());
    }
    let user: SimUser = match serde_json::from_value(value) {
        Ok(u) => u,
        Err(e) => return problem(StatusCode::BAD_REQUEST, format!("invalid user: {e}")),
    };
    let mut tenant = state.tenant.write().unwrap_or_else(|e| e.into_inner());
    if tenant.users.len() >= MAX_USERS {
        return problem(
            StatusCode::BAD_REQUEST,
            format!("a tenant holds at most {MAX_USERS} users"),
        );
    }
    if tenant.users.iter().any(|u| u.id == user.id) {
        return problem(StatusCode::CONFLICT, format!("user {} exists", user.id));
    }
    tenant.users.push(user.clone());
    (StatusCode::CREATED, Json(user)).into_response()
}

async fn get_user(State(state): State<Arc<SimState>>, Path(id): Path<String>) -> Response {
    let tenant = state.tenant.read().unwrap_or_else(|e| e.into_inner());
    match tenant.users.iter().find(|u| u.id == id) {
        Some(u) => Json(u).into_response(),
        None => problem(StatusCode::NOT_FOUND, format!("no user {id}")),
    }
}

/// A JSON merge of Graph property names: rename (`displayName`, `mail`,
/// `userPrincipalName`), disable (`accountEnabled: false`), move, etc.
async fn change_user(
    State(state): State<Arc<SimState>>,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let changes: serde_json::Map<String, Value> = match parse(&body) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if changes.get("id").is_some_and(|v| v != &json!(id)) {
        return problem(StatusCode::BAD_REQUEST, "the id of a user cannot change");
    }
    let mut tenant = state.tenant.write().unwrap_or_else(|e| e.into_inner());
    let Some(user) = tenant.users.iter_mut().find(|u| u.id == id) else {
        return problem(StatusCode::NOT_FOUND, format!("no user {id}"));
    };
    let mut value = serde_json::to_value(&*user).unwrap_or(Value::Null);
    for (k, v) in changes {
        value[k] = v;
    }
    match serde_json::from_value::<SimUser>(value) {
        Ok(changed) => {
            *user = changed.clone();
            Json(changed).into_response()
        }
        Err(e) => problem(StatusCode::BAD_REQUEST, format!("invalid change: {e}")),
    }
}

async fn delete_user(State(state): State<Arc<SimState>>, Path(id): Path<String>) -> Response {
    if state
        .tenant
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .delete_user(&id)
    {
        StatusCode::NO_CONTENT.into_response()
    } else {
        problem(StatusCode::NOT_FOUND, format!("no user {id}"))
    }
}

async fn put_group(
    State(state): State<Arc<SimState>>,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let mut value: Value = match parse::<serde_json::Map<String, Value>>(&body) {
        Ok(v) => Value::Object(v),
        Err(r) => return r,
    };
    value["id"] = json!(id);
    let group: SimGroup = match serde_json::from_value(value) {
        Ok(g) => g,
        Err(e) => return problem(StatusCode::BAD_REQUEST, format!("invalid group: {e}")),
    };
    let mut tenant = state.tenant.write().unwrap_or_else(|e| e.into_inner());
    let existing = tenant.groups.iter().position(|g| g.id == id);
    let memberships: usize = tenant.groups.iter().map(|g| g.members.len()).sum::<usize>()
        - existing.map_or(0, |i| tenant.groups[i].members.len())
        + group.members.len();
    if memberships > MAX_MEMBERSHIPS || (existing.is_none() && tenant.groups.len() >= MAX_GROUPS) {
        return problem(
            StatusCode::BAD_REQUEST,
            format!("a tenant holds at most {MAX_GROUPS} groups and {MAX_MEMBERSHIPS} memberships"),
        );
    }
    match existing {
        Some(i) => tenant.groups[i] = group.clone(),
        None => tenant.groups.push(group.clone()),
    }
    Json(group).into_response()
}

async fn delete_group(State(state): State<Arc<SimState>>, Path(id): Path<String>) -> Response {
    let mut tenant = state.tenant.write().unwrap_or_else(|e| e.into_inner());
    let before = tenant.groups.len();
    tenant.groups.retain(|g| g.id != id);
    for g in &mut tenant.groups {
        g.members.retain(|m| m != &id);
    }
    if tenant.groups.len() == before {
        return problem(StatusCode::NOT_FOUND, format!("no group {id}"));
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn get_faults(State(state): State<Arc<SimState>>) -> Response {
    Json(state.faults()).into_response()
}

async fn put_faults(State(state): State<Arc<SimState>>, body: String) -> Response {
    let faults: Faults = match parse(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    if let Err(message) = faults.validate() {
        return problem(StatusCode::BAD_REQUEST, message);
    }
    *state.faults.lock().unwrap_or_else(|e| e.into_inner()) = faults.clone();
    Json(faults).into_response()
}

async fn revoke_tokens(State(state): State<Arc<SimState>>) -> Response {
    state.revoke_tokens();
    StatusCode::NO_CONTENT.into_response()
}

async fn get_credentials(State(state): State<Arc<SimState>>) -> Response {
    Json(
        &*state
            .password_credentials
            .read()
            .unwrap_or_else(|e| e.into_inner()),
    )
    .into_response()
}

/// Replaces the registration's `passwordCredentials`, e.g. with one that
/// ends next week, to show the expiry warning.
async fn put_credentials(State(state): State<Arc<SimState>>, body: String) -> Response {
    let credentials: Vec<SimPasswordCredential> = match parse(&body) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if credentials.len() > 100 {
        return problem(StatusCode::BAD_REQUEST, "at most 100 credentials");
    }
    if let Some(message) = credentials.iter().find_map(|c| c.validate().err()) {
        return problem(StatusCode::BAD_REQUEST, message);
    }
    *state
        .password_credentials
        .write()
        .unwrap_or_else(|e| e.into_inner()) = credentials.clone();
    Json(credentials).into_response()
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ExpireRequest {
    #[serde(default, rename = "as")]
    how: super::delta::DeltaReset,
}

/// Every deltaLink handed out so far is refused from now on:
/// `{"as": "syncStateNotFound" | "resyncRequired" | "gone"}`.
async fn expire_delta(State(state): State<Arc<SimState>>, body: String) -> Response {
    let request: ExpireRequest = if body.trim().is_empty() {
        ExpireRequest::default()
    } else {
        match parse(&body) {
            Ok(r) => r,
            Err(r) => return r,
        }
    };
    state.delta.expire_all(request.how);
    StatusCode::NO_CONTENT.into_response()
}
