//! The emulated group endpoints: `/groups`, and each group's direct and
//! transitive members with their `@odata.type` (graph-api.md §4, Appendix A
//! item 6).

use super::SimState;
use super::collection::*;
use super::graph_error;
use super::tenant::{DEFAULT_GROUP_PROPERTIES, GROUP_PROPERTIES, Tenant};
use app::domain::directory::MemberKind;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};
use std::sync::Arc;

pub async fn list_groups(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Some(r) = refusal(&state, &headers, GROUP_ROLES).await {
        return r;
    }
    let group_properties = Some((DEFAULT_GROUP_PROPERTIES, GROUP_PROPERTIES, "group"));
    let Request {
        query,
        offset,
        properties: props,
    } = match read_request(&state, &headers, raw, "groups", group_properties) {
        Ok(r) if r.query.filter.is_empty() => r,
        Ok(_) => {
            return graph_error(
                StatusCode::BAD_REQUEST,
                "Request_UnsupportedQuery",
                "Unsupported or invalid query filter clause specified for property.",
                &headers,
            );
        }
        Err(e) => return odata_error(e, &headers),
    };
    let tenant = state.tenant.read().unwrap_or_else(|e| e.into_inner());
    let size = page_size(&state, query.top);
    let values = tenant
        .groups
        .iter()
        .skip(offset)
        .take(size)
        .map(|g| g.to_graph(&props))
        .collect();
    let spec = PageSpec {
        collection_key: "groups".into(),
        path: "groups".into(),
        context: select_context("groups", &query.select),
        query: &query,
        total: tenant.groups.len(),
        offset,
    };
    page_body(&state, &headers, spec, values)
}

/// A member as Graph shows it: `@odata.type` always; objects the token
/// cannot read (devices, contacts, service principals) with only type and
/// id, other properties null (graph-api.md §4, "limited information").
fn member_json(tenant: &Tenant, id: &str, select: &Option<Vec<String>>) -> Value {
    let member_default = ["id", "displayName", "mail", "userPrincipalName"]
        .map(String::from)
        .to_vec();
    let props = select.clone().unwrap_or(member_default);
    let kind = tenant.kind_of(id).unwrap_or(MemberKind::Other);
    let mut value = match kind {
        MemberKind::User => tenant
            .user(id)
            .map(|u| u.to_graph(&props))
            .unwrap_or(Value::Null),
        MemberKind::Group => {
            let known: Vec<String> = props
                .iter()
                .filter(|p| GROUP_PROPERTIES.contains(&p.as_str()))
                .cloned()
                .collect();
            tenant
                .group(id)
                .map(|g| g.to_graph(&known))
                .unwrap_or(Value::Null)
        }
        _ => {
            let mut limited = Map::new();
            for p in &props {
                limited.insert(p.clone(), Value::Null);
            }
            Value::Object(limited)
        }
    };
    if let Value::Object(map) = &mut value {
        map.insert("id".into(), json!(id));
        map.insert("@odata.type".into(), json!(kind.odata_type()));
    }
    value
}

async fn list_members(
    state: Arc<SimState>,
    id: String,
    headers: HeaderMap,
    raw: Option<String>,
    transitive: bool,
) -> Response {
    if let Some(r) = refusal(&state, &headers, GROUP_ROLES).await {
        return r;
    }
    let relation = if transitive {
        "transitiveMembers"
    } else {
        "members"
    };
    let key = format!("{relation}:{id}");
    let Request { query, offset, .. } = match read_request(&state, &headers, raw, &key, None) {
        Ok(r) => r,
        Err(e) => return odata_error(e, &headers),
    };
    let tenant = state.tenant.read().unwrap_or_else(|e| e.into_inner());
    let Some(group) = tenant.group(&id) else {
        return not_found(&id, &headers);
    };
    let members = if transitive {
        tenant.transitive_members(&group.id)
    } else {
        group.members.clone()
    };
    let size = page_size(&state, query.top);
    let values = members
        .iter()
        .skip(offset)
        .take(size)
        .map(|m| member_json(&tenant, m, &query.select))
        .collect();
    let spec = PageSpec {
        collection_key: key,
        path: format!("groups/{id}/{relation}"),
        context: "$metadata#directoryObjects".into(),
        query: &query,
        total: members.len(),
        offset,
    };
    page_body(&state, &headers, spec, values)
}

pub async fn list_direct_members(
    State(state): State<Arc<SimState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    list_members(state, id, headers, raw, false).await
}

pub async fn list_transitive_members(
    State(state): State<Arc<SimState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    list_members(state, id, headers, raw, true).await
}
