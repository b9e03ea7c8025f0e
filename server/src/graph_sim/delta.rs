//! Delta queries: `GET /users/delta` and `GET /groups/delta`, as
//! graph-api.md §3 describes them. A round of pages starts with the whole
//! collection (no token) or with what changed since a `$deltatoken`; its
//! pages carry `@odata.nextLink` (`$skiptoken`) and its last page an
//! `@odata.deltaLink`. Only selected properties are tracked; `$select=manager`
//! and `$select=members` track the relationships (`manager@delta`,
//! `members@delta`, a large change split over several appearances of the
//! same group). Removed objects and members come as `@removed`. No `$top`,
//! `$expand`, `$orderby` or `$filter`.
//!
//! The emulator remembers, per deltaLink handed out, a hash of each
//! object's selected projection: a later round returns the objects whose
//! projection changed, however the tenant was changed (control API or a
//! test's own hand). Tokens expire after seven days, or on demand through
//! the control API (`POST /_sim/delta/expire`), refused as Graph refuses
//! them.

use super::collection::{GROUP_ROLES, USER_ROLES, page_size, params, refusal};
use super::tenant::{
    DEFAULT_GROUP_PROPERTIES, DEFAULT_USER_PROPERTIES, GROUP_PROPERTIES, Tenant, USER_PROPERTIES,
};
use super::{SimState, graph_error, graph_response};
use app::domain::directory::MemberKind;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Objects per delta page (Graph's page size "can vary").
const DELTA_PAGE: usize = 200;
/// Members per appearance of a group: more are split over appearances.
const MEMBERS_PER_APPEARANCE: usize = 20;
/// How long a deltaLink stays good: seven days for directory objects.
const TOKEN_LIFETIME_SECS: u64 = 7 * 24 * 3600;
/// Rounds and deltaLinks remembered at once; older ones are forgotten
/// (and refused as expired), so no client can exhaust memory.
const REMEMBERED: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Users,
    Groups,
}

impl Resource {
    fn name(self) -> &'static str {
        match self {
            Self::Users => "users",
            Self::Groups => "groups",
        }
    }

    /// The relationship `$select` can track.
    fn relation(self) -> &'static str {
        match self {
            Self::Users => "manager",
            Self::Groups => "members",
        }
    }
}

/// How a token that was reset is refused (graph-api.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DeltaReset {
    /// 400 `syncStateNotFound`, as for a token past seven days.
    #[default]
    SyncStateNotFound,
    /// 400 `resyncRequired`.
    ResyncRequired,
    /// 410 Gone with a `Location` to start again from.
    Gone,
}

/// What a deltaLink knew of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Known {
    hash: u64,
    /// The manager, when tracked.
    manager: Option<String>,
    /// The members and their kinds, when tracked.
    members: BTreeMap<String, MemberKind>,
}

/// What a deltaLink knew of the whole collection.
struct Snapshot {
    resource: Resource,
    select: Vec<String>,
    issued_at: u64,
    generation: u64,
    objects: HashMap<String, Known>,
}

/// The pages of one round, computed at its first request.
struct Round {
    items: Vec<Value>,
    /// What the deltaLink at its end will know, and its id.
    end: Arc<Snapshot>,
    end_id: u64,
}

/// The emulator's delta memory.
#[derive(Default)]
pub struct DeltaState {
    snapshots: Mutex<BTreeMap<u64, Arc<Snapshot>>>,
    rounds: Mutex<BTreeMap<u64, Arc<Round>>>,
    next_id: AtomicU64,
    /// Tokens of an earlier generation were reset.
    generation: AtomicU64,
    reset_as: Mutex<DeltaReset>,
}

