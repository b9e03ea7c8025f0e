//! Graph's JSON, as documented (graph-api.md §1.3-1.4, §2, §4, §7), and its
//! mapping to the domain's types. Unknown fields are ignored; a missing
//! required field is an error naming the object, never a guess.

use app::domain::connection::secret_expiry::PasswordCredential;
use app::domain::directory::{
    DirectoryGroup, DirectoryUser, DirectoryUserType, GroupMember, MemberKind,
};
use app::domain::format::millis_of_graph_timestamp;
use app::domain::profile::{LIST_SEPARATOR, PROFILE, Profile, ValueKind};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::LazyLock;

/// Every user property the product maps: the fixed ones and each profile
/// field's (most are only returned when selected).
pub static USER_SELECT: LazyLock<String> = LazyLock::new(|| {
    let mut properties = vec![
        "id",
        "displayName",
        "mail",
        "userPrincipalName",
        "accountEnabled",
        "userType",
        "proxyAddresses",
        "otherMails",
    ];
    properties.extend(PROFILE.iter().map(|s| s.graph));
    properties.join(",")
});
/// Each user's manager, with the users themselves: one request per page,
/// not one per user (graph-api.md §4).
pub const MANAGER_EXPAND: &str = "manager($select=id)";
pub const GROUP_SELECT: &str = "id,displayName,description,mail";
/// The largest page Graph serves for users and groups.
pub const MAX_PAGE_SIZE: u32 = 999;

