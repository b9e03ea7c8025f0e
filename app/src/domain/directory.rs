//! Users and groups as Azure AD (Microsoft Graph) describes them, already
//! mapped from Graph's JSON. The sync plans against these.

use crate::domain::profile::Profile;
use serde::{Deserialize, Serialize};

/// `userType`: members of the organisation, or invited guests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DirectoryUserType {
    Member,
    Guest,
}

/// A user in the directory. `id` is the Azure object id: opaque, and the
/// only stable key (emails and UPNs get renamed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryUser {
    pub id: String,
    pub display_name: Option<String>,
    /// `mail`: null for many accounts (no mailbox).
    pub mail: Option<String>,
    pub user_principal_name: String,
    /// The profile fields, as Graph sent them (lists joined, dates as
    /// Graph writes them); the mapping checks and normalises them.
    pub profile: Profile,
    /// `proxyAddresses`: `SMTP:primary@…`, `smtp:alias@…`, and other types
    /// (`SIP:`, `X500:`) that are not email.
    pub proxy_addresses: Vec<String>,
    /// `otherMails`: addresses outside the tenant the user also reads.
    pub other_mails: Vec<String>,
    /// The manager's object id (`$expand=manager($select=id)`), when the
    /// manager is a user.
    pub manager_id: Option<String>,
    /// `None` when Graph did not say (the property was not selected).
    pub account_enabled: Option<bool>,
    /// `None` when Graph did not say.
    pub user_type: Option<DirectoryUserType>,
}

impl DirectoryUser {
    /// A guest, by `userType` or by the `#EXT#` form of an invited UPN.
    pub fn is_guest(&self) -> bool {
        self.user_type == Some(DirectoryUserType::Guest)
            || self.user_principal_name.contains("#EXT#")
    }

    /// The SMTP addresses among `proxyAddresses` (primary and aliases),
    /// without their prefix.
    pub fn smtp_aliases(&self) -> impl Iterator<Item = &str> {
        self.proxy_addresses.iter().filter_map(|p| {
            let (kind, address) = p.split_once(':')?;
            kind.eq_ignore_ascii_case("smtp").then_some(address.trim())
        })
    }
}

/// A group in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryGroup {
    pub id: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub mail: Option<String>,
}

/// What a group member is; only users are imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MemberKind {
    User,
    Group,
    Device,
    OrgContact,
    ServicePrincipal,
    Other,
}

impl MemberKind {
    /// From the member's `@odata.type`, e.g. `#microsoft.graph.user`.
    pub fn from_odata_type(odata_type: &str) -> Self {
        match odata_type.trim_start_matches("#microsoft.graph.") {
            "user" => Self::User,
            "group" => Self::Group,
            "device" => Self::Device,
            "orgContact" => Self::OrgContact,
            "servicePrincipal" => Self::ServicePrincipal,
            _ => Self::Other,
        }
    }

    pub fn odata_type(self) -> &'static str {
        match self {
            Self::User => "#microsoft.graph.user",
            Self::Group => "#microsoft.graph.group",
            Self::Device => "#microsoft.graph.device",
            Self::OrgContact => "#microsoft.graph.orgContact",
            Self::ServicePrincipal => "#microsoft.graph.servicePrincipal",
            Self::Other => "#microsoft.graph.directoryObject",
        }
    }
}

/// One member of a group, by id and kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMember {
    pub id: String,
    pub kind: MemberKind,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_kinds_round_trip_their_odata_type() {
        for kind in [
            MemberKind::User,
            MemberKind::Group,
            MemberKind::Device,
            MemberKind::OrgContact,
            MemberKind::ServicePrincipal,
        ] {
            assert_eq!(MemberKind::from_odata_type(kind.odata_type()), kind);
        }
        assert_eq!(
            MemberKind::from_odata_type("#microsoft.graph.application"),
            MemberKind::Other
        );
    }

    #[test]
    fn guests_are_recognised_by_type_or_upn() {
        let mut user = DirectoryUser {
            id: "1".into(),
            display_name: None,
            mail: None,
            user_principal_name: "ada_contoso.com#EXT#@fabrikam.onmicrosoft.com".into(),
            profile: Profile::default(),
            proxy_addresses: vec![
                "SMTP:ada@fabrikam.com".into(),
                "smtp:ada.l@fabrikam.com".into(),
                "SIP:ada@fabrikam.com".into(),
                "X500:/o=Fabrikam/cn=ada".into(),
            ],
            other_mails: vec![],
            manager_id: None,
            account_enabled: Some(true),
            user_type: None,
        };
        assert!(user.is_guest());
        user.user_principal_name = "ada@fabrikam.com".into();
        assert!(!user.is_guest());
        user.user_type = Some(DirectoryUserType::Guest);
        assert!(user.is_guest());
        assert_eq!(
            user.smtp_aliases().collect::<Vec<_>>(),
            ["ada@fabrikam.com", "ada.l@fabrikam.com"]
        );
    }
}
