//! The emulator itself against the shapes of graph-api.md (Appendix A).

use reqwest::StatusCode;
use serde_json::Value;
use server::graph_sim::generate::generate;
use server::graph_sim::{Faults, GraphSim};

struct Sim {
    sim: GraphSim,
    base: String,
    http: reqwest::Client,
}

async fn start() -> Sim {
    let sim = GraphSim::new(generate(250, 12, 21), 21, "");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = sim.router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Sim {
        sim,
        base,
        http: reqwest::Client::new(),
    }
}

impl Sim {
    async fn token_response(&self, form: &[(&str, &str)]) -> reqwest::Response {
        let tenant = self.sim.registration().tenant_id.clone();
        self.http
            .post(format!("{}/{tenant}/oauth2/v2.0/token", self.base))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    async fn token(&self) -> String {
        let reg = self.sim.registration().clone();
        let r = self
            .token_response(&[
                ("client_id", &reg.client_id),
                ("client_secret", &reg.client_secret),
                ("scope", "https://graph.microsoft.com/.default"),
                ("grant_type", "client_credentials"),
            ])
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 3599);
        assert_eq!(body["ext_expires_in"], 3599);
        body["access_token"].as_str().unwrap().to_owned()
    }

    async fn get(&self, path: &str, token: Option<&str>, consistency: bool) -> (StatusCode, Value) {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        let mut r = self.http.get(url);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if consistency {
            r = r.header("ConsistencyLevel", "eventual");
        }
        let response = r.send().await.unwrap();
        let status = response.status();
        let ct = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        assert!(response.headers().contains_key("request-id"));
        let text = response.text().await.unwrap();
        let body = if ct.starts_with("application/json") {
            serde_json::from_str(&text).unwrap()
        } else {
            Value::String(text)
        };
        (status, body)
    }
}

fn claims(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn tokens_carry_v1_app_claims_and_roles() {
    let sim = start().await;
    let token = sim.token().await;
    let c = claims(&token);
    let reg = sim.sim.registration();
    assert_eq!(c["aud"], "https://graph.microsoft.com");
    assert_eq!(
        c["iss"],
        format!("https://sts.windows.net/{}/", reg.tenant_id)
    );
    assert_eq!(c["idtyp"], "app");
    assert_eq!(c["ver"], "1.0");
    assert_eq!(c["appid"], reg.client_id.as_str());
    assert_eq!(
        c["roles"],
        serde_json::json!(["User.Read.All", "Group.Read.All", "Directory.Read.All"])
    );
    sim.sim.set_faults(Faults {
        no_roles: true,
        ..Faults::default()
    });
    assert!(claims(&sim.token().await).get("roles").is_none());
}

#[tokio::test]
async fn token_errors_have_aadsts_bodies_and_real_statuses() {
    let sim = start().await;
    let reg = sim.sim.registration().clone();
    let scope = "https://graph.microsoft.com/.default";
    // (form, HTTP status, OAuth error, AADSTS code)
    type Case<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str, u64);
    let cases: Vec<Case> = vec![
        (
            vec![
                ("client_id", &reg.client_id),
                ("client_secret", "wrong"),
                ("scope", scope),
                ("grant_type", "client_credentials"),
            ],
            401,
            "invalid_client",
            7000215,
        ),
        (
            vec![
                ("client_id", "nope"),
                ("client_secret", &reg.client_secret),
                ("scope", scope),
                ("grant_type", "client_credentials"),
            ],
            400,
            "unauthorized_client",
            700016,
        ),
        (
            vec![
                ("client_id", &reg.client_id),
                ("client_secret", &reg.client_secret),
                ("scope", "https://graph.microsoft.com/User.Read"),
                ("grant_type", "client_credentials"),
            ],
            400,
            "invalid_scope",
            70011,
        ),
    ];
    for (form, status, error, code) in cases {
        let r = sim.token_response(&form).await;
        assert_eq!(r.status().as_u16(), status, "{error}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], error);
        assert_eq!(body["error_codes"], serde_json::json!([code]));
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .starts_with(&format!("AADSTS{code}:"))
        );
        assert!(body["trace_id"].is_string() && body["correlation_id"].is_string());
    }
    let r = sim
        .http
        .post(format!("{}/not-a-tenant/oauth2/v2.0/token", sim.base))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_tenant");
    assert_eq!(body["error_codes"], serde_json::json!([90002]));
    let r = sim
        .http
        .post(format!("{}/common/oauth2/v2.0/token", sim.base))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap()["error_codes"],
        serde_json::json!([9001023])
    );
}

