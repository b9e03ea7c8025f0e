//! The platform's users table.

use super::{Store, db_error, now_millis};
use app::domain::paging::{PAGE_SIZE, Page, UserQuery};
use app::domain::profile::{PROFILE, Profile, ProfileField};
use app::domain::user::{LocalUser, ManagerLink, StatusOrigin, UserSource, UserStatus};
use app::domain::user_input::ValidUserInput;
use app::services::{StoreError, UserStore};
use async_trait::async_trait;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::sync::LazyLock;

/// The columns of a user every query reads: the fixed ones, then one per
/// row of the profile table ([`PROFILE`]), so that a new field needs its
/// column and nothing here. Built once from constants (hence
/// `AssertSqlSafe`: nothing typed by anyone reaches these strings).
pub(super) static COLUMNS: LazyLock<String> = LazyLock::new(|| {
    let mut columns: Vec<&str> = vec![
        "id",
        "email",
        "display_name",
        "manager_azure_id",
        "status",
        "status_origin",
        "status_changed_at",
        "source",
        "azure_object_id",
        "tenant_id",
        "user_principal_name",
        "created_at",
        "updated_at",
        "last_synced_at",
    ];
    columns.extend(PROFILE.iter().map(|s| s.key));
    columns.join(", ")
});

/// The columns a sync writes, in bind order (see [`bind_written`]).
pub(super) fn written_columns() -> Vec<&'static str> {
    let mut columns = vec![
        "email",
        "email_normalized",
        "display_name",
        "manager_azure_id",
        "status",
        "status_origin",
        "status_changed_at",
        "source",
        "azure_object_id",
        "tenant_id",
        "user_principal_name",
        "sort_name",
        "search_text",
        "updated_at",
        "last_synced_at",
    ];
    columns.extend(PROFILE.iter().map(|s| s.key));
    columns
}

/// `users.*` as read for a page: with the manager resolved to a platform
/// user when one is linked to the manager's object.
static PAGE_COLUMNS: LazyLock<String> = LazyLock::new(|| {
    let qualified: Vec<String> = COLUMNS.split(", ").map(|c| format!("u.{c}")).collect();
    format!(
        "{}, m.id AS manager_user_id, m.display_name AS manager_name",
        qualified.join(", ")
    )
});

/// Rows matching the Users search: `$1` the search as typed, `$2` its pattern.
macro_rules! search_filter {
    () => {
        "WHERE ($1 = '' OR u.search_text LIKE $2 ESCAPE '\\')"
    };
}

/// Reads a user from a row holding [`COLUMNS`] (and, for pages, the
/// resolved manager).
fn user_from_row(row: &AnyRow) -> Result<LocalUser, StoreError> {
    let bad = |e: sqlx::Error| StoreError::Database(format!("reading a user: {e}"));
    let id: i64 = row.try_get("id").map_err(bad)?;
    let text =
        |name: &str| -> Result<Option<String>, StoreError> { row.try_get(name).map_err(bad) };
    let status: String = row.try_get("status").map_err(bad)?;
    let origin: String = row.try_get("status_origin").map_err(bad)?;
    let source: String = row.try_get("source").map_err(bad)?;
    let unknown = |what: &str, value: &str| {
        StoreError::Database(format!("user {id} has unknown {what} {value:?}"))
    };
    let mut profile = Profile::default();
    for spec in PROFILE {
        profile.set(spec.field, text(spec.key)?);
    }
    let manager = match row.try_get::<Option<i64>, _>("manager_user_id") {
        Ok(Some(user_id)) => Some(ManagerLink {
            user_id,
            display_name: row.try_get("manager_name").map_err(bad)?,
        }),
        _ => None,
    };
    Ok(LocalUser {
        id,
        email: row.try_get("email").map_err(bad)?,
        display_name: row.try_get("display_name").map_err(bad)?,
        profile,
        manager_azure_id: text("manager_azure_id")?,
        manager,
        status: UserStatus::parse(&status).ok_or_else(|| unknown("status", &status))?,
        status_origin: StatusOrigin::parse(&origin)
            .ok_or_else(|| unknown("status origin", &origin))?,
        status_changed_at: row.try_get("status_changed_at").map_err(bad)?,
        source: UserSource::parse(&source).ok_or_else(|| unknown("source", &source))?,
        azure_object_id: text("azure_object_id")?,
        tenant_id: text("tenant_id")?,
        user_principal_name: text("user_principal_name")?,
        created_at: row.try_get("created_at").map_err(bad)?,
        updated_at: row.try_get("updated_at").map_err(bad)?,
        last_synced_at: row.try_get("last_synced_at").map_err(bad)?,
    })
}

pub(super) fn users_from_rows(rows: &[AnyRow]) -> Result<Vec<LocalUser>, StoreError> {
    rows.iter().map(user_from_row).collect()
}

