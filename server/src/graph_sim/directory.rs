//! The emulated Graph directory endpoints: users, a user's manager, groups
//! and their direct and transitive members (graph-api.md §2, §4; Appendix A
//! items 3, 4 and 6). Each request passes the token check, then any fault
//! the control API switched on.

use super::odata::{CollectionQuery, Condition, ODataError, encode_query_value};
use super::tenant::{
    DEFAULT_GROUP_PROPERTIES, DEFAULT_USER_PROPERTIES, GROUP_PROPERTIES, Tenant,
    UNSUPPORTED_ON_COLLECTION, USER_PROPERTIES,
};
use super::token::{TokenProblem, validate};
use super::{SimState, graph_error, graph_response};
use app::domain::directory::MemberKind;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;

const USER_ROLES: &[&str] = &[
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const GROUP_ROLES: &[&str] = &[
    "Group.Read.All",
    "GroupMember.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];

/// The token check, then the faults: `Some` is the answer to send instead
/// of the data.
async fn refusal(
    state: &SimState,
    headers: &HeaderMap,
    roles_accepted: &[&str],
) -> Option<Response> {
    check(state, headers, roles_accepted).await.err()
}

#[allow(clippy::result_large_err)] // a Response, returned at once: no size cost worth boxing
async fn check(
    state: &SimState,
    headers: &HeaderMap,
    roles_accepted: &[&str],
) -> Result<(), Response> {
    state.count_request();
    let n = state.graph_requests.fetch_add(1, Ordering::Relaxed) + 1;
    let faults = state.faults();
    faults.delay().await;
    let roles = validate(state, headers).map_err(|problem| {
        let code = "InvalidAuthenticationToken";
        let mut r = graph_error(StatusCode::UNAUTHORIZED, code, problem.message(), headers);
        if problem == TokenProblem::Empty {
            r.headers_mut()
                .insert("www-authenticate", HeaderValue::from_static("Bearer"));
        }
        r
    })?;
    if !roles.iter().any(|r| roles_accepted.contains(&r.as_str())) {
        return Err(graph_error(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
            headers,
        ));
    }

    let mut guard = state.faults.lock().unwrap_or_else(|e| e.into_inner());
    if guard.drop_next > 0 {
        guard.drop_next -= 1;
        return Err(dropped_connection());
    }
    if guard.malformed_next > 0 {
        guard.malformed_next -= 1;
        return Err(graph_response(
            StatusCode::OK,
            r#"{"value": [{"id": "#.to_owned(),
            headers,
        ));
    }
    if guard.unavailable_next > 0 {
        guard.unavailable_next -= 1;
        let status = StatusCode::from_u16(guard.unavailable_status)
            .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let mut r = graph_error(
            status,
            "serviceNotAvailable",
            "The service is temporarily unavailable.",
            headers,
        );
        if let Some(secs) = guard.unavailable_retry_after_secs {
            r.headers_mut()
                .insert("retry-after", HeaderValue::from(secs));
        }
        return Err(r);
    }
    if let Some(every) = guard.throttle_every.filter(|e| *e > 0)
        && n.is_multiple_of(every)
    {
        let body = json!({"error": {
            "code": "TooManyRequests",
            "message": "Please retry again later.",
            "innerError": {"code": "429", "message": "Please retry after", "status": "429",
                "date": httpdate::fmt_http_date(std::time::SystemTime::now()), "request-id": super::token::uuid_like()}
        }});
        let mut r = graph_response(StatusCode::TOO_MANY_REQUESTS, body.to_string(), headers);
        if let Some(secs) = guard.retry_after_secs {
            r.headers_mut()
                .insert("retry-after", HeaderValue::from(secs));
        }
        r.headers_mut().insert(
            "x-ms-throttle-information",
            HeaderValue::from_static("ResourceUnitLimitExceeded"),
        );
        return Err(r);
    }
    Ok(())
}

/// Headers go out, then the body fails: the client sees the connection drop.
fn dropped_connection() -> Response {
    let failing = futures::stream::once(async {
        Err::<bytes::Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "dropped",
        ))
    });
    let mut r = Body::from_stream(failing).into_response();
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static(super::GRAPH_JSON));
    r
}

/// A request's query options and where its page starts (from the
/// `$skiptoken` of `collection`), with the selected `properties` when the
/// collection has them.
struct Request {
    query: CollectionQuery,
    offset: usize,
    properties: Vec<String>,
}