#[tokio::test]
async fn graph_refuses_missing_bad_and_underprivileged_tokens() {
    let sim = start().await;
    let (status, body) = sim.get("/v1.0/users", None, false).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    assert_eq!(body["error"]["message"], "Access token is empty.");
    let (status, body) = sim.get("/v1.0/users", Some("not.a.token"), false).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("CompactToken")
    );
    assert!(body["error"]["innerError"]["request-id"].is_string());

    sim.sim.set_faults(Faults {
        roles: Some(vec!["Mail.Send".into()]),
        ..Faults::default()
    });
    let token = sim.token().await;
    let (status, body) = sim.get("/v1.0/users", Some(&token), false).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "Authorization_RequestDenied");
    assert_eq!(
        body["error"]["message"],
        "Insufficient privileges to complete the operation."
    );
}

#[tokio::test]
async fn users_default_properties_select_top_and_count() {
    let sim = start().await;
    let token = sim.token().await;
    let (status, body) = sim.get("/v1.0/users", Some(&token), false).await;
    assert_eq!(status, StatusCode::OK);
    let users = body["value"].as_array().unwrap();
    assert_eq!(users.len(), 100, "the default page size");
    let mut keys: Vec<&String> = users[0].as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "businessPhones",
            "displayName",
            "givenName",
            "id",
            "jobTitle",
            "mail",
            "mobilePhone",
            "officeLocation",
            "preferredLanguage",
            "surname",
            "userPrincipalName"
        ]
    );
    assert!(body.get("@odata.count").is_none());
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/v1.0/$metadata#users")
    );

    let (_, body) = sim
        .get(
            "/v1.0/users?$select=id,accountEnabled&$top=200&$count=true",
            Some(&token),
            false,
        )
        .await;
    assert!(
        body.get("@odata.count").is_none(),
        "$count without the header is ignored"
    );
    assert_eq!(body["value"][0].as_object().unwrap().len(), 2);
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("#users(id,accountEnabled)")
    );

    let (_, first) = sim
        .get(
            "/v1.0/users?$select=id&$top=200&$count=true",
            Some(&token),
            true,
        )
        .await;
    assert_eq!(first["@odata.count"], 250);
    let next = first["@odata.nextLink"].as_str().unwrap().to_owned();
    assert!(
        next.starts_with(&sim.base)
            && next.contains("$select=id")
            && next.contains("$top=200")
            && next.contains("$skiptoken="),
        "{next}"
    );
    let (_, second) = sim.get(&next, Some(&token), true).await;
    assert_eq!(second["value"].as_array().unwrap().len(), 50);
    assert!(
        second.get("@odata.count").is_none(),
        "the count is on page one only"
    );
    assert!(second.get("@odata.nextLink").is_none());

    let (status, body) = sim.get("/v1.0/users?$top=1000", Some(&token), false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "Request_UnsupportedQuery");
    assert_eq!(
        body["error"]["message"],
        "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."
    );
    let (status, _) = sim
        .get("/v1.0/users?$select=skills", Some(&token), false)
        .await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED);
    let (status, body) = sim.get(&format!("{}x", next), Some(&token), false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error"]["message"],
        "Unable to execute query; invalid page token specified."
    );
    let (status, _) = sim.get("/v1.0/users/$count", Some(&token), false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, count) = sim.get("/v1.0/users/$count", Some(&token), true).await;
    assert_eq!(
        (status, count),
        (StatusCode::OK, Value::String("250".into()))
    );
}

#[tokio::test]
async fn filters_on_account_enabled_and_user_type() {
    let sim = start().await;
    let token = sim.token().await;
    let (_, body) = sim
        .get(
            "/v1.0/users?$select=id,accountEnabled&$top=999&$filter=accountEnabled%20eq%20false",
            Some(&token),
            false,
        )
        .await;
    let disabled = body["value"].as_array().unwrap();
    assert!(!disabled.is_empty());
    assert!(disabled.iter().all(|u| u["accountEnabled"] == false));
    let (_, body) = sim
        .get(
            "/v1.0/users?$select=id,userType&$top=999&$filter=userType%20eq%20'Guest'",
            Some(&token),
            false,
        )
        .await;
    assert!(
        body["value"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["userType"] == "Guest")
    );
    let (status, _) = sim
        .get(
            "/v1.0/users?$filter=accountEnabled%20ne%20true",
            Some(&token),
            false,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "ne needs an advanced query"
    );
}