impl DeltaState {
    /// Every deltaLink handed out so far is refused from now on, as `how`.
    pub fn expire_all(&self, how: DeltaReset) {
        *self.reset_as.lock().unwrap_or_else(|e| e.into_inner()) = how;
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    fn id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::SeqCst) + 1
    }

    fn remember<T>(map: &Mutex<BTreeMap<u64, Arc<T>>>, id: u64, value: Arc<T>) {
        let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(id, value);
        while map.len() > REMEMBERED {
            let Some(oldest) = map.keys().next().copied() else {
                break;
            };
            map.remove(&oldest);
        }
    }
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn hash_of(value: &Value) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    value.to_string().hash(&mut hasher);
    hasher.finish()
}

fn unsupported(headers: &HeaderMap, what: &str) -> Response {
    graph_error(
        StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
        &format!("{what} is not supported with delta query."),
        headers,
    )
}

fn invalid_token(headers: &HeaderMap) -> Response {
    graph_error(
        StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
        "Unable to execute query; invalid page token specified.",
        headers,
    )
}

pub async fn users_delta(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    delta(&state, &headers, raw, Resource::Users).await
}

pub async fn groups_delta(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    delta(&state, &headers, raw, Resource::Groups).await
}

async fn delta(
    state: &SimState,
    headers: &HeaderMap,
    raw: Option<String>,
    resource: Resource,
) -> Response {
    let roles = match resource {
        Resource::Users => USER_ROLES,
        Resource::Groups => GROUP_ROLES,
    };
    if let Some(r) = refusal(state, headers, roles).await {
        return r;
    }
    let params = params(raw);
    for (key, _) in &params {
        let key = key.to_ascii_lowercase();
        if matches!(
            key.as_str(),
            "$top" | "$expand" | "$orderby" | "$filter" | "$count" | "$search" | "$skip"
        ) {
            return unsupported(headers, &key);
        }
    }
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    if let Some(token) = get("$skiptoken") {
        return next_page(state, headers, resource, token);
    }
    let delta = &state.delta;
    match get("$deltatoken") {
        // Sync from now: a deltaLink and no data.
        Some(token) if token.eq_ignore_ascii_case("latest") => {
            let select = match selection(resource, get("$select"), headers) {
                Ok(s) => s,
                Err(r) => return r,
            };
            let tenant = state.tenant.read().unwrap_or_else(|e| e.into_inner());
            let end = Arc::new(snapshot(&tenant, resource, &select, delta));
            drop(tenant);
            let round = Arc::new(Round {
                items: Vec::new(),
                end,
                end_id: delta.id(),
            });
            page(state, headers, resource, &round, 0, 0)
        }
        // An empty token starts again, as the `Location` of a reset says.
        Some("") => {
            let select = match selection(resource, get("$select"), headers) {
                Ok(s) => s,
                Err(r) => return r,
            };
            start_round(state, headers, resource, select, None)
        }
        Some(token) => {
            // A token this emulator cannot read (another run's, say) is a
            // sync state it does not have.
            let Some(id) = decode_delta_token(state, token) else {
                return expired(
                    state,
                    headers,
                    resource,
                    DeltaReset::SyncStateNotFound,
                    None,
                );
            };
            let known = delta
                .snapshots
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&id)
                .cloned();
            let Some(known) = known.filter(|k| k.resource == resource) else {
                return expired(
                    state,
                    headers,
                    resource,
                    DeltaReset::SyncStateNotFound,
                    None,
                );
            };
            let select = Some(known.select.as_slice());
            if known.generation < delta.generation.load(Ordering::SeqCst) {
                let how = *delta.reset_as.lock().unwrap_or_else(|e| e.into_inner());
                return expired(state, headers, resource, how, select);
            }
            if now_secs().saturating_sub(known.issued_at) > TOKEN_LIFETIME_SECS {
                return expired(
                    state,
                    headers,
                    resource,
                    DeltaReset::SyncStateNotFound,
                    select,
                );
            }
            start_round(state, headers, resource, known.select.clone(), Some(&known))
        }
        None => {
            let select = match selection(resource, get("$select"), headers) {
                Ok(s) => s,
                Err(r) => return r,
            };
            start_round(state, headers, resource, select, None)
        }
    }
}

