//! The emulated directory: users, groups and the other objects groups can
//! contain, in Graph's own property names so that a tenant can be written
//! by hand as JSON and served as Graph would.

use app::domain::directory::MemberKind;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The app registration the emulator accepts (printed by `graph-sim`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRegistration {
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: String,
    pub app_display_name: String,
}

impl AppRegistration {
    /// The client credentials that sign in as this registration.
    pub fn credentials(&self) -> crate::graph::Credentials {
        crate::graph::Credentials {
            tenant_id: self.tenant_id.clone(),
            client_id: self.client_id.clone(),
            client_secret: secrecy::SecretString::from(self.client_secret.clone()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimUser {
    pub id: String,
    pub display_name: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub surname: Option<String>,
    #[serde(default)]
    pub mail: Option<String>,
    pub user_principal_name: String,
    #[serde(default)]
    pub job_title: Option<String>,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub office_location: Option<String>,
    #[serde(default)]
    pub mobile_phone: Option<String>,
    #[serde(default)]
    pub business_phones: Vec<String>,
    #[serde(default)]
    pub employee_id: Option<String>,
    #[serde(default = "enabled")]
    pub account_enabled: bool,
    #[serde(default = "member")]
    pub user_type: String,
    #[serde(default)]
    pub preferred_language: Option<String>,
    #[serde(default)]
    pub company_name: Option<String>,
    #[serde(default)]
    pub employee_type: Option<String>,
    /// A `DateTimeOffset`, e.g. `2021-03-01T00:00:00Z`.
    #[serde(default)]
    pub employee_hire_date: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    /// Two letters (ISO 3166-1 alpha-2).
    #[serde(default)]
    pub usage_location: Option<String>,
    /// `SMTP:primary`, `smtp:alias`, and other kinds (`SIP:`, `X500:`).
    #[serde(default)]
    pub proxy_addresses: Vec<String>,
    #[serde(default)]
    pub other_mails: Vec<String>,
    #[serde(default)]
    pub created_date_time: Option<String>,
    /// The manager's user id (served at `/users/{id}/manager`).
    #[serde(default)]
    pub manager_id: Option<String>,
}

fn enabled() -> bool {
    true
}
fn member() -> String {
    "Member".to_owned()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimGroup {
    pub id: String,
    pub display_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub mail: Option<String>,
    #[serde(default)]
    pub security_enabled: bool,
    #[serde(default)]
    pub mail_enabled: bool,
    /// Direct members: users, groups, or entries of `Tenant::others`.
    #[serde(default)]
    pub members: Vec<String>,
}

/// Devices, organisational contacts and service principals: they appear in
/// groups, and the import must ignore them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimObject {
    pub id: String,
    pub kind: MemberKind,
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    /// The verified domain (`contoso.onmicrosoft.com`); also accepted as the
    /// tenant in the token URL.
    pub domain: String,
    #[serde(default)]
    pub users: Vec<SimUser>,
    #[serde(default)]
    pub groups: Vec<SimGroup>,
    #[serde(default)]
    pub others: Vec<SimObject>,
}

/// The largest tenant the emulator holds: the scale target (300,000 users,
/// 20,000 groups) and no more, so that no request can exhaust memory.
pub const MAX_USERS: usize = 300_000;
pub const MAX_GROUPS: usize = 20_000;
pub const MAX_OTHERS: usize = 20_000;
/// Memberships across all groups.
pub const MAX_MEMBERSHIPS: usize = 3_000_000;

impl Tenant {
    /// Whether the tenant is within the emulator's limits; the message says
    /// which is exceeded.
    pub fn check_limits(&self) -> Result<(), String> {
        if self.users.len() > MAX_USERS {
            return Err(format!("a tenant holds at most {MAX_USERS} users"));
        }
        if self.groups.len() > MAX_GROUPS {
            return Err(format!("a tenant holds at most {MAX_GROUPS} groups"));
        }
        if self.others.len() > MAX_OTHERS {
            return Err(format!("a tenant holds at most {MAX_OTHERS} other objects"));
        }
        let memberships: usize = self.groups.iter().map(|g| g.members.len()).sum();
        if memberships > MAX_MEMBERSHIPS {
            return Err(format!(
                "a tenant holds at most {MAX_MEMBERSHIPS} group memberships"
            ));
        }
        Ok(())
    }
}

/// The properties `GET /users` returns without `$select` (graph-api.md §2).
pub const DEFAULT_USER_PROPERTIES: &[&str] = &[
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
    "userPrincipalName",
];

/// Every user property the emulator knows; others are refused with 400.
pub const USER_PROPERTIES: &[&str] = &[
    "accountEnabled",
    "businessPhones",
    "city",
    "companyName",
    "country",
    "createdDateTime",
    "department",
    "displayName",
    "employeeHireDate",
    "employeeId",
    "employeeType",
    "givenName",
    "id",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "otherMails",
    "preferredLanguage",
    "proxyAddresses",
    "surname",
    "usageLocation",
    "userPrincipalName",
    "userType",
];

/// Stored outside the directory (SharePoint): 501 on the collection.
pub const UNSUPPORTED_ON_COLLECTION: &[&str] = &[
    "aboutMe",
    "birthday",
    "hireDate",
    "interests",
    "mySite",
    "pastProjects",
    "preferredName",
    "responsibilities",
    "schools",
    "skills",
    "mailboxSettings",
];

pub const DEFAULT_GROUP_PROPERTIES: &[&str] = &[
    "id",
    "displayName",
    "description",
    "mail",
    "mailEnabled",
    "securityEnabled",
];
pub const GROUP_PROPERTIES: &[&str] = DEFAULT_GROUP_PROPERTIES;

impl SimUser {
    /// The user as Graph JSON, with exactly `properties`.
    pub fn to_graph(&self, properties: &[String]) -> Value {
        let Value::Object(all) = serde_json::to_value(self).unwrap_or(Value::Null) else {
            return Value::Null;
        };
        pick(&all, properties)
    }
}

impl SimGroup {
    pub fn to_graph(&self, properties: &[String]) -> Value {
        let Value::Object(all) = serde_json::to_value(self).unwrap_or(Value::Null) else {
            return Value::Null;
        };
        pick(&all, properties)
    }
}

fn pick(all: &Map<String, Value>, properties: &[String]) -> Value {
    let mut out = Map::new();
    for p in properties {
        out.insert(p.clone(), all.get(p).cloned().unwrap_or(Value::Null));
    }
    Value::Object(out)
}

impl Tenant {
    pub fn user(&self, id: &str) -> Option<&SimUser> {
        self.users.iter().find(|u| {
            u.id.eq_ignore_ascii_case(id) || u.user_principal_name.eq_ignore_ascii_case(id)
        })
    }

    pub fn group(&self, id: &str) -> Option<&SimGroup> {
        self.groups.iter().find(|g| g.id.eq_ignore_ascii_case(id))
    }

    /// What kind of object an id names, if any.
    pub fn kind_of(&self, id: &str) -> Option<MemberKind> {
        if self.users.iter().any(|u| u.id == id) {
            Some(MemberKind::User)
        } else if self.groups.iter().any(|g| g.id == id) {
            Some(MemberKind::Group)
        } else {
            self.others.iter().find(|o| o.id == id).map(|o| o.kind)
        }
    }

    /// Every member of a group and of the groups nested in it, once each,
    /// nested groups included (as Graph's `transitiveMembers` does).
    pub fn transitive_members(&self, group_id: &str) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        let mut stack = vec![group_id.to_owned()];
        let mut visited_groups = std::collections::HashSet::new();
        while let Some(gid) = stack.pop() {
            if !visited_groups.insert(gid.clone()) {
                continue;
            }
            let Some(group) = self.group(&gid) else {
                continue;
            };
            for member in &group.members {
                if seen.insert(member.clone()) {
                    out.push(member.clone());
                }
                if self.kind_of(member) == Some(MemberKind::Group) {
                    stack.push(member.clone());
                }
            }
        }
        out
    }

    /// Removes a user everywhere: from the list, from groups, as a manager.
    pub fn delete_user(&mut self, id: &str) -> bool {
        let before = self.users.len();
        self.users.retain(|u| u.id != id);
        for group in &mut self.groups {
            group.members.retain(|m| m != id);
        }
        for user in &mut self.users {
            if user.manager_id.as_deref() == Some(id) {
                user.manager_id = None;
            }
        }
        self.users.len() != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> Tenant {
        serde_json::from_value(serde_json::json!({
            "domain": "contoso.onmicrosoft.com",
            "users": [
                {"id": "u1", "displayName": "Ada", "userPrincipalName": "ada@contoso.com"},
                {"id": "u2", "displayName": "Bo", "userPrincipalName": "bo@contoso.com", "managerId": "u1"}
            ],
            "groups": [
                {"id": "g1", "displayName": "All", "members": ["g2", "u1", "d1"]},
                {"id": "g2", "displayName": "Team", "members": ["u2", "g1"]}
            ],
            "others": [{"id": "d1", "kind": "Device", "displayName": "Laptop"}]
        }))
        .unwrap()
    }

    #[test]
    fn hand_written_tenants_get_graph_defaults() {
        let t = tenant();
        assert!(t.users[0].account_enabled);
        assert_eq!(t.users[0].user_type, "Member");
        let json = t.users[0].to_graph(&["id".into(), "mail".into(), "businessPhones".into()]);
        assert_eq!(
            json,
            serde_json::json!({"id": "u1", "mail": null, "businessPhones": []})
        );
    }

    #[test]
    fn transitive_members_flatten_nesting_and_survive_cycles() {
        let t = tenant();
        let mut members = t.transitive_members("g1");
        members.sort();
        assert_eq!(members, vec!["d1", "g1", "g2", "u1", "u2"]);
    }

    #[test]
    fn deleting_a_user_removes_every_reference() {
        let mut t = tenant();
        assert!(t.delete_user("u1"));
        assert!(!t.delete_user("u1"));
        assert_eq!(t.users[0].manager_id, None);
        assert!(!t.groups[0].members.contains(&"u1".to_owned()));
    }
}
