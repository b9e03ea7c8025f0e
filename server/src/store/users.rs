//! The platform's users table.

use super::{Store, db_error, now_millis};
use app::domain::paging::{PAGE_SIZE, Page, UserQuery};
use app::domain::user::{LocalUser, UserSource, UserStatus};
use app::domain::user_input::ValidUserInput;
use app::services::{StoreError, UserStore};
use async_trait::async_trait;

/// The columns of [`UserRow`], as a macro so that every query stays a
/// `&'static str` (sqlx refuses SQL assembled at run time unless audited).
macro_rules! user_columns {
    () => {
        "id, email, display_name, given_name, surname, job_title, department, office_location, \
         business_phone, mobile_phone, employee_id, status, source, azure_object_id, \
         user_principal_name, created_at, updated_at, last_synced_at"
    };
}

/// Rows matching the Users search: `$1` the search as typed, `$2` its pattern.
macro_rules! search_filter {
    () => {
        "WHERE ($1 = '' OR search_text LIKE $2 ESCAPE '\\')"
    };
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    email: String,
    display_name: String,
    given_name: Option<String>,
    surname: Option<String>,
    job_title: Option<String>,
    department: Option<String>,
    office_location: Option<String>,
    business_phone: Option<String>,
    mobile_phone: Option<String>,
    employee_id: Option<String>,
    status: String,
    source: String,
    azure_object_id: Option<String>,
    user_principal_name: Option<String>,
    created_at: i64,
    updated_at: i64,
    last_synced_at: Option<i64>,
}

impl TryFrom<UserRow> for LocalUser {
    type Error = StoreError;

    fn try_from(row: UserRow) -> Result<Self, StoreError> {
        let status = UserStatus::parse(&row.status).ok_or_else(|| {
            StoreError::Database(format!(
                "user {} has unknown status {:?}",
                row.id, row.status
            ))
        })?;
        let source = UserSource::parse(&row.source).ok_or_else(|| {
            StoreError::Database(format!(
                "user {} has unknown source {:?}",
                row.id, row.source
            ))
        })?;
        Ok(LocalUser {
            id: row.id,
            email: row.email,
            display_name: row.display_name,
            given_name: row.given_name,
            surname: row.surname,
            job_title: row.job_title,
            department: row.department,
            office_location: row.office_location,
            business_phone: row.business_phone,
            mobile_phone: row.mobile_phone,
            employee_id: row.employee_id,
            status,
            source,
            azure_object_id: row.azure_object_id,
            user_principal_name: row.user_principal_name,
            created_at: row.created_at,
            updated_at: row.updated_at,
            last_synced_at: row.last_synced_at,
        })
    }
}

