//! Delta reads of users and groups (graph-api.md §3): the whole collection
//! the first time, then only what changed since the stored
//! `@odata.deltaLink`. Every property dirsync maps is selected, since only
//! selected properties are tracked; `manager` and `members` are selected
//! to track those relationships. No `$top`: Graph refuses it on delta.
//! A token Graph no longer knows (expired after seven days, or reset) is
//! [`DeltaError::TokenRefused`]: the caller reads everything again.

use super::client::{FetchProgress, GraphClient};
use super::error::GraphError;
use super::model::{GROUP_SELECT, GroupJson, MemberJson, USER_SELECT, UserJson};
use app::domain::directory_mirror::{GroupChange, ManagerChange, UserChange};
use serde::Deserialize;
use serde_json::Value;
use std::fmt;

/// Why a delta read stopped.
#[derive(Debug)]
pub enum DeltaError {
    /// Graph no longer knows the token (`syncStateNotFound`,
    /// `resyncRequired`, 410 Gone): read everything again.
    TokenRefused {
        code: String,
    },
    Graph(GraphError),
}

impl fmt::Display for DeltaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TokenRefused { code } => write!(
                f,
                "Azure AD no longer knows the changes since the last read ({code}): the whole directory must be read again."
            ),
            Self::Graph(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for DeltaError {}

impl From<GraphError> for DeltaError {
    /// 400, 404 or 410 naming a lost sync state, and any 410, mean the
    /// token is gone (graph-api.md §3, "Client handling rules").
    fn from(e: GraphError) -> Self {
        match &e {
            GraphError::Unexpected { status, code }
                if *status == 410
                    || (matches!(status, 400 | 404)
                        && code.as_deref().is_some_and(|c| {
                            c.eq_ignore_ascii_case("syncStateNotFound")
                                || c.eq_ignore_ascii_case("resyncRequired")
                        })) =>
            {
                Self::TokenRefused {
                    code: code.clone().unwrap_or_else(|| status.to_string()),
                }
            }
            GraphError::NotFound { .. } => Self::TokenRefused { code: "404".into() },
            _ => Self::Graph(e),
        }
    }
}

#[derive(Debug, Deserialize)]
struct DeltaRef {
    #[serde(rename = "@removed")]
    removed: Option<Value>,
    #[serde(flatten)]
    member: MemberJson,
}

#[derive(Debug, Deserialize)]
struct UserChangeJson {
    #[serde(rename = "@removed")]
    removed: Option<Value>,
    #[serde(rename = "manager@delta")]
    manager: Option<Vec<DeltaRef>>,
    #[serde(flatten)]
    user: UserJson,
}

#[derive(Debug, Deserialize)]
struct GroupChangeJson {
    #[serde(rename = "@removed")]
    removed: Option<Value>,
    #[serde(rename = "members@delta")]
    members: Option<Vec<DeltaRef>>,
    #[serde(flatten)]
    group: GroupJson,
}

impl UserChangeJson {
    fn into_domain(self) -> Result<UserChange, String> {
        if self.removed.is_some() {
            let id = self.user.id().ok_or("a removed user without an id")?;
            return Ok(UserChange::Removed { id });
        }
        let manager = match self.manager {
            None => ManagerChange::Unsaid,
            Some(refs) => {
                let mut change = ManagerChange::Removed;
                for r in refs {
                    let member = r.member.into_domain()?;
                    if r.removed.is_none() {
                        change = ManagerChange::Set(member.id);
                    }
                }
                change
            }
        };
        Ok(UserChange::Changed {
            user: self.user.into_domain()?,
            manager,
        })
    }
}

impl GroupChangeJson {
    fn into_domain(self) -> Result<GroupChange, String> {
        if self.removed.is_some() {
            let id = self.group.id().ok_or("a removed group without an id")?;
            return Ok(GroupChange::Removed { id });
        }
        let group = self.group.into_domain()?;
        let (mut added, mut removed) = (Vec::new(), Vec::new());
        for r in self.members.unwrap_or_default() {
            let member = r.member.into_domain()?;
            match r.removed {
                Some(_) => removed.push(member.id),
                None => added.push(member),
            }
        }
        Ok(GroupChange::Changed {
            group,
            members_added: added,
            members_removed: removed,
        })
    }
}

impl From<DeltaError> for GraphError {
    /// A refusal where no stored token was involved (a new query) is not
    /// the admin's to fix by reading again: it stays Graph's error.
    fn from(e: DeltaError) -> Self {
        match e {
            DeltaError::Graph(e) => e,
            DeltaError::TokenRefused { code } => Self::Unexpected {
                status: 410,
                code: Some(code),
            },
        }
    }
}

/// What the users' and the groups' delta queries select, as one text:
/// stored links track exactly these properties, so a version that selects
/// others must read everything again.
pub fn delta_selection() -> String {
    format!(
        "users:{},manager groups:{GROUP_SELECT},members",
        *USER_SELECT
    )
}

impl GraphClient {
    /// Which directory this client reads: the Graph root, the tenant and
    /// the app registration. Stored links are only followed by the same.
    pub fn directory_key(&self) -> String {
        format!(
            "{} {} {}",
            self.endpoints().graph_root,
            self.tenant_id(),
            self.client_id()
        )
    }

    /// A deltaLink for the users from now on, without reading them (Graph's
    /// `$deltatoken=latest`): taken just before a full read, so that a change
    /// made during the read comes again with the next changes.
    pub async fn users_delta_from_now(&self) -> Result<String, DeltaError> {
        let from = format!("{}&$deltatoken=latest", self.users_delta_start());
        self.read_users_delta(&from, |_, _| {}).await
    }

    /// Where a first delta read of the users starts.
    pub fn users_delta_start(&self) -> String {
        self.endpoints()
            .v1(&format!("users/delta?$select={},manager", *USER_SELECT))
    }

    /// Where a first delta read of the groups starts.
    pub fn groups_delta_start(&self) -> String {
        self.endpoints()
            .v1(&format!("groups/delta?$select={GROUP_SELECT},members"))
    }

    /// Reads users from `from` (the start, or a stored deltaLink) to the
    /// end of the round; returns the new deltaLink.
    #[tracing::instrument(skip_all)]
    pub async fn read_users_delta(
        &self,
        from: &str,
        on_page: impl FnMut(Vec<UserChange>, FetchProgress),
    ) -> Result<String, DeltaError> {
        self.read_delta(from, "User.Read.All", UserChangeJson::into_domain, on_page)
            .await
    }

    /// Reads groups with their membership changes from `from`; returns the
    /// new deltaLink.
    #[tracing::instrument(skip_all)]
    pub async fn read_groups_delta(
        &self,
        from: &str,
        on_page: impl FnMut(Vec<GroupChange>, FetchProgress),
    ) -> Result<String, DeltaError> {
        self.read_delta(
            from,
            "Group.Read.All",
            GroupChangeJson::into_domain,
            on_page,
        )
        .await
    }

    async fn read_delta<J: serde::de::DeserializeOwned, T>(
        &self,
        from: &str,
        permission: &'static str,
        map: impl Fn(J) -> Result<T, String>,
        on_page: impl FnMut(Vec<T>, FetchProgress),
    ) -> Result<String, DeltaError> {
        // A stored link is followed only under the Graph root, as a nextLink.
        if !self.is_under_graph_root(from) {
            return Err(DeltaError::TokenRefused {
                code: "a stored link outside the Graph root".into(),
            });
        }
        let (_, delta_link) = self
            .follow_pages(from.to_owned(), permission, false, None, map, on_page)
            .await?;
        let link = delta_link.ok_or_else(|| GraphError::Malformed {
            detail: "a delta read ended without an @odata.deltaLink".into(),
        })?;
        if !self.is_under_graph_root(&link) {
            return Err(DeltaError::Graph(GraphError::Malformed {
                detail: "an @odata.deltaLink outside the Graph root".into(),
            }));
        }
        Ok(link)
    }
}