/// The selected properties (the defaults without `$select`); unknown ones
/// are refused as on the collection.
#[allow(clippy::result_large_err)] // a Response, returned at once
fn selection(
    resource: Resource,
    select: Option<&str>,
    headers: &HeaderMap,
) -> Result<Vec<String>, Response> {
    let (defaults, known, type_name) = match resource {
        Resource::Users => (DEFAULT_USER_PROPERTIES, USER_PROPERTIES, "user"),
        Resource::Groups => (DEFAULT_GROUP_PROPERTIES, GROUP_PROPERTIES, "group"),
    };
    let Some(select) = select.filter(|s| !s.trim().is_empty()) else {
        return Ok(defaults.iter().map(|p| p.to_string()).collect());
    };
    let mut chosen: Vec<String> = Vec::new();
    for name in select.split(',').map(str::trim) {
        let found = known
            .iter()
            .copied()
            .chain(std::iter::once(resource.relation()))
            .find(|k| k.eq_ignore_ascii_case(name));
        match found {
            Some(p) => chosen.push(p.to_owned()),
            None => {
                return Err(graph_error(
                    StatusCode::BAD_REQUEST,
                    "Request_BadRequest",
                    &format!(
                        "Could not find a property named '{name}' on type 'microsoft.graph.{type_name}'."
                    ),
                    headers,
                ));
            }
        }
    }
    if !chosen.iter().any(|p| p == "id") {
        chosen.insert(0, "id".to_owned());
    }
    Ok(chosen)
}

/// The properties without the tracked relationship.
fn plain(select: &[String], resource: Resource) -> Vec<String> {
    select
        .iter()
        .filter(|p| *p != resource.relation())
        .cloned()
        .collect()
}

fn tracks_relation(select: &[String], resource: Resource) -> bool {
    select.iter().any(|p| p == resource.relation())
}

/// The kind of every object, for `@odata.type` of members.
fn kinds(tenant: &Tenant) -> HashMap<&str, MemberKind> {
    let mut kinds: HashMap<&str, MemberKind> = HashMap::new();
    kinds.extend(tenant.others.iter().map(|o| (o.id.as_str(), o.kind)));
    kinds.extend(
        tenant
            .groups
            .iter()
            .map(|g| (g.id.as_str(), MemberKind::Group)),
    );
    kinds.extend(
        tenant
            .users
            .iter()
            .map(|u| (u.id.as_str(), MemberKind::User)),
    );
    kinds
}

/// Each object now: its projection, and what a deltaLink remembers of it.
fn current(tenant: &Tenant, resource: Resource, select: &[String]) -> Vec<(String, Value, Known)> {
    let props = plain(select, resource);
    let relation = tracks_relation(select, resource);
    match resource {
        Resource::Users => tenant
            .users
            .iter()
            .map(|u| {
                let value = u.to_graph(&props);
                let manager = relation.then(|| u.manager_id.clone()).flatten();
                let hash = hash_of(&json!([value, manager]));
                (
                    u.id.clone(),
                    value,
                    Known {
                        hash,
                        manager,
                        members: BTreeMap::new(),
                    },
                )
            })
            .collect(),
        Resource::Groups => {
            let kinds = kinds(tenant);
            tenant
                .groups
                .iter()
                .map(|g| {
                    let value = g.to_graph(&props);
                    let members = if relation {
                        g.members
                            .iter()
                            .map(|m| {
                                let kind =
                                    kinds.get(m.as_str()).copied().unwrap_or(MemberKind::Other);
                                (m.clone(), kind)
                            })
                            .collect()
                    } else {
                        BTreeMap::new()
                    };
                    (
                        g.id.clone(),
                        value.clone(),
                        Known {
                            hash: hash_of(&value),
                            manager: None,
                            members,
                        },
                    )
                })
                .collect()
        }
    }
}

