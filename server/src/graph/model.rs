//! Graph's JSON, as documented (graph-api.md §1.3-1.4, §2, §4, §7), and its
//! mapping to the domain's types. Unknown fields are ignored; a missing
//! required field is an error naming the object, never a guess.

use app::domain::directory::{
    DirectoryGroup, DirectoryUser, DirectoryUserType, GroupMember, MemberKind,
};
use serde::Deserialize;

/// Every user property the product maps. `accountEnabled`, `department`,
/// `employeeId` and `userType` are only returned when selected.
pub const USER_SELECT: &str = "id,displayName,givenName,surname,mail,userPrincipalName,jobTitle,department,\
officeLocation,mobilePhone,businessPhones,employeeId,accountEnabled,userType";
pub const GROUP_SELECT: &str = "id,displayName,description,mail";
/// The largest page Graph serves for users and groups.
pub const MAX_PAGE_SIZE: u32 = 999;

/// A collection page: `value`, and `@odata.nextLink` until the last page.
#[derive(Debug, Deserialize)]
pub struct PageJson<T> {
    pub value: Vec<T>,
    #[serde(rename = "@odata.nextLink")]
    pub next_link: Option<String>,
    #[serde(rename = "@odata.count")]
    pub count: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserJson {
    id: Option<String>,
    display_name: Option<String>,
    given_name: Option<String>,
    surname: Option<String>,
    mail: Option<String>,
    user_principal_name: Option<String>,
    job_title: Option<String>,
    department: Option<String>,
    office_location: Option<String>,
    mobile_phone: Option<String>,
    business_phones: Option<Vec<Option<String>>>,
    employee_id: Option<String>,
    account_enabled: Option<bool>,
    user_type: Option<String>,
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

/// Empty strings mean "not set" as much as null does.
fn clean(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

impl UserJson {
    pub fn into_domain(self) -> Result<DirectoryUser, String> {
        let id = clean(self.id).ok_or("a user without an id")?;
        let user_principal_name = clean(self.user_principal_name)
            .ok_or_else(|| format!("user {id} has no userPrincipalName"))?;
        let user_type = match self.user_type.as_deref().map(str::trim) {
            Some(t) if t.eq_ignore_ascii_case("member") => Some(DirectoryUserType::Member),
            Some(t) if t.eq_ignore_ascii_case("guest") => Some(DirectoryUserType::Guest),
            _ => None,
        };
        Ok(DirectoryUser {
            id,
            display_name: clean(self.display_name),
            given_name: clean(self.given_name),
            surname: clean(self.surname),
            mail: clean(self.mail),
            user_principal_name,
            job_title: clean(self.job_title),
            department: clean(self.department),
            office_location: clean(self.office_location),
            mobile_phone: clean(self.mobile_phone),
            business_phones: self
                .business_phones
                .unwrap_or_default()
                .into_iter()
                .filter_map(clean)
                .collect(),
            employee_id: clean(self.employee_id),
            account_enabled: self.account_enabled,
            user_type,
        })
    }
}

impl GroupJson {
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
            "preferredLanguage": "en-IE", "someFutureProperty": {"nested": true}
        }))
        .unwrap();
        assert_eq!(u.display_name.as_deref(), Some("Zoë O'Brien"));
        assert_eq!(u.department.as_deref(), Some("サポート"));
        assert_eq!(u.business_phones, vec!["+353 1 555 0100"]);
        assert_eq!(u.account_enabled, Some(false));
        assert_eq!(u.user_type, Some(DirectoryUserType::Member));
    }

    #[test]
    fn nulls_empties_and_missing_properties_are_not_set() {
        let u = user(serde_json::json!({
            "id": "1", "userPrincipalName": "ada_x.com#EXT#@t.onmicrosoft.com",
            "mail": null, "businessPhones": [], "displayName": "  ", "userType": "Guest"
        }))
        .unwrap();
        assert_eq!(u.mail, None);
        assert!(u.business_phones.is_empty());
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
