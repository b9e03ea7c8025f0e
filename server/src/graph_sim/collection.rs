//! What every emulated Graph directory endpoint shares: admission (the
//! token, the roles, then any fault the control API switched on), the query
//! options, and the shape of a page (graph-api.md §2, §7; Appendix A items
//! 3 and 4).

use super::odata::{CollectionQuery, ODataError, encode_query_value};
use super::tenant::UNSUPPORTED_ON_COLLECTION;
use super::token::{TokenProblem, validate};
use super::{SimState, graph_error, graph_response};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::sync::atomic::Ordering;

pub(super) const USER_ROLES: &[&str] = &[
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
pub(super) const GROUP_ROLES: &[&str] = &[
    "Group.Read.All",
    "GroupMember.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];

/// The token check, then the faults: `Some` is the answer to send instead
/// of the data.
pub(super) async fn refusal(
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
    // The one-shot faults may wait for the middle of the pages.
    let one_shots_due = guard.faults_after == 0;
    guard.faults_after = guard.faults_after.saturating_sub(1);
    if one_shots_due && guard.drop_next > 0 {
        guard.drop_next -= 1;
        return Err(dropped_connection());
    }
    if one_shots_due && guard.malformed_next > 0 {
        guard.malformed_next -= 1;
        return Err(graph_response(
            StatusCode::OK,
            r#"{"value": [{"id": "#.to_owned(),
            headers,
        ));
    }
    if one_shots_due && guard.unavailable_next > 0 {
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
pub(super) fn dropped_connection() -> Response {
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
pub(super) struct Request {
    pub query: CollectionQuery,
    pub offset: usize,
    pub properties: Vec<String>,
}

pub(super) fn read_request(
    state: &SimState,
    headers: &HeaderMap,
    raw: Option<String>,
    collection: &str,
    properties_of: Option<(&[&str], &[&str], &str)>,
) -> Result<Request, ODataError> {
    let query = CollectionQuery::parse(&params(raw), advanced(headers))?;
    if let Some(expand) = &query.expand
        && !(matches!(collection, "users" | "user") && expand.relation == "manager")
    {
        return Err(ODataError {
            status: 400,
            code: "Request_UnsupportedQuery",
            message: format!(
                "The emulator does not implement $expand={} on {collection}.",
                expand.relation
            ),
        });
    }
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

pub(super) fn odata_error(e: ODataError, headers: &HeaderMap) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    graph_error(status, e.code, &e.message, headers)
}

pub(super) fn params(raw: Option<String>) -> Vec<(String, String)> {
    serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default()
}

pub(super) fn advanced(headers: &HeaderMap) -> bool {
    headers
        .get("consistencylevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("eventual"))
}

/// The selected properties, or the defaults; unknown ones are refused.
pub(super) fn properties(
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
pub(super) struct PageSpec<'a> {
    pub collection_key: String,
    pub path: String,
    pub context: String,
    pub query: &'a CollectionQuery,
    pub total: usize,
    pub offset: usize,
}

/// How many items this page holds: `$top`, cut by the page-size fault, or
/// none at all while the empty-pages fault lasts.
pub(super) fn page_size(state: &SimState, top: usize) -> usize {
    let mut faults = state.faults.lock().unwrap_or_else(|e| e.into_inner());
    if faults.empty_pages > 0 {
        faults.empty_pages -= 1;
        return 0;
    }
    faults.max_page_size.map_or(top, |cap| top.min(cap.max(1)))
}

pub(super) fn page_body(
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
        let surplus = state.faults().count_surplus as usize;
        body.insert("@odata.count".into(), json!(spec.total + surplus));
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

pub(super) fn select_context(base: &str, select: &Option<Vec<String>>) -> String {
    match select {
        Some(s) => format!("$metadata#{base}({})", s.join(",")),
        None => format!("$metadata#{base}"),
    }
}

pub(super) fn not_found(id: &str, headers: &HeaderMap) -> Response {
    graph_error(
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        &format!(
            "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
        ),
        headers,
    )
}
