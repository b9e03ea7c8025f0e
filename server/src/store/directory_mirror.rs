//! The stored directory: what the last complete read of Azure AD left,
//! with the deltaLinks that continue from it. One row for the links and the
//! shape, and the directory itself in parts (`directory_mirror_parts`), a
//! few thousand users, groups or groups' members each, so that neither a
//! save nor a load ever holds the whole directory as one JSON text beside
//! the directory itself. Read back into the domain's types here and nowhere
//! else.

use super::{LockLost, Store, db_error};
use app::domain::directory::{DirectoryGroup, DirectoryUser, MemberKind};
use app::domain::directory_mirror::DirectoryMirror;
use app::domain::sync::directory_read::{DeltaLinks, ReadKind, ReadShape, StoredDirectory};
use app::services::StoreError;
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Users, groups, or groups' members (counted one per membership) in a part.
const ITEMS_PER_PART: usize = 2_000;

type MirrorRow = (String, String, Option<String>, String, String, i64, i64);

/// One part of the kept directory, as written (borrowing the mirror).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
enum PartOut<'a> {
    Users(Vec<&'a DirectoryUser>),
    Groups(Vec<&'a DirectoryGroup>),
    Members(Vec<(&'a String, &'a BTreeMap<String, MemberKind>)>),
}

/// One part of the kept directory, as read back.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum PartIn {
    Users(Vec<DirectoryUser>),
    Groups(Vec<DirectoryGroup>),
    Members(Vec<(String, BTreeMap<String, MemberKind>)>),
}

impl PartIn {
    fn add_to(self, mirror: &mut DirectoryMirror) {
        match self {
            Self::Users(users) => mirror
                .users
                .extend(users.into_iter().map(|u| (u.id.clone(), u))),
            Self::Groups(groups) => mirror
                .groups
                .extend(groups.into_iter().map(|g| (g.id.clone(), g))),
            Self::Members(members) => mirror.members.extend(members),
        }
    }
}

/// The mirror cut into parts of about [`ITEMS_PER_PART`] items each.
fn parts(mirror: &DirectoryMirror) -> Vec<PartOut<'_>> {
    let users: Vec<&DirectoryUser> = mirror.users.values().collect();
    let groups: Vec<&DirectoryGroup> = mirror.groups.values().collect();
    let mut parts: Vec<PartOut<'_>> = users
        .chunks(ITEMS_PER_PART)
        .map(|c| PartOut::Users(c.to_vec()))
        .chain(
            groups
                .chunks(ITEMS_PER_PART)
                .map(|c| PartOut::Groups(c.to_vec())),
        )
        .collect();
    // A group's members stay in one part; a part closes once it holds
    // enough memberships.
    let mut members = Vec::new();
    let mut held = 0;
    for (group, of_group) in &mirror.members {
        members.push((group, of_group));
        held += of_group.len().max(1);
        if held >= ITEMS_PER_PART {
            parts.push(PartOut::Members(std::mem::take(&mut members)));
            held = 0;
        }
    }
    if !members.is_empty() {
        parts.push(PartOut::Members(members));
    }
    parts
}

fn unreadable(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("stored directory: unreadable {what}: {e}"))
}

impl Store {
    /// The last complete read, if any.
    pub async fn load_directory(&self) -> Result<Option<StoredDirectory>, StoreError> {
        // One transaction: the row and its parts are of the same read.
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let row: Option<MirrorRow> = sqlx::query_as(
            "SELECT connection_key, shape, tenant_id, users_delta_link, groups_delta_link, \
             links_received_at, full_read_at FROM directory_mirror WHERE id = 1",
        )
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
        let Some((connection, shape, tenant_id, users, groups, received_at, full_read_at)) = row
        else {
            return Ok(None);
        };
        let mut mirror = DirectoryMirror::default();
        {
            let mut bodies = sqlx::query_scalar::<_, String>(
                "SELECT body FROM directory_mirror_parts ORDER BY seq",
            )
            .fetch(&mut *tx);
            while let Some(body) = bodies.try_next().await.map_err(db_error)? {
                serde_json::from_str::<PartIn>(&body)
                    .map_err(|e| unreadable("part", e))?
                    .add_to(&mut mirror);
            }
        }
        tx.commit().await.map_err(db_error)?;
        Ok(Some(StoredDirectory {
            connection,
            shape: serde_json::from_str::<ReadShape>(&shape).map_err(|e| unreadable("shape", e))?,
            tenant_id,
            links: DeltaLinks {
                users,
                groups,
                received_at,
            },
            full_read_at,
            mirror,
        }))
    }