/// A collection page: `value`, and `@odata.nextLink` until the last page
/// (which, in a delta read, carries the `@odata.deltaLink`).
#[derive(Debug, Deserialize)]
pub struct PageJson<T> {
    pub value: Vec<T>,
    #[serde(rename = "@odata.nextLink")]
    pub next_link: Option<String>,
    #[serde(rename = "@odata.deltaLink")]
    pub delta_link: Option<String>,
    #[serde(rename = "@odata.count")]
    pub count: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserJson {
    id: Option<String>,
    display_name: Option<String>,
    mail: Option<String>,
    user_principal_name: Option<String>,
    account_enabled: Option<bool>,
    user_type: Option<String>,
    proxy_addresses: Option<Vec<Option<String>>>,
    other_mails: Option<Vec<Option<String>>>,
    /// `$expand=manager($select=id)`: absent or null without one.
    manager: Option<ManagerJson>,
    /// The profile properties, read through the profile table.
    #[serde(flatten)]
    rest: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
pub struct ManagerJson {
    #[serde(rename = "@odata.type")]
    odata_type: Option<String>,
    id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupJson {
    id: Option<String>,
    display_name: Option<String>,
    description: Option<String>,
    mail: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct MemberJson {
    #[serde(rename = "@odata.type")]
    odata_type: Option<String>,
    id: Option<String>,
}

/// A Graph error body: `{"error":{"code":..,"message":..}}`.
#[derive(Debug, Deserialize)]
pub struct GraphErrorJson {
    pub error: GraphErrorDetail,
}

#[derive(Debug, Deserialize)]
pub struct GraphErrorDetail {
    pub code: String,
}

#[derive(Debug, Deserialize)]
pub struct TokenJson {
    pub access_token: String,
    pub expires_in: u64,
}

#[derive(Debug, Deserialize)]
pub struct TokenErrorJson {
    pub error: String,
    #[serde(default)]
    pub error_codes: Vec<u64>,
}

/// What a JSON value is, for a message.
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Empty strings mean "not set" as much as null does.
fn clean(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

impl UserJson {
    /// The id, when there is one (a removed user has little else).
    pub fn id(&self) -> Option<String> {
        clean(self.id.clone())
    }

    pub fn into_domain(self) -> Result<DirectoryUser, String> {
        let id = clean(self.id).ok_or("a user without an id")?;
        let user_principal_name = clean(self.user_principal_name)
            .ok_or_else(|| format!("user {id} has no userPrincipalName"))?;
        let user_type = match self.user_type.as_deref().map(str::trim) {
            Some(t) if t.eq_ignore_ascii_case("member") => Some(DirectoryUserType::Member),
            Some(t) if t.eq_ignore_ascii_case("guest") => Some(DirectoryUserType::Guest),
            _ => None,
        };
        let mut profile = Profile::default();
        for spec in PROFILE {
            let value = match (spec.kind, self.rest.get(spec.graph)) {
                (_, None | Some(Value::Null)) => None,
                (ValueKind::Text | ValueKind::Date, Some(Value::String(s))) => {
                    clean(Some(s.clone()))
                }
                (ValueKind::List, Some(Value::Array(items))) => {
                    let texts = items
                        .iter()
                        .map(|item| match item {
                            Value::String(s) => Ok(clean(Some(s.clone()))),
                            Value::Null => Ok(None),
                            _ => Err(()),
                        })
                        .collect::<Result<Vec<_>, ()>>()
                        .map_err(|()| {
                            format!("user {id}: {} holds something other than text", spec.graph)
                        })?;
                    Some(
                        texts
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join(LIST_SEPARATOR),
                    )
                }
                (_, Some(other)) => {
                    return Err(format!(
                        "user {id}: {} is {}, not {}",
                        spec.graph,
                        json_kind(other),
                        if spec.kind == ValueKind::List {
                            "a list"
                        } else {
                            "text"
                        }
                    ));
                }
            };
            profile.set(spec.field, value);
        }
        let texts = |list: Option<Vec<Option<String>>>| -> Vec<String> {
            list.unwrap_or_default()
                .into_iter()
                .filter_map(clean)
                .collect()
        };
        let manager_id = self
            .manager
            .filter(|m| {
                m.odata_type
                    .as_deref()
                    .is_none_or(|t| MemberKind::from_odata_type(t) == MemberKind::User)
            })
            .and_then(|m| clean(m.id));
        Ok(DirectoryUser {
            id,
            display_name: clean(self.display_name),
            mail: clean(self.mail),
            user_principal_name,
            profile,
            proxy_addresses: texts(self.proxy_addresses),
            other_mails: texts(self.other_mails),
            manager_id,
            account_enabled: self.account_enabled,
            user_type,
        })
    }
}

impl GroupJson {
    pub fn id(&self) -> Option<String> {
        clean(self.id.clone())
    }

    pub fn into_domain(self) -> Result<DirectoryGroup, String> {
        Ok(DirectoryGroup {
            id: clean(self.id).ok_or("a group without an id")?,
            display_name: clean(self.display_name),
            description: clean(self.description),
            mail: clean(self.mail),
        })
    }
}

impl MemberJson {
    pub fn into_domain(self) -> Result<GroupMember, String> {
        let id = clean(self.id).ok_or("a group member without an id")?;
        let kind = self
            .odata_type
            .as_deref()
            .map_or(MemberKind::Other, MemberKind::from_odata_type);
        Ok(GroupMember { id, kind })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::profile::ProfileField;

    fn user(json: serde_json::Value) -> Result<DirectoryUser, String> {
        serde_json::from_value::<UserJson>(json)
            .unwrap()
            .into_domain()
    }

    #[test]
    fn a_full_user_maps_every_property() {
        let u = user(serde_json::json!({
            "id": "6e7b768e-07e2-4810-8459-485f84f8f204",
            "displayName": "Zoë O'Brien", "givenName": "Zoë", "surname": "O'Brien",
            "mail": "zoe@contoso.com", "userPrincipalName": "zoe@contoso.com",
            "jobTitle": "Lead", "department": "サポート", "officeLocation": "Dublin",
            "mobilePhone": "+353 87 555 0101", "businessPhones": ["+353 1 555 0100"],
            "employeeId": "E42", "accountEnabled": false, "userType": "Member",
            "preferredLanguage": "en-IE", "someFutureProperty": {"nested": true},
            "companyName": "Contoso Ltd", "employeeType": "Contractor", "city": "Dublin",
            "country": "Ireland", "usageLocation": "IE", "employeeHireDate": "2021-03-01T00:00:00Z",
            "proxyAddresses": ["SMTP:zoe@contoso.com", "smtp:zoe.obrien@contoso.ie", "SIP:zoe@contoso.com"],
            "otherMails": ["zoe@gmail.com", null],
            "manager": {"@odata.type": "#microsoft.graph.user", "id": "m-1"}
        }))
        .unwrap();
        assert_eq!(u.display_name.as_deref(), Some("Zoë O'Brien"));
        assert_eq!(u.profile.get(ProfileField::Department), Some("サポート"));
        assert_eq!(
            u.profile.get(ProfileField::BusinessPhones),
            Some("+353 1 555 0100")
        );
        assert_eq!(
            u.profile.get(ProfileField::CompanyName),
            Some("Contoso Ltd")
        );
        assert_eq!(
            u.profile.get(ProfileField::EmployeeType),
            Some("Contractor")
        );
        assert_eq!(u.profile.get(ProfileField::City), Some("Dublin"));
        assert_eq!(u.profile.get(ProfileField::Country), Some("Ireland"));
        assert_eq!(u.profile.get(ProfileField::UsageLocation), Some("IE"));
        assert_eq!(
            u.profile.get(ProfileField::PreferredLanguage),
            Some("en-IE")
        );
        assert_eq!(
            u.profile.get(ProfileField::EmployeeHireDate),
            Some("2021-03-01T00:00:00Z"),
            "as Graph sent it: the mapping makes it a day"
        );
        assert_eq!(
            u.smtp_aliases().collect::<Vec<_>>(),
            ["zoe@contoso.com", "zoe.obrien@contoso.ie"]
        );
        assert_eq!(u.other_mails, vec!["zoe@gmail.com"]);
        assert_eq!(u.manager_id.as_deref(), Some("m-1"));
        assert_eq!(u.account_enabled, Some(false));
        assert_eq!(u.user_type, Some(DirectoryUserType::Member));
    }

    #[test]
    fn every_business_phone_is_kept_and_a_contact_manager_is_not_a_user() {
        let u = user(serde_json::json!({
            "id": "1", "userPrincipalName": "a@b.c",
            "businessPhones": ["+1 555 0100", " ", "+1 555 0101"],
            "manager": {"@odata.type": "#microsoft.graph.orgContact", "id": "c-1"}
        }))
        .unwrap();
        assert_eq!(
            u.profile.get(ProfileField::BusinessPhones),
            Some("+1 555 0100; +1 555 0101")
        );
        assert_eq!(u.manager_id, None);
    }

    #[test]
    fn a_property_of_the_wrong_type_is_refused_by_name() {
        assert_eq!(
            user(serde_json::json!({"id": "1", "userPrincipalName": "a@b.c", "city": 5}))
                .unwrap_err(),
            "user 1: city is a number, not text"
        );
        assert_eq!(
            user(
                serde_json::json!({"id": "1", "userPrincipalName": "a@b.c", "businessPhones": "+1"})
            )
            .unwrap_err(),
            "user 1: businessPhones is text, not a list"
        );
        assert_eq!(
            user(
                serde_json::json!({"id": "1", "userPrincipalName": "a@b.c", "businessPhones": [1]})
            )
            .unwrap_err(),
            "user 1: businessPhones holds something other than text"
        );
    }

    #[test]
    fn nulls_empties_and_missing_properties_are_not_set() {
        let u = user(serde_json::json!({
            "id": "1", "userPrincipalName": "ada_x.com#EXT#@t.onmicrosoft.com",
            "mail": null, "businessPhones": [], "displayName": "  ", "userType": "Guest"
        }))
        .unwrap();
        assert_eq!(u.mail, None);
        assert_eq!(u.profile, Profile::default());
        assert_eq!(u.display_name, None);
        assert_eq!(u.account_enabled, None);
        assert!(u.is_guest());
    }

    #[test]
    fn users_without_id_or_upn_are_refused_by_name() {
        assert_eq!(
            user(serde_json::json!({"userPrincipalName": "a@b.c"})).unwrap_err(),
            "a user without an id"
        );
        assert_eq!(
            user(serde_json::json!({"id": "abc"})).unwrap_err(),
            "user abc has no userPrincipalName"
        );
    }

    #[test]
    fn members_keep_their_type() {
        let m: MemberJson = serde_json::from_value(serde_json::json!({
            "@odata.type": "#microsoft.graph.device", "id": "d1", "accountEnabled": null, "displayName": null
        }))
        .unwrap();
        assert_eq!(
            m.into_domain().unwrap(),
            GroupMember {
                id: "d1".into(),
                kind: MemberKind::Device
            }
        );
    }

    #[test]
    fn pages_carry_next_link_and_count() {
        let page: PageJson<UserJson> = serde_json::from_value(serde_json::json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
            "@odata.count": 1200,
            "@odata.nextLink": "https://graph.microsoft.com/v1.0/users?$top=999&$skiptoken=X",
            "value": []
        }))
        .unwrap();
        assert_eq!(page.count, Some(1200));
        assert!(page.next_link.unwrap().contains("$skiptoken=X"));
    }
}

/// `GET /applications(appId='...')?$select=displayName,passwordCredentials`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationJson {
    pub display_name: Option<String>,
    #[serde(default)]
    pub password_credentials: Vec<PasswordCredentialJson>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordCredentialJson {
    key_id: Option<String>,
    display_name: Option<String>,
    hint: Option<String>,
    start_date_time: Option<String>,
    end_date_time: Option<String>,
}

impl PasswordCredentialJson {
    /// An entry whose end is not a readable time has no end: it is then
    /// never taken as the secret's (graph-api.md §10).
    pub fn into_domain(self) -> PasswordCredential {
        let time = |t: Option<String>| t.as_deref().and_then(millis_of_graph_timestamp);
        PasswordCredential {
            key_id: self.key_id.unwrap_or_default(),
            display_name: self.display_name,
            hint: self.hint,
            starts_at: time(self.start_date_time),
            ends_at: time(self.end_date_time),
        }
    }
}