/// Binds `user`'s values for [`written_columns`], in that order.
pub(super) fn bind_written<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    user: &'q LocalUser,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    query = query
        .bind(&user.email)
        .bind(app::domain::email::normalize_email(&user.email))
        .bind(&user.display_name)
        .bind(&user.manager_azure_id)
        .bind(user.status.as_str())
        .bind(user.status_origin.as_str())
        .bind(user.status_changed_at)
        .bind(user.source.as_str())
        .bind(&user.azure_object_id)
        .bind(&user.tenant_id)
        .bind(&user.user_principal_name)
        .bind(user.display_name.to_lowercase())
        .bind(search_text_of(
            &user.display_name,
            &user.email,
            user.profile.get(ProfileField::Department),
            user.profile.get(ProfileField::JobTitle),
        ))
        .bind(user.updated_at)
        .bind(user.last_synced_at);
    for spec in PROFILE {
        query = query.bind(user.profile.get(spec.field).map(str::to_owned));
    }
    query
}

/// Inserts `user` (its id is ignored); returns the new id.
async fn insert_user(conn: &mut sqlx::AnyConnection, user: &LocalUser) -> Result<i64, sqlx::Error> {
    let row = bind_written(sqlx::query(sqlx::AssertSqlSafe(INSERT_SQL.as_str())), user)
        .bind(user.created_at)
        .fetch_one(&mut *conn)
        .await?;
    row.try_get::<i64, _>(0)
}

/// `UPDATE users SET <every written column> WHERE id = $1`.
pub(super) static UPDATE_SQL: LazyLock<String> = LazyLock::new(|| {
    let sets: Vec<String> = written_columns()
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ${}", i + 2))
        .collect();
    format!("UPDATE users SET {} WHERE id = $1", sets.join(", "))
});

/// `INSERT INTO users (<every written column>, created_at) ... RETURNING id`.
static INSERT_SQL: LazyLock<String> = LazyLock::new(|| {
    let columns = written_columns();
    let params: Vec<String> = (1..=columns.len() + 1).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO users ({}, created_at) VALUES ({}) RETURNING id",
        columns.join(", "),
        params.join(", ")
    )
});

/// The lower-cased text the Users search matches against.
fn search_text(input: &ValidUserInput) -> String {
    search_text_of(
        &input.display_name,
        input.email.as_str(),
        input.profile.get(ProfileField::Department),
        input.profile.get(ProfileField::JobTitle),
    )
}

pub(super) fn search_text_of(
    name: &str,
    email: &str,
    department: Option<&str>,
    job_title: Option<&str>,
) -> String {
    [Some(name), Some(email), department, job_title]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n")
        .to_lowercase()
}

/// A `LIKE` pattern that matches `needle` anywhere, with `%`, `_` and `\`
/// in the needle taken literally.
pub(super) fn contains_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

impl Store {
    /// Who owns an email (normalised), other than `except_id`: "Name (email)".
    async fn email_owner(
        &self,
        email_normalized: &str,
        except_id: Option<i64>,
    ) -> Result<Option<String>, StoreError> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT display_name, email FROM users WHERE email_normalized = $1 AND id <> $2",
        )
        .bind(email_normalized)
        .bind(except_id.unwrap_or(-1))
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(row.map(|(name, email)| format!("{name} ({email})")))
    }

    /// Turns a unique-constraint failure on the email into `EmailTaken`.
    async fn explain_write_error(
        &self,
        error: sqlx::Error,
        email_normalized: &str,
        except_id: Option<i64>,
    ) -> StoreError {
        let unique = matches!(&error, sqlx::Error::Database(e) if e.is_unique_violation());
        if unique && let Ok(Some(owner)) = self.email_owner(email_normalized, except_id).await {
            return StoreError::EmailTaken { owner };
        }
        db_error(error)
    }
}

/// `SELECT <page columns> FROM users u LEFT JOIN <manager> m ...`, then `rest`.
pub(super) fn page_query(rest: &str) -> String {
    format!(
        "SELECT {} FROM users u LEFT JOIN users m ON m.azure_object_id = u.manager_azure_id {rest}",
        *PAGE_COLUMNS
    )
}

static LIST_SQL: LazyLock<String> = LazyLock::new(|| {
    page_query(concat!(
        search_filter!(),
        " ORDER BY u.sort_name, u.id LIMIT $3 OFFSET $4"
    ))
});
static GET_SQL: LazyLock<String> = LazyLock::new(|| page_query("WHERE u.id = $1"));

/// What an admin's form writes: name, email and the profile, by id.
static EDIT_SQL: LazyLock<String> = LazyLock::new(|| {
    let mut sets = vec![
        "email = $2".to_owned(),
        "email_normalized = $3".to_owned(),
        "display_name = $4".to_owned(),
        "sort_name = $5".to_owned(),
        "search_text = $6".to_owned(),
        "updated_at = $7".to_owned(),
    ];
    sets.extend(
        PROFILE
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{} = ${}", s.key, i + 8)),
    );
    format!("UPDATE users SET {} WHERE id = $1", sets.join(", "))
});