fn snapshot(
    tenant: &Tenant,
    resource: Resource,
    select: &[String],
    delta: &DeltaState,
) -> Snapshot {
    Snapshot {
        resource,
        select: select.to_vec(),
        issued_at: now_secs(),
        generation: delta.generation.load(Ordering::SeqCst),
        objects: current(tenant, resource, select)
            .into_iter()
            .map(|(id, _, known)| (id, known))
            .collect(),
    }
}

fn reference(kind: MemberKind, id: &str, removed: bool) -> Value {
    let mut value = json!({"@odata.type": kind.odata_type(), "id": id});
    if removed {
        value["@removed"] = json!({"reason": "deleted"});
    }
    value
}

/// The items of a round: every object (no token), or those whose tracked
/// projection changed since `known`, and the ones gone.
fn items(
    now: Vec<(String, Value, Known)>,
    resource: Resource,
    select: &[String],
    known: Option<&Snapshot>,
) -> Vec<Value> {
    let relation = tracks_relation(select, resource);
    let mut items = Vec::new();
    let present: std::collections::HashSet<&str> =
        now.iter().map(|(id, _, _)| id.as_str()).collect();
    for (id, value, state) in &now {
        let before = known.and_then(|k| k.objects.get(id));
        if before == Some(state) {
            continue;
        }
        match resource {
            Resource::Users => {
                let mut value = value.clone();
                if relation {
                    let mut refs = Vec::new();
                    if let Some(m) = &state.manager {
                        refs.push(reference(MemberKind::User, m, false));
                    } else if let Some(old) = before.and_then(|b| b.manager.as_ref()) {
                        refs.push(reference(MemberKind::User, old, true));
                    }
                    if !refs.is_empty() {
                        value["manager@delta"] = Value::Array(refs);
                    }
                }
                items.push(value);
            }
            Resource::Groups => {
                let mut changes: Vec<Value> = Vec::new();
                if relation {
                    let empty = BTreeMap::new();
                    let old = before.map_or(&empty, |b| &b.members);
                    for (m, kind) in &state.members {
                        if !old.contains_key(m) {
                            changes.push(reference(*kind, m, false));
                        }
                    }
                    for (m, kind) in old {
                        if !state.members.contains_key(m) {
                            changes.push(reference(*kind, m, true));
                        }
                    }
                }
                if changes.is_empty() {
                    let mut value = value.clone();
                    if relation {
                        value["members@delta"] = json!([]);
                    }
                    items.push(value);
                }
                // A large change comes as several appearances of the group.
                for chunk in changes.chunks(MEMBERS_PER_APPEARANCE) {
                    let mut value = value.clone();
                    value["members@delta"] = Value::Array(chunk.to_vec());
                    items.push(value);
                }
            }
        }
    }
    if let Some(known) = known {
        let mut gone: Vec<&String> = known
            .objects
            .keys()
            .filter(|id| !present.contains(id.as_str()))
            .collect();
        gone.sort();
        items.extend(
            gone.into_iter()
                .map(|id| json!({"id": id, "@removed": {"reason": "deleted"}})),
        );
    }
    items
}

fn start_round(
    state: &SimState,
    headers: &HeaderMap,
    resource: Resource,
    select: Vec<String>,
    known: Option<&Snapshot>,
) -> Response {
    let delta = &state.delta;
    let tenant = state.tenant.read().unwrap_or_else(|e| e.into_inner());
    let now = current(&tenant, resource, &select);
    drop(tenant);
    let end = Arc::new(Snapshot {
        resource,
        select: select.clone(),
        issued_at: now_secs(),
        generation: delta.generation.load(Ordering::SeqCst),
        objects: now
            .iter()
            .map(|(id, _, known)| (id.clone(), known.clone()))
            .collect(),
    });
    let round = Arc::new(Round {
        items: items(now, resource, &select, known),
        end,
        end_id: delta.id(),
    });
    let round_id = delta.id();
    DeltaState::remember(&delta.rounds, round_id, round.clone());
    page(state, headers, resource, &round, round_id, 0)
}