/// The lower-cased text the Users search matches against.
fn search_text(input: &ValidUserInput) -> String {
    search_text_of(
        &input.display_name,
        input.email.as_str(),
        input.department.as_deref(),
        input.job_title.as_deref(),
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

#[async_trait]
impl UserStore for Store {
    async fn list_users(&self, query: &UserQuery) -> Result<Page<LocalUser>, StoreError> {
        let pattern = contains_pattern(&query.search);
        let (total,): (i64,) =
            sqlx::query_as(concat!("SELECT COUNT(*) FROM users ", search_filter!()))
                .bind(&query.search)
                .bind(&pattern)
                .fetch_one(&self.pool)
                .await
                .map_err(db_error)?;
        let rows: Vec<UserRow> = sqlx::query_as(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users ",
            search_filter!(),
            " ORDER BY sort_name, id LIMIT $3 OFFSET $4"
        ))
        .bind(&query.search)
        .bind(&pattern)
        .bind(i64::from(PAGE_SIZE))
        .bind(i64::try_from(query.offset()).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(Page {
            items: rows
                .into_iter()
                .map(LocalUser::try_from)
                .collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
            page: query.page,
            page_size: PAGE_SIZE,
        })
    }

    async fn get_user(&self, id: i64) -> Result<LocalUser, StoreError> {
        let row: Option<UserRow> = sqlx::query_as(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    async fn create_local_user(&self, input: &ValidUserInput) -> Result<LocalUser, StoreError> {
        let email_normalized = input.email.normalized();
        if let Some(owner) = self.email_owner(&email_normalized, None).await? {
            return Err(StoreError::EmailTaken { owner });
        }
        let now = now_millis();
        let result: Result<UserRow, sqlx::Error> = sqlx::query_as(concat!(
            "INSERT INTO users (email, email_normalized, display_name, given_name, surname, job_title, \
             department, office_location, business_phone, mobile_phone, employee_id, status, source, \
             sort_name, search_text, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16) \
             RETURNING ",
            user_columns!()
        ))
        .bind(input.email.as_str())
        .bind(&email_normalized)
        .bind(&input.display_name)
        .bind(&input.given_name)
        .bind(&input.surname)
        .bind(&input.job_title)
        .bind(&input.department)
        .bind(&input.office_location)
        .bind(&input.business_phone)
        .bind(&input.mobile_phone)
        .bind(&input.employee_id)
        .bind(UserStatus::Active.as_str())
        .bind(UserSource::Local.as_str())
        .bind(input.display_name.to_lowercase())
        .bind(search_text(input))
        .bind(now)
        .fetch_one(&self.pool)
        .await;
        match result {
            Ok(row) => row.try_into(),
            Err(e) => Err(self.explain_write_error(e, &email_normalized, None).await),
        }
    }

    async fn update_user(&self, id: i64, input: &ValidUserInput) -> Result<LocalUser, StoreError> {
        let email_normalized = input.email.normalized();
        if let Some(owner) = self.email_owner(&email_normalized, Some(id)).await? {
            return Err(StoreError::EmailTaken { owner });
        }
        let result: Result<Option<UserRow>, sqlx::Error> = sqlx::query_as(concat!(
            "UPDATE users SET email = $2, email_normalized = $3, display_name = $4, given_name = $5, \
             surname = $6, job_title = $7, department = $8, office_location = $9, business_phone = $10, \
             mobile_phone = $11, employee_id = $12, sort_name = $13, search_text = $14, updated_at = $15 \
             WHERE id = $1 RETURNING ",
            user_columns!()
        ))
        .bind(id)
        .bind(input.email.as_str())
        .bind(&email_normalized)
        .bind(&input.display_name)
        .bind(&input.given_name)
        .bind(&input.surname)
        .bind(&input.job_title)
        .bind(&input.department)
        .bind(&input.office_location)
        .bind(&input.business_phone)
        .bind(&input.mobile_phone)
        .bind(&input.employee_id)
        .bind(input.display_name.to_lowercase())
        .bind(search_text(input))
        .bind(now_millis())
        .fetch_optional(&self.pool)
        .await;
        match result {
            Ok(row) => row.ok_or(StoreError::NotFound)?.try_into(),
            Err(e) => Err(self
                .explain_write_error(e, &email_normalized, Some(id))
                .await),
        }
    }

    async fn set_user_status(&self, id: i64, status: UserStatus) -> Result<LocalUser, StoreError> {
        let row: Option<UserRow> = sqlx::query_as(concat!(
            "UPDATE users SET status = $2, updated_at = $3 WHERE id = $1 RETURNING ",
            user_columns!()
        ))
        .bind(id)
        .bind(status.as_str())
        .bind(now_millis())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }
}

/// Users read in id order, this many per query.
const ALL_USERS_BATCH: i64 = 5_000;

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
            let rows: Vec<UserRow> = sqlx::query_as(concat!(
                "SELECT ",
                user_columns!(),
                " FROM users WHERE id > $1 ORDER BY id LIMIT $2"
            ))
            .bind(after)
            .bind(ALL_USERS_BATCH)
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
            let full = rows.len() as i64 == batch;
            for row in rows {
                after = row.id;
                users.push(LocalUser::try_from(row)?);
            }
            if !full {
                return Ok(users);
            }
        }
    }
}

/// Row-level access inside a transaction, for the sync's apply job.
impl Store {
    /// A user, locked against concurrent writers until the transaction ends
    /// (PostgreSQL; SQLite's single writer needs no row lock).
    pub(super) async fn user_for_update(
        &self,
        conn: &mut sqlx::AnyConnection,
        id: i64,
    ) -> Result<Option<LocalUser>, StoreError> {
        let row: Option<UserRow> = match self.engine {
            super::Engine::Postgres => sqlx::query_as(concat!(
                "SELECT ",
                user_columns!(),
                " FROM users WHERE id = $1 FOR UPDATE"
            )),
            super::Engine::Sqlite => sqlx::query_as(concat!(
                "SELECT ",
                user_columns!(),
                " FROM users WHERE id = $1"
            )),
        }
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_error)?;
        row.map(LocalUser::try_from).transpose()
    }

    /// Who, other than `except_id`, has this email: "Name (email)".
    pub(super) async fn email_holder_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        email: &str,
        except_id: Option<i64>,
    ) -> Result<Option<String>, StoreError> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT display_name, email FROM users WHERE email_normalized = $1 AND id <> $2",
        )
        .bind(app::domain::email::normalize_email(email))
        .bind(except_id.unwrap_or(-1))
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_error)?;
        Ok(row.map(|(name, email)| format!("{name} ({email})")))
    }

    /// Writes every column of `user` (by id).
    pub(super) async fn write_user_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        user: &LocalUser,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE users SET email = $2, email_normalized = $3, display_name = $4, given_name = $5, surname = $6, \
             job_title = $7, department = $8, office_location = $9, business_phone = $10, mobile_phone = $11, \
             employee_id = $12, status = $13, source = $14, azure_object_id = $15, user_principal_name = $16, \
             sort_name = $17, search_text = $18, updated_at = $19, last_synced_at = $20 WHERE id = $1",
        )
        .bind(user.id)
        .bind(&user.email)
        .bind(app::domain::email::normalize_email(&user.email))
        .bind(&user.display_name)
        .bind(&user.given_name)
        .bind(&user.surname)
        .bind(&user.job_title)
        .bind(&user.department)
        .bind(&user.office_location)
        .bind(&user.business_phone)
        .bind(&user.mobile_phone)
        .bind(&user.employee_id)
        .bind(user.status.as_str())
        .bind(user.source.as_str())
        .bind(&user.azure_object_id)
        .bind(&user.user_principal_name)
        .bind(user.display_name.to_lowercase())
        .bind(search_text_of(&user.display_name, &user.email, user.department.as_deref(), user.job_title.as_deref()))
        .bind(user.updated_at)
        .bind(user.last_synced_at)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    /// Inserts `user` (its id is ignored); returns the new id.
    pub(super) async fn insert_user_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        user: &LocalUser,
    ) -> Result<i64, StoreError> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO users (email, email_normalized, display_name, given_name, surname, job_title, department, \
             office_location, business_phone, mobile_phone, employee_id, status, source, azure_object_id, \
             user_principal_name, sort_name, search_text, created_at, updated_at, last_synced_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, $19) RETURNING id",
        )
        .bind(&user.email)
        .bind(app::domain::email::normalize_email(&user.email))
        .bind(&user.display_name)
        .bind(&user.given_name)
        .bind(&user.surname)
        .bind(&user.job_title)
        .bind(&user.department)
        .bind(&user.office_location)
        .bind(&user.business_phone)
        .bind(&user.mobile_phone)
        .bind(&user.employee_id)
        .bind(user.status.as_str())
        .bind(user.source.as_str())
        .bind(&user.azure_object_id)
        .bind(&user.user_principal_name)
        .bind(user.display_name.to_lowercase())
        .bind(search_text_of(&user.display_name, &user.email, user.department.as_deref(), user.job_title.as_deref()))
        .bind(user.created_at)
        .bind(user.last_synced_at)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_error)?;
        Ok(id)
    }
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