#[async_trait]
impl UserStore for Store {
    async fn list_users(&self, query: &UserQuery) -> Result<Page<LocalUser>, StoreError> {
        let pattern = contains_pattern(&query.search);
        let (total,): (i64,) =
            sqlx::query_as(concat!("SELECT COUNT(*) FROM users u ", search_filter!()))
                .bind(&query.search)
                .bind(&pattern)
                .fetch_one(&self.pool)
                .await
                .map_err(db_error)?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(LIST_SQL.as_str()))
            .bind(&query.search)
            .bind(&pattern)
            .bind(i64::from(PAGE_SIZE))
            .bind(i64::try_from(query.offset()).unwrap_or(i64::MAX))
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

    async fn get_user(&self, id: i64) -> Result<LocalUser, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(GET_SQL.as_str()))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        user_from_row(&row.ok_or(StoreError::NotFound)?)
    }

    async fn create_local_user(&self, input: &ValidUserInput) -> Result<LocalUser, StoreError> {
        let email_normalized = input.email.normalized();
        if let Some(owner) = self.email_owner(&email_normalized, None).await? {
            return Err(StoreError::EmailTaken { owner });
        }
        let now = now_millis();
        let user = LocalUser {
            id: 0,
            email: input.email.as_str().to_owned(),
            display_name: input.display_name.clone(),
            profile: input.profile.clone(),
            manager_azure_id: None,
            manager: None,
            status: UserStatus::Active,
            status_origin: StatusOrigin::Admin,
            status_changed_at: Some(now),
            source: UserSource::Local,
            azure_object_id: None,
            tenant_id: None,
            user_principal_name: None,
            created_at: now,
            updated_at: now,
            last_synced_at: None,
        };
        let mut conn = self.pool.acquire().await.map_err(db_error)?;
        let inserted = insert_user(&mut conn, &user).await;
        drop(conn);
        match inserted {
            Ok(id) => self.get_user(id).await,
            Err(e) => Err(self.explain_write_error(e, &email_normalized, None).await),
        }
    }

    async fn update_user(&self, id: i64, input: &ValidUserInput) -> Result<LocalUser, StoreError> {
        let email_normalized = input.email.normalized();
        if let Some(owner) = self.email_owner(&email_normalized, Some(id)).await? {
            return Err(StoreError::EmailTaken { owner });
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(EDIT_SQL.as_str()))
            .bind(id)
            .bind(input.email.as_str())
            .bind(&email_normalized)
            .bind(&input.display_name)
            .bind(input.display_name.to_lowercase())
            .bind(search_text(input))
            .bind(now_millis());
        for spec in PROFILE {
            query = query.bind(input.profile.get(spec.field).map(str::to_owned));
        }
        match query.execute(&self.pool).await {
            Ok(done) if done.rows_affected() == 0 => Err(StoreError::NotFound),
            Ok(_) => self.get_user(id).await,
            Err(e) => Err(self
                .explain_write_error(e, &email_normalized, Some(id))
                .await),
        }
    }

    /// An admin's decision: recorded as theirs, so that a sync does not
    /// reverse a deactivation.
    async fn set_user_status(&self, id: i64, status: UserStatus) -> Result<LocalUser, StoreError> {
        let now = now_millis();
        let done = sqlx::query(
            "UPDATE users SET status = $2, status_origin = $3, status_changed_at = $4, updated_at = $4 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(status.as_str())
        .bind(StatusOrigin::Admin.as_str())
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.get_user(id).await
    }
}

/// Users read in id order, this many per query.
const ALL_USERS_BATCH: i64 = 5_000;

static BATCH_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {} FROM users WHERE id > $1 ORDER BY id LIMIT $2",
        *COLUMNS
    )
});

impl Store {
    /// Every user, for planning a sync. Read in id-ordered batches (keyset,
    /// not OFFSET, so that 300,000 users cost 60 cheap queries, not a
    /// quadratic scan).
    pub(super) async fn all_users(&self) -> Result<Vec<LocalUser>, StoreError> {
        self.all_users_in_batches(ALL_USERS_BATCH).await
    }

    /// [`Store::all_users`], `batch` rows per query.
    pub async fn all_users_in_batches(&self, batch: i64) -> Result<Vec<LocalUser>, StoreError> {
        let mut users = Vec::new();
        let mut after = i64::MIN;
        loop {
            let rows = sqlx::query(sqlx::AssertSqlSafe(BATCH_SQL.as_str()))
                .bind(after)
                .bind(batch)
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
            let full = rows.len() as i64 == batch;
            for row in &rows {
                let user = user_from_row(row)?;
                after = user.id;
                users.push(user);
            }
            if !full {
                return Ok(users);
            }
        }
    }
}

/// `$first, $first + 1, ...`: `n` placeholders for an `IN (...)` list.
pub(super) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(contains_pattern("Ada"), "%ada%");
        assert_eq!(contains_pattern("100%_x\\"), "%100\\%\\_x\\\\%");
    }
}