fn next_page(state: &SimState, headers: &HeaderMap, resource: Resource, token: &str) -> Response {
    let parsed = token.split_once('.').and_then(|(round, page)| {
        let round_id = u64::from_str_radix(round, 16).ok()?;
        let offset = state
            .page_tokens
            .decode(&format!("delta-{}-{round_id}", resource.name()), page)
            .ok()?;
        Some((round_id, offset))
    });
    let Some((round_id, offset)) = parsed else {
        return invalid_token(headers);
    };
    let round = state
        .delta
        .rounds
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&round_id)
        .cloned();
    match round {
        Some(round) if offset <= round.items.len() => {
            page(state, headers, resource, &round, round_id, offset)
        }
        // Forgotten: as an expired state.
        _ => expired(
            state,
            headers,
            resource,
            DeltaReset::SyncStateNotFound,
            None,
        ),
    }
}

fn page(
    state: &SimState,
    headers: &HeaderMap,
    resource: Resource,
    round: &Arc<Round>,
    round_id: u64,
    offset: usize,
) -> Response {
    let root = state.graph_root(headers);
    let name = resource.name();
    let size = page_size(state, DELTA_PAGE);
    let values: Vec<Value> = round
        .items
        .iter()
        .skip(offset)
        .take(size)
        .cloned()
        .collect();
    let next = offset + values.len();
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(format!(
            "{root}/v1.0/$metadata#{name}({})",
            round.end.select.join(",")
        )),
    );
    if next < round.items.len() || size == 0 && !round.items.is_empty() {
        let token = state
            .page_tokens
            .encode(&format!("delta-{name}-{round_id}"), next);
        body.insert(
            "@odata.nextLink".into(),
            json!(format!(
                "{root}/v1.0/{name}/delta?$skiptoken={round_id:x}.{token}"
            )),
        );
    } else {
        DeltaState::remember(&state.delta.snapshots, round.end_id, round.end.clone());
        let token = state
            .page_tokens
            .encode(&format!("deltalink-{name}"), round.end_id as usize);
        body.insert(
            "@odata.deltaLink".into(),
            json!(format!("{root}/v1.0/{name}/delta?$deltatoken={token}")),
        );
    }
    body.insert("value".into(), Value::Array(values));
    graph_response(StatusCode::OK, Value::Object(body).to_string(), headers)
}

fn decode_delta_token(state: &SimState, token: &str) -> Option<u64> {
    ["users", "groups"].into_iter().find_map(|name| {
        state
            .page_tokens
            .decode(&format!("deltalink-{name}"), token)
            .ok()
            .map(|id| id as u64)
    })
}

/// A deltaLink that no longer holds, refused as Graph refuses it; a 410
/// points at the first request again, with the same `$select`.
fn expired(
    state: &SimState,
    headers: &HeaderMap,
    resource: Resource,
    how: DeltaReset,
    select: Option<&[String]>,
) -> Response {
    match how {
        DeltaReset::SyncStateNotFound => graph_error(
            StatusCode::BAD_REQUEST,
            "syncStateNotFound",
            "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
            headers,
        ),
        DeltaReset::ResyncRequired => graph_error(
            StatusCode::BAD_REQUEST,
            "resyncRequired",
            "The delta token is no longer valid, and the app must reset the sync state.",
            headers,
        ),
        DeltaReset::Gone => {
            let mut r = graph_error(
                StatusCode::GONE,
                "resyncRequired",
                "The delta token is no longer valid, and the app must reset the sync state.",
                headers,
            );
            let select = select
                .map(|s| format!("$select={}&", s.join(",")))
                .unwrap_or_default();
            let location = format!(
                "{}/v1.0/{}/delta?{select}$deltatoken=",
                state.graph_root(headers),
                resource.name()
            );
            if let Ok(v) = HeaderValue::from_str(&location) {
                r.headers_mut().insert("location", v);
            }
            r
        }
    }
}
