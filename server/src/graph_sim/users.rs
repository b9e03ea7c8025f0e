//! The emulated user endpoints: `/users`, `/users/$count`, `/users/{id}`
//! and `/users/{id}/manager` (graph-api.md §2, §4).

use super::SimState;
use super::collection::*;
use super::odata::Condition;
use super::tenant::{DEFAULT_USER_PROPERTIES, USER_PROPERTIES};
use super::{graph_error, graph_response};
use app::domain::directory::MemberKind;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::json;
use std::sync::Arc;

/// `$expand=manager(...)`: the manager, as a directoryObject with its
/// `@odata.type` and the selected properties. A user without one has no
/// `manager` property at all.
fn with_manager(
    tenant: &super::tenant::Tenant,
    user: &super::tenant::SimUser,
    mut body: serde_json::Value,
    expand: Option<&super::odata::Expand>,
) -> serde_json::Value {
    let Some(expand) = expand else { return body };
    if let Some(manager) = user.manager_id.as_deref().and_then(|id| tenant.user(id)) {
        let mut json = manager.to_graph(&expand.select);
        json["@odata.type"] = json!(MemberKind::User.odata_type());
        body["manager"] = json;
    }
    body
}

/// Whether a user passes every condition of a `$filter`.
fn matches(user: &super::tenant::SimUser, filter: &[Condition]) -> bool {
    filter.iter().all(|c| match c {
        Condition::AccountEnabled(v) => user.account_enabled == *v,
        Condition::UserType(t) => user.user_type.eq_ignore_ascii_case(t),
    })
}

pub async fn list_users(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Some(r) = refusal(&state, &headers, USER_ROLES).await {
        return r;
    }
    let user_properties = Some((DEFAULT_USER_PROPERTIES, USER_PROPERTIES, "user"));
    let Request {
        query,
        offset,
        properties: props,
    } = match read_request(&state, &headers, raw, "users", user_properties) {
        Ok(r) => r,
        Err(e) => return odata_error(e, &headers),
    };
    let tenant = state.tenant.read().unwrap_or_else(|e| e.into_inner());
    let matched: Vec<_> = tenant
        .users
        .iter()
        .filter(|u| matches(u, &query.filter))
        .collect();
    let size = page_size(&state, query.top);
    let values = matched
        .iter()
        .skip(offset)
        .take(size)
        .map(|u| with_manager(&tenant, u, u.to_graph(&props), query.expand.as_ref()))
        .collect();
    let spec = PageSpec {
        collection_key: "users".into(),
        path: "users".into(),
        context: select_context("users", &query.select),
        query: &query,
        total: matched.len(),
        offset,
    };
    page_body(&state, &headers, spec, values)
}

/// `/users/$count`: plain text, and only as an advanced query.
pub async fn count_users(State(state): State<Arc<SimState>>, headers: HeaderMap) -> Response {
    if let Some(r) = refusal(&state, &headers, USER_ROLES).await {
        return r;
    }
    if !advanced(&headers) {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "$count is not currently supported.",
            &headers,
        );
    }
    let n = state
        .tenant
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .users
        .len();
    let mut response = graph_response(StatusCode::OK, n.to_string(), &headers);
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("text/plain"));
    response
}

pub async fn get_user(
    State(state): State<Arc<SimState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Some(r) = refusal(&state, &headers, USER_ROLES).await {
        return r;
    }
    let user_properties = Some((DEFAULT_USER_PROPERTIES, USER_PROPERTIES, "user"));
    let (props, expand) = match read_request(&state, &headers, raw, "user", user_properties) {
        Ok(r) => (r.properties, r.query.expand),
        Err(e) => return odata_error(e, &headers),
    };
    let tenant = state.tenant.read().unwrap_or_else(|e| e.into_inner());
    let Some(user) = tenant.user(&id) else {
        return not_found(&id, &headers);
    };
    let mut body = with_manager(&tenant, user, user.to_graph(&props), expand.as_ref());
    body["@odata.context"] = json!(format!(
        "{}/v1.0/$metadata#users/$entity",
        state.graph_root(&headers)
    ));
    graph_response(StatusCode::OK, body.to_string(), &headers)
}

pub async fn get_manager(
    State(state): State<Arc<SimState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Some(r) = refusal(&state, &headers, USER_ROLES).await {
        return r;
    }
    let query = match read_request(&state, &headers, raw, "manager", None) {
        Ok(r) => r.query,
        Err(e) => return odata_error(e, &headers),
    };
    let tenant = state.tenant.read().unwrap_or_else(|e| e.into_inner());
    let Some(user) = tenant.user(&id) else {
        return not_found(&id, &headers);
    };
    // No manager is a 404, "by design" (graph-api.md §4).
    let Some(manager) = user.manager_id.as_deref().and_then(|m| tenant.user(m)) else {
        return not_found("manager", &headers);
    };
    let props = query.select.clone().unwrap_or_else(|| {
        DEFAULT_USER_PROPERTIES
            .iter()
            .map(|p| p.to_string())
            .collect()
    });
    let mut body = manager.to_graph(&props);
    body["@odata.type"] = json!(MemberKind::User.odata_type());
    body["@odata.context"] = json!(format!(
        "{}/v1.0/$metadata#directoryObjects/$entity",
        state.graph_root(&headers)
    ));
    graph_response(StatusCode::OK, body.to_string(), &headers)
}