    /// Keeps `directory` as the last complete read and records on run
    /// `run_id` which kind of read it was, if `token` still holds the sync
    /// lock (a run that lost it must not put back an older directory).
    pub async fn save_read(
        &self,
        run_id: i64,
        token: &str,
        directory: &StoredDirectory,
        kind: ReadKind,
        now: i64,
    ) -> Result<Result<(), LockLost>, StoreError> {
        let shape = serde_json::to_string(&directory.shape).map_err(|e| unreadable("shape", e))?;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        if let Err(lost) = Self::fence(&mut tx, token, now).await? {
            tx.rollback().await.map_err(db_error)?;
            return Ok(Err(lost));
        }
        sqlx::query(
            "INSERT INTO directory_mirror (id, connection_key, shape, tenant_id, users_delta_link, \
             groups_delta_link, links_received_at, full_read_at) \
             VALUES (1, $1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (id) DO UPDATE SET connection_key = excluded.connection_key, \
             shape = excluded.shape, tenant_id = excluded.tenant_id, \
             users_delta_link = excluded.users_delta_link, groups_delta_link = excluded.groups_delta_link, \
             links_received_at = excluded.links_received_at, full_read_at = excluded.full_read_at",
        )
        .bind(&directory.connection)
        .bind(shape)
        .bind(&directory.tenant_id)
        .bind(&directory.links.users)
        .bind(&directory.links.groups)
        .bind(directory.links.received_at)
        .bind(directory.full_read_at)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        sqlx::query("DELETE FROM directory_mirror_parts")
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        for (seq, part) in parts(&directory.mirror).iter().enumerate() {
            let body = serde_json::to_string(part).map_err(|e| unreadable("part", e))?;
            sqlx::query("INSERT INTO directory_mirror_parts (seq, body) VALUES ($1, $2)")
                .bind(seq as i64)
                .bind(body)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        sqlx::query("UPDATE sync_runs SET read_kind = $2 WHERE id = $1")
            .bind(run_id)
            .bind(kind.code())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        Self::commit_fenced(tx, token).await
    }

    /// Forgets the kept directory (its connection was removed).
    pub(super) async fn forget_directory(&self) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        for table in ["directory_mirror", "directory_mirror_parts"] {
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::directory::GroupMember;
    use app::domain::directory_mirror::GroupChange;

    #[test]
    fn every_user_group_and_membership_is_in_exactly_one_part() {
        let mut mirror = DirectoryMirror::default();
        for i in 0..(ITEMS_PER_PART * 2 + 7) {
            let id = format!("u{i:05}");
            mirror.users.insert(
                id.clone(),
                DirectoryUser {
                    user_principal_name: format!("u{i}@x.com"),
                    display_name: None,
                    mail: None,
                    profile: Default::default(),
                    proxy_addresses: vec![],
                    other_mails: vec![],
                    manager_id: None,
                    account_enabled: Some(true),
                    user_type: None,
                    id,
                },
            );
        }
        for g in 0..3 {
            mirror.apply_group(GroupChange::Changed {
                group: DirectoryGroup {
                    id: format!("g{g}"),
                    display_name: None,
                    description: None,
                    mail: None,
                },
                members_added: mirror
                    .users
                    .keys()
                    .take(1_500)
                    .map(|id| GroupMember {
                        id: id.clone(),
                        kind: MemberKind::User,
                    })
                    .collect(),
                members_removed: Vec::new(),
            });
        }
        let parts = parts(&mirror);
        let mut back = DirectoryMirror::default();
        for part in &parts {
            let part: PartIn = serde_json::from_str(&serde_json::to_string(part).unwrap()).unwrap();
            if let PartIn::Users(users) = &part {
                assert!(users.len() <= ITEMS_PER_PART);
            }
            part.add_to(&mut back);
        }
        assert_eq!(back, mirror);
        // 3 parts of users, 1 of groups, 2 of members (1,500 + 1,500 fill
        // one past 2,000, then the third group).
        assert_eq!(parts.len(), 6);
    }
}
