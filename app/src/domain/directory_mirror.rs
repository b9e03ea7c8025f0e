//! What dirsync last read of Azure AD, kept so that a later sync can read
//! only the changes (Graph's delta queries) and still plan against the
//! whole directory. A full read fills the mirror; each delta page is
//! applied to it; the snapshot the planner gets is the same whether it
//! came from a full read or from changes, which is what makes a delta
//! preview show the same buckets as a full one.

use super::directory::{DirectoryGroup, DirectoryUser, GroupMember, MemberKind};
use super::sync::DirectorySnapshot;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What a delta page said of a user's manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManagerChange {
    /// Nothing: the manager is as before.
    Unsaid,
    Set(String),
    Removed,
}

/// One user in a delta page.
#[derive(Debug, Clone, PartialEq)]
pub enum UserChange {
    /// New or changed, with every synced property.
    Changed {
        user: DirectoryUser,
        manager: ManagerChange,
    },
    /// Gone from Azure AD (deleted, or soft-deleted).
    Removed { id: String },
}

/// One appearance of a group in a delta page: a large membership change
/// comes as several appearances of the same group.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupChange {
    Changed {
        group: DirectoryGroup,
        members_added: Vec<GroupMember>,
        members_removed: Vec<String>,
    },
    Removed {
        id: String,
    },
}

/// The directory as last read: users, groups, and each group's direct
/// members of every kind (nested groups are flattened when a snapshot is
/// taken).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DirectoryMirror {
    pub users: BTreeMap<String, DirectoryUser>,
    pub groups: BTreeMap<String, DirectoryGroup>,
    pub members: BTreeMap<String, BTreeMap<String, MemberKind>>,
}

impl DirectoryMirror {
    pub fn apply_user(&mut self, change: UserChange) {
        match change {
            UserChange::Removed { id } => {
                self.users.remove(&id);
            }
            UserChange::Changed { mut user, manager } => {
                let before = self.users.get(&user.id).and_then(|u| u.manager_id.clone());
                user.manager_id = match manager {
                    ManagerChange::Unsaid => before,
                    ManagerChange::Set(id) => Some(id),
                    ManagerChange::Removed => None,
                };
                self.users.insert(user.id.clone(), user);
            }
        }
    }

    pub fn apply_group(&mut self, change: GroupChange) {
        match change {
            GroupChange::Removed { id } => {
                self.groups.remove(&id);
                self.members.remove(&id);
            }
            GroupChange::Changed {
                group,
                members_added,
                members_removed,
            } => {
                let members = self.members.entry(group.id.clone()).or_default();
                for id in members_removed {
                    members.remove(&id);
                }
                for member in members_added {
                    members.insert(member.id, member.kind);
                }
                self.groups.insert(group.id.clone(), group);
            }
        }
    }

    /// The user members of `group`, nested groups flattened (a group that
    /// contains itself, directly or not, is walked once).
    pub fn transitive_users(&self, group: &str) -> Vec<String> {
        let mut users = BTreeSet::new();
        let mut seen = BTreeSet::from([group.to_owned()]);
        let mut queue = vec![group.to_owned()];
        while let Some(g) = queue.pop() {
            for (id, kind) in self.members.get(&g).into_iter().flatten() {
                match kind {
                    MemberKind::User => {
                        users.insert(id.clone());
                    }
                    MemberKind::Group if seen.insert(id.clone()) => queue.push(id.clone()),
                    _ => {}
                }
            }
        }
        users.into_iter().collect()
    }

    /// What the planner gets: users and groups in id order, each group's
    /// user members flattened and in id order.
    pub fn snapshot(&self, tenant_id: Option<String>) -> DirectorySnapshot {
        self.clone().into_snapshot(tenant_id)
    }

    /// [`Self::snapshot`], moving the users and groups instead of copying
    /// them: a large directory is then held once, not twice, while it is
    /// planned.
    pub fn into_snapshot(self, tenant_id: Option<String>) -> DirectorySnapshot {
        let group_user_ids = self
            .groups
            .keys()
            .map(|g| (g.clone(), self.transitive_users(g)))
            .collect();
        DirectorySnapshot {
            users: self.users.into_values().collect(),
            groups: self.groups.into_values().collect(),
            group_user_ids,
            tenant_id,
        }
    }
}