fn read_request(
    state: &SimState,
    headers: &HeaderMap,
    raw: Option<String>,
    collection: &str,
    properties_of: Option<(&[&str], &[&str], &str)>,
) -> Result<Request, ODataError> {
    let query = CollectionQuery::parse(&params(raw), advanced(headers))?;
    let offset = match query.skip_token.as_deref() {
        Some(token) => state.page_tokens.decode(collection, token)?,
        None => 0,
    };
    let properties = match properties_of {
        Some((defaults, known, type_name)) => {
            properties(&query.select, defaults, known, type_name)?
        }
        None => Vec::new(),
    };
    Ok(Request {
        query,
        offset,
        properties,
    })
}

fn odata_error(e: ODataError, headers: &HeaderMap) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    graph_error(status, e.code, &e.message, headers)
}

fn params(raw: Option<String>) -> Vec<(String, String)> {
    serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default()
}

fn advanced(headers: &HeaderMap) -> bool {
    headers
        .get("consistencylevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("eventual"))
}

/// The selected properties, or the defaults; unknown ones are refused.
fn properties(
    select: &Option<Vec<String>>,
    defaults: &[&str],
    known: &[&str],
    type_name: &str,
) -> Result<Vec<String>, ODataError> {
    let Some(select) = select else {
        return Ok(defaults.iter().map(|p| p.to_string()).collect());
    };
    for p in select {
        if UNSUPPORTED_ON_COLLECTION.contains(&p.as_str()) {
            return Err(ODataError {
                status: 501,
                code: "NotImplemented",
                message: "This operation target is not yet supported.".into(),
            });
        }
        if !known.contains(&p.as_str()) {
            return Err(ODataError {
                status: 400,
                code: "Request_BadRequest",
                message: format!(
                    "Could not find a property named '{p}' on type 'microsoft.graph.{type_name}'."
                ),
            });
        }
    }
    Ok(select.clone())
}

/// One page of a collection: `@odata.context`, `@odata.count` on the first
/// page when asked, `value`, and an absolute `@odata.nextLink` while more remain.
struct PageSpec<'a> {
    collection_key: String,
    path: String,
    context: String,
    query: &'a CollectionQuery,
    total: usize,
    offset: usize,
}

/// How many items this page holds: `$top`, cut by the page-size fault, or
/// none at all while the empty-pages fault lasts.
fn page_size(state: &SimState, top: usize) -> usize {
    let mut faults = state.faults.lock().unwrap_or_else(|e| e.into_inner());
    if faults.empty_pages > 0 {
        faults.empty_pages -= 1;
        return 0;
    }
    faults.max_page_size.map_or(top, |cap| top.min(cap.max(1)))
}

fn page_body(
    state: &SimState,
    headers: &HeaderMap,
    spec: PageSpec<'_>,
    values: Vec<Value>,
) -> Response {
    let root = state.graph_root(headers);
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        Value::String(format!("{root}/v1.0/{}", spec.context)),
    );
    if spec.query.count && spec.offset == 0 {
        body.insert("@odata.count".into(), json!(spec.total));
    }
    let next_offset = spec.offset + values.len();
    if next_offset < spec.total {
        let token = state.page_tokens.encode(&spec.collection_key, next_offset);
        let mut link = format!("{root}/v1.0/{}?", spec.path);
        for (k, v) in &spec.query.carried {
            link.push_str(&format!(
                "{}={}&",
                encode_query_value(k),
                encode_query_value(v)
            ));
        }
        link.push_str(&format!("$skiptoken={token}"));
        body.insert("@odata.nextLink".into(), Value::String(link));
    }
    body.insert("value".into(), Value::Array(values));
    graph_response(StatusCode::OK, Value::Object(body).to_string(), headers)
}

fn matches(user: &super::tenant::SimUser, filter: &[Condition]) -> bool {
    filter.iter().all(|c| match c {
        Condition::AccountEnabled(v) => user.account_enabled == *v,
        Condition::UserType(t) => user.user_type.eq_ignore_ascii_case(t),
    })
}

fn select_context(base: &str, select: &Option<Vec<String>>) -> String {
    match select {
        Some(s) => format!("$metadata#{base}({})", s.join(",")),
        None => format!("$metadata#{base}"),
    }
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
        .map(|u| u.to_graph(&props))
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

fn not_found(id: &str, headers: &HeaderMap) -> Response {
    graph_error(
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        &format!(
            "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
        ),
        headers,
    )
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
    let props = match read_request(&state, &headers, raw, "user", user_properties) {
        Ok(r) => r.properties,
        Err(e) => return odata_error(e, &headers),
    };
    let tenant = state.tenant.read().unwrap_or_else(|e| e.into_inner());
    let Some(user) = tenant.user(&id) else {
        return not_found(&id, &headers);
    };
    let mut body = user.to_graph(&props);
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
