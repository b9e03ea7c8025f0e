//! The Groups page's reads: groups by name with their member counts, a
//! group's members a page at a time, and a user's groups.

use super::users::{contains_pattern, page_query, users_from_rows};
use super::{Store, db_error};
use app::domain::group::GroupSummary;
use app::domain::paging::{PAGE_SIZE, Page, UserQuery};
use app::domain::user::LocalUser;
use app::services::{GroupStore, StoreError};
use async_trait::async_trait;
use std::sync::LazyLock;

/// A user's page lists at most this many of their groups.
pub const USER_GROUPS_SHOWN: u32 = 200;

/// A group's columns and its member count.
macro_rules! group_columns {
    () => {
        "g.id, g.azure_object_id, g.name, \
         (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) AS member_count"
    };
}

type GroupRow = (i64, String, String, i64);

fn summary((id, azure_object_id, name, member_count): GroupRow) -> GroupSummary {
    GroupSummary {
        id,
        azure_object_id,
        name,
        member_count: u64::try_from(member_count).unwrap_or(0),
    }
}

fn offset(query: &UserQuery) -> i64 {
    i64::try_from(query.offset()).unwrap_or(i64::MAX)
}

/// A group's members, by name, searched like the Users page.
static MEMBERS_SQL: LazyLock<String> = LazyLock::new(|| {
    page_query(
        "JOIN group_members gm ON gm.user_id = u.id WHERE gm.group_id = $3 \
         AND ($1 = '' OR u.search_text LIKE $2 ESCAPE '\\') \
         ORDER BY u.sort_name, u.id LIMIT $4 OFFSET $5",
    )
});

#[async_trait]
impl GroupStore for Store {
    async fn list_groups(&self, query: &UserQuery) -> Result<Page<GroupSummary>, StoreError> {
        let pattern = contains_pattern(&query.search);
        let (total,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM directory_groups g \
             WHERE ($1 = '' OR g.name_folded LIKE $2 ESCAPE '\\')",
        )
        .bind(&query.search)
        .bind(&pattern)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        let rows: Vec<GroupRow> = sqlx::query_as(concat!(
            "SELECT ",
            group_columns!(),
            " FROM directory_groups g WHERE ($1 = '' OR g.name_folded LIKE $2 ESCAPE '\\') \
             ORDER BY g.name_folded, g.id LIMIT $3 OFFSET $4"
        ))
        .bind(&query.search)
        .bind(&pattern)
        .bind(i64::from(PAGE_SIZE))
        .bind(offset(query))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(Page {
            items: rows.into_iter().map(summary).collect(),
            total: u64::try_from(total).unwrap_or(0),
            page: query.page,
            page_size: PAGE_SIZE,
        })
    }

    async fn get_group(&self, id: i64) -> Result<GroupSummary, StoreError> {
        let row: Option<GroupRow> = sqlx::query_as(concat!(
            "SELECT ",
            group_columns!(),
            " FROM directory_groups g WHERE g.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(summary).ok_or(StoreError::NotFound)
    }

    async fn group_members(
        &self,
        id: i64,
        query: &UserQuery,
    ) -> Result<Page<LocalUser>, StoreError> {
        self.get_group(id).await?;
        let pattern = contains_pattern(&query.search);
        let (total,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM users u JOIN group_members gm ON gm.user_id = u.id \
             WHERE gm.group_id = $3 AND ($1 = '' OR u.search_text LIKE $2 ESCAPE '\\')",
        )
        .bind(&query.search)
        .bind(&pattern)
        .bind(id)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(MEMBERS_SQL.as_str()))
            .bind(&query.search)
            .bind(&pattern)
            .bind(id)
            .bind(i64::from(PAGE_SIZE))
            .bind(offset(query))
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(Page {
            items: users_from_rows(&rows)?,
            total: u64::try_from(total).unwrap_or(0),
            page: query.page,
            page_size: PAGE_SIZE,
        })
    }

    async fn user_groups(&self, user_id: i64) -> Result<Vec<GroupSummary>, StoreError> {
        let rows: Vec<GroupRow> = sqlx::query_as(concat!(
            "SELECT ",
            group_columns!(),
            " FROM directory_groups g JOIN group_members gm ON gm.group_id = g.id \
             WHERE gm.user_id = $1 ORDER BY g.name_folded, g.id LIMIT $2"
        ))
        .bind(user_id)
        .bind(i64::from(USER_GROUPS_SHOWN))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(rows.into_iter().map(summary).collect())
    }
}