/// A full read's snapshot in the mirror's order, so that the two compare
/// (and plan) alike: users and groups by id, members sorted and unique.
pub fn normalized(mut snapshot: DirectorySnapshot) -> DirectorySnapshot {
    snapshot.users.sort_by(|a, b| a.id.cmp(&b.id));
    snapshot.groups.sort_by(|a, b| a.id.cmp(&b.id));
    for members in snapshot.group_user_ids.values_mut() {
        members.sort();
        members.dedup();
    }
    snapshot
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::profile::Profile;

    fn user(id: &str, name: &str, manager: Option<&str>) -> DirectoryUser {
        DirectoryUser {
            id: id.into(),
            display_name: Some(name.into()),
            mail: None,
            user_principal_name: format!("{id}@contoso.com"),
            profile: Profile::default(),
            proxy_addresses: vec![],
            other_mails: vec![],
            manager_id: manager.map(str::to_owned),
            account_enabled: Some(true),
            user_type: None,
        }
    }

    fn group(id: &str) -> DirectoryGroup {
        DirectoryGroup {
            id: id.into(),
            display_name: Some(id.to_uppercase()),
            description: None,
            mail: None,
        }
    }

    fn member(id: &str, kind: MemberKind) -> GroupMember {
        GroupMember {
            id: id.into(),
            kind,
        }
    }

    #[test]
    fn changes_replace_users_and_an_unsaid_manager_stays() {
        let mut mirror = DirectoryMirror::default();
        mirror.apply_user(UserChange::Changed {
            user: user("a", "Ada", None),
            manager: ManagerChange::Set("b".into()),
        });
        mirror.apply_user(UserChange::Changed {
            user: user("a", "Ada Lovelace", None),
            manager: ManagerChange::Unsaid,
        });
        assert_eq!(
            mirror.users["a"].display_name.as_deref(),
            Some("Ada Lovelace")
        );
        assert_eq!(mirror.users["a"].manager_id.as_deref(), Some("b"));
        mirror.apply_user(UserChange::Changed {
            user: user("a", "Ada Lovelace", Some("x")),
            manager: ManagerChange::Removed,
        });
        assert_eq!(mirror.users["a"].manager_id, None);
        mirror.apply_user(UserChange::Removed { id: "a".into() });
        assert!(mirror.users.is_empty());
    }

    #[test]
    fn memberships_merge_over_appearances_and_nested_groups_flatten() {
        let mut mirror = DirectoryMirror::default();
        mirror.apply_group(GroupChange::Changed {
            group: group("outer"),
            members_added: vec![
                member("u1", MemberKind::User),
                member("inner", MemberKind::Group),
            ],
            members_removed: vec![],
        });
        mirror.apply_group(GroupChange::Changed {
            group: group("outer"),
            members_added: vec![
                member("d1", MemberKind::Device),
                member("u2", MemberKind::User),
            ],
            members_removed: vec![],
        });
        mirror.apply_group(GroupChange::Changed {
            group: group("inner"),
            members_added: vec![
                member("u3", MemberKind::User),
                member("outer", MemberKind::Group),
            ],
            members_removed: vec![],
        });
        assert_eq!(mirror.transitive_users("outer"), ["u1", "u2", "u3"]);
        assert_eq!(
            mirror.transitive_users("inner"),
            ["u1", "u2", "u3"],
            "a cycle is walked once"
        );
        mirror.apply_group(GroupChange::Changed {
            group: group("outer"),
            members_added: vec![],
            members_removed: vec!["u1".into(), "inner".into()],
        });
        assert_eq!(mirror.transitive_users("outer"), ["u2"]);
        mirror.apply_group(GroupChange::Removed { id: "inner".into() });
        let snapshot = mirror.snapshot(Some("t".into()));
        assert_eq!(snapshot.groups.len(), 1);
        assert_eq!(snapshot.group_user_ids["outer"], ["u2"]);
    }
}
