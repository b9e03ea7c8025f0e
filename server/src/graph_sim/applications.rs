//! The emulated app registration: `GET /applications(appId='...')` with
//! its `passwordCredentials` (graph-api.md §10), which dirsync reads to warn
//! before its client secret expires. Graph never returns a secret's value
//! here, only its first three characters as `hint`.

use super::collection::refusal;
use super::tenant::AppRegistration;
use super::{SimState, graph_error, graph_response};
use app::domain::format::{format_graph_timestamp, millis_of_graph_timestamp};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// Who may read an application object (application-get's permissions).
const APPLICATION_ROLES: &[&str] = &[
    "Application.Read.All",
    "Application.ReadWrite.OwnedBy",
    "Application.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];

/// The properties the emulated application has.
const APPLICATION_PROPERTIES: [&str; 4] = ["id", "appId", "displayName", "passwordCredentials"];

const DAY: i64 = 86_400_000;

/// One client secret of the registration, in Graph's shape. Set through
/// the control API (`PUT /_sim/credentials`) to make a secret expire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimPasswordCredential {
    pub key_id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    /// The secret's first three characters.
    #[serde(default)]
    pub hint: Option<String>,
    pub start_date_time: String,
    pub end_date_time: String,
}

impl SimPasswordCredential {
    /// Both times must be `DateTimeOffset`s in UTC.
    pub fn validate(&self) -> Result<(), String> {
        for (name, value) in [
            ("startDateTime", &self.start_date_time),
            ("endDateTime", &self.end_date_time),
        ] {
            if millis_of_graph_timestamp(value).is_none() {
                return Err(format!(
                    "{name} {value:?} is not a UTC DateTimeOffset such as 2027-06-01T00:00:00Z"
                ));
            }
        }
        Ok(())
    }

    fn to_graph(&self) -> Value {
        json!({
            "customKeyIdentifier": null,
            "displayName": self.display_name,
            "endDateTime": self.end_date_time,
            "hint": self.hint,
            "keyId": self.key_id,
            "secretText": null,
            "startDateTime": self.start_date_time,
        })
    }
}

/// The registration's secrets when the emulator starts: the one it signs
/// in with, valid for six months from `now`, and an older one that has
/// expired (real registrations keep those until someone deletes them).
pub fn initial_credentials(registration: &AppRegistration, now: i64) -> Vec<SimPasswordCredential> {
    let hint: String = registration.client_secret.chars().take(3).collect();
    let old_hint = if hint.starts_with('Q') { "q7~" } else { "Q7~" };
    vec![
        SimPasswordCredential {
            key_id: "7d3b1c9e-52a4-4f0e-9c61-0a8e2b4d6f10".into(),
            display_name: Some("dirsync (old)".into()),
            hint: Some(old_hint.into()),
            start_date_time: format_graph_timestamp(now - 400 * DAY),
            end_date_time: format_graph_timestamp(now - 35 * DAY),
        },
        SimPasswordCredential {
            key_id: "c5a0f2d8-1b7e-4a39-8e64-3f9d2c1b7a05".into(),
            display_name: Some("dirsync".into()),
            hint: Some(hint),
            start_date_time: format_graph_timestamp(now - 30 * DAY),
            end_date_time: format_graph_timestamp(now + 180 * DAY),
        },
    ]
}

/// `GET /v1.0/applications(appId='{appId}')`, honouring `$select`.
pub async fn get_application(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path(segment): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(app_id) = segment
        .strip_prefix("applications(appId='")
        .and_then(|rest| rest.strip_suffix("')"))
    else {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            &format!("Resource not found for the segment '{segment}'."),
            &headers,
        );
    };
    if let Some(r) = refusal(&state, &headers, APPLICATION_ROLES).await {
        return r;
    }
    let registration = &state.registration;
    if app_id.replace("''", "'") != registration.client_id {
        return graph_error(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            &format!(
                "Resource '{app_id}' does not exist or one of its queried reference-property objects are not present."
            ),
            &headers,
        );
    }
    let selected = match selected_properties(raw.as_deref()) {
        Ok(selected) => selected,
        Err(property) => {
            return graph_error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                &format!(
                    "Could not find a property named '{property}' on type 'microsoft.graph.application'."
                ),
                &headers,
            );
        }
    };
    let credentials: Vec<Value> = state
        .password_credentials
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(SimPasswordCredential::to_graph)
        .collect();
    let full = json!({
        "id": state.application_object_id,
        "appId": registration.client_id,
        "displayName": registration.app_display_name,
        "passwordCredentials": credentials,
    });
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(format!(
            "{}/v1.0/$metadata#applications({})/$entity",
            state.graph_root(&headers),
            selected.join(",")
        )),
    );
    for property in &selected {
        body.insert((*property).to_owned(), full[*property].clone());
    }
    graph_response(StatusCode::OK, Value::Object(body).to_string(), &headers)
}

/// The `$select` list (every property without one); `Err` names the first
/// property an application does not have.
fn selected_properties(raw: Option<&str>) -> Result<Vec<&'static str>, String> {
    let select = raw
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| matches!(*key, "$select" | "%24select"))
        .map(|(_, value)| value.replace("%2C", ",").replace("%2c", ","));
    let Some(select) = select else {
        return Ok(APPLICATION_PROPERTIES.to_vec());
    };
    select
        .split(',')
        .map(|name| {
            APPLICATION_PROPERTIES
                .into_iter()
                .find(|p| p.eq_ignore_ascii_case(name.trim()))
                .ok_or_else(|| name.to_owned())
        })
        .collect()
}