#[tokio::test]
async fn members_carry_their_type_and_managers_404_when_absent() {
    let sim = start().await;
    let token = sim.token().await;
    let tenant = generate(250, 12, 21);
    let it = tenant
        .groups
        .iter()
        .find(|g| g.display_name.as_deref() == Some("IT"))
        .unwrap();
    let (status, body) = sim
        .get(
            &format!("/v1.0/groups/{}/members?$top=999", it.id),
            Some(&token),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#directoryObjects")
    );
    let members = body["value"].as_array().unwrap();
    assert!(members.iter().all(|m| {
        m["@odata.type"]
            .as_str()
            .unwrap()
            .starts_with("#microsoft.graph.")
    }));
    let device = members
        .iter()
        .find(|m| m["@odata.type"] == "#microsoft.graph.device")
        .unwrap();
    assert!(
        device["displayName"].is_null(),
        "limited information for types the token cannot read"
    );

    let head = tenant
        .users
        .iter()
        .find(|u| u.manager_id.is_none() && u.user_type == "Member")
        .unwrap();
    let (status, body) = sim
        .get(
            &format!("/v1.0/users/{}/manager", head.id),
            Some(&token),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "Request_ResourceNotFound");
    let report = tenant
        .users
        .iter()
        .find(|u| u.manager_id.is_some())
        .unwrap();
    let (status, body) = sim
        .get(
            &format!("/v1.0/users/{}/manager", report.id),
            Some(&token),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["@odata.type"], "#microsoft.graph.user");
    assert_eq!(body["id"], report.manager_id.clone().unwrap());
}

#[tokio::test]
async fn managers_expand_with_the_users_and_addresses_are_selectable() {
    let sim = start().await;
    let token = sim.token().await;
    let tenant = generate(250, 12, 21);
    let (status, body) = sim
        .get(
            "/v1.0/users?$select=id,proxyAddresses,otherMails,city,usageLocation,employeeHireDate\
             &$expand=manager($select=id,displayName)&$top=999",
            Some(&token),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let users = body["value"].as_array().unwrap();
    assert_eq!(users.len(), 250);
    for (json, user) in users.iter().zip(&tenant.users) {
        match &user.manager_id {
            Some(id) => {
                let manager = tenant.users.iter().find(|u| &u.id == id).unwrap();
                assert_eq!(json["manager"]["@odata.type"], "#microsoft.graph.user");
                assert_eq!(json["manager"]["id"], *id);
                assert_eq!(
                    json["manager"]["displayName"],
                    manager.display_name.clone().unwrap()
                );
            }
            None => assert!(
                json.get("manager").is_none(),
                "no manager, no property: {json}"
            ),
        }
        assert_eq!(
            json["proxyAddresses"],
            serde_json::json!(user.proxy_addresses)
        );
        assert_eq!(json["otherMails"], serde_json::json!(user.other_mails));
        assert_eq!(
            json["usageLocation"],
            serde_json::json!(user.usage_location)
        );
    }
    assert!(users.iter().any(|u| {
        u["proxyAddresses"][1]
            .as_str()
            .is_some_and(|a| a.starts_with("smtp:"))
    }));
    assert!(
        users
            .iter()
            .any(|u| !u["otherMails"].as_array().unwrap().is_empty())
    );
    assert!(users.iter().any(|u| {
        u["employeeHireDate"]
            .as_str()
            .is_some_and(|d| d.ends_with("T00:00:00Z"))
    }));

    // `$expand` with no `$select` returns the manager's id.
    let report = tenant
        .users
        .iter()
        .find(|u| u.manager_id.is_some())
        .unwrap();
    let (status, body) = sim
        .get(
            &format!("/v1.0/users/{}?$expand=manager", report.id),
            Some(&token),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["manager"]["id"], report.manager_id.clone().unwrap());

    // Not with advanced queries, and only the manager.
    let (status, body) = sim
        .get(
            "/v1.0/users?$expand=manager&$count=true",
            Some(&token),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "Request_UnsupportedQuery");
    let (status, _) = sim
        .get("/v1.0/groups?$expand=members", Some(&token), false)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = sim
        .get(
            "/v1.0/users?$expand=manager($filter=x)",
            Some(&token),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = sim
        .get("/v1.0/users?$select=hireDate", Some(&token), false)
        .await;
    assert_ne!(
        status,
        StatusCode::OK,
        "hireDate (SharePoint) is not employeeHireDate"
    );
}

#[tokio::test]
async fn the_control_api_changes_the_tenant_and_faults() {
    let sim = start().await;
    let http = &sim.http;
    let summary: Value = http
        .get(format!("{}/_sim/tenant", sim.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(summary["users"], 250);
    let id = generate(250, 12, 21).users[5].id.clone();
    let r = http
        .patch(format!("{}/_sim/users/{id}", sim.base))
        .body(r#"{"displayName":"Renamed Person","accountEnabled":false}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let user: Value = http
        .get(format!("{}/_sim/users/{id}", sim.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(user["displayName"], "Renamed Person");
    assert_eq!(user["accountEnabled"], false);
    assert_eq!(
        http.delete(format!("{}/_sim/users/{id}", sim.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        http.delete(format!("{}/_sim/users/{id}", sim.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    let added = http.post(format!("{}/_sim/users", sim.base)).body(r#"{"displayName":"New Hire","userPrincipalName":"new.hire@contoso.com","mail":"new.hire@contoso.com"}"#).send().await.unwrap();
    assert_eq!(added.status(), StatusCode::CREATED);
    let bad = http
        .post(format!("{}/_sim/users", sim.base))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let r = http
        .put(format!("{}/_sim/faults", sim.base))
        .body(r#"{"throttleEvery":3,"retryAfterSecs":5}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(sim.sim.state.faults().throttle_every, Some(3));
    let generated: Value = http
        .post(format!("{}/_sim/tenant/generate", sim.base))
        .body(r#"{"users":40,"groups":3,"seed":2}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(generated["users"], 40);
}

#[tokio::test]
async fn the_app_registration_lists_its_secrets_by_hint_never_by_value() {
    let sim = start().await;
    let token = sim.token().await;
    let reg = sim.sim.registration().clone();
    let path = format!(
        "/v1.0/applications(appId='{}')?$select=id,appId,displayName,passwordCredentials",
        reg.client_id
    );
    let (status, app) = sim.get(&path, Some(&token), false).await;
    assert_eq!(status, StatusCode::OK, "{app}");
    assert_eq!(app["appId"], reg.client_id.as_str());
    assert_eq!(app["displayName"], "dirsync");
    assert!(
        app["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#applications(id,appId,displayName,passwordCredentials)/$entity")
    );
    let secrets = app["passwordCredentials"].as_array().unwrap();
    assert_eq!(secrets.len(), 2, "the one in use and an expired one");
    let hint: String = reg.client_secret.chars().take(3).collect();
    let in_use = secrets.iter().find(|s| s["hint"] == hint.as_str()).unwrap();
    assert!(in_use["endDateTime"].as_str().unwrap().ends_with('Z'));
    assert!(secrets.iter().all(|s| s["secretText"].is_null()));
    assert!(!app.to_string().contains(&reg.client_secret));

    // `$select` narrows the object; an unknown property is refused.
    let (_, narrow) = sim
        .get(
            &format!(
                "/v1.0/applications(appId='{}')?$select=displayName",
                reg.client_id
            ),
            Some(&token),
            false,
        )
        .await;
    assert_eq!(narrow.as_object().unwrap().len(), 2, "{narrow}");
    let (status, bad) = sim
        .get(
            &format!(
                "/v1.0/applications(appId='{}')?$select=secrets",
                reg.client_id
            ),
            Some(&token),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    // Another app, a segment Graph does not have, and no token.
    let (status, body) = sim
        .get(
            "/v1.0/applications(appId='11111111-2222-4333-8444-555555555555')",
            Some(&token),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "Request_ResourceNotFound");
    let (status, _) = sim.get("/v1.0/frobnicate", Some(&token), false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = sim.get(&path, None, false).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Without a role that reads applications: 403, as Graph answers.
    sim.sim.set_faults(Faults {
        roles: Some(vec!["User.Read.All".into(), "Group.Read.All".into()]),
        ..Faults::default()
    });
    let token = sim.token().await;
    let (status, body) = sim.get(&path, Some(&token), false).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "Authorization_RequestDenied");

    // The control API replaces the list, and refuses times that are not.
    let http = &sim.http;
    let r = http
        .put(format!("{}/_sim/credentials", sim.base))
        .body(r#"[{"keyId":"k","hint":"abc","startDateTime":"2026-01-01T00:00:00Z","endDateTime":"2026-12-24T00:00:00Z"}]"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        sim.sim.password_credentials()[0].hint.as_deref(),
        Some("abc")
    );
    let r = http
        .put(format!("{}/_sim/credentials", sim.base))
        .body(r#"[{"keyId":"k","startDateTime":"2026-01-01","endDateTime":"soon"}]"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(sim.sim.password_credentials().len(), 1, "unchanged");
}
