//! The stored directory: what the last complete read of Azure AD left,
//! with the deltaLinks that continue from it. One row; the mirror and the
//! shape are JSON, read back into the domain's types here and nowhere else.

use super::{LockLost, Store, db_error};
use app::domain::directory_mirror::DirectoryMirror;
use app::domain::sync::directory_read::{DeltaLinks, ReadKind, ReadShape, StoredDirectory};
use app::services::StoreError;

type MirrorRow = (
    String,
    String,
    Option<String>,
    String,
    String,
    i64,
    i64,
    String,
);

fn unreadable(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("stored directory: unreadable {what}: {e}"))
}

impl Store {
    /// The last complete read, if any.
    pub async fn load_directory(&self) -> Result<Option<StoredDirectory>, StoreError> {
        let row: Option<MirrorRow> = sqlx::query_as(
            "SELECT connection_key, shape, tenant_id, users_delta_link, groups_delta_link, \
             links_received_at, full_read_at, mirror FROM directory_mirror WHERE id = 1",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        let Some((connection, shape, tenant_id, users, groups, received_at, full_read_at, mirror)) =
            row
        else {
            return Ok(None);
        };
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
            mirror: serde_json::from_str::<DirectoryMirror>(&mirror)
                .map_err(|e| unreadable("mirror", e))?,
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
        let mirror =
            serde_json::to_string(&directory.mirror).map_err(|e| unreadable("mirror", e))?;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        if let Err(lost) = Self::fence(&mut tx, token, now).await? {
            tx.rollback().await.map_err(db_error)?;
            return Ok(Err(lost));
        }
        sqlx::query(
            "INSERT INTO directory_mirror (id, connection_key, shape, tenant_id, users_delta_link, \
             groups_delta_link, links_received_at, full_read_at, mirror) \
             VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (id) DO UPDATE SET connection_key = excluded.connection_key, \
             shape = excluded.shape, tenant_id = excluded.tenant_id, \
             users_delta_link = excluded.users_delta_link, groups_delta_link = excluded.groups_delta_link, \
             links_received_at = excluded.links_received_at, full_read_at = excluded.full_read_at, \
             mirror = excluded.mirror",
        )
        .bind(&directory.connection)
        .bind(shape)
        .bind(&directory.tenant_id)
        .bind(&directory.links.users)
        .bind(&directory.links.groups)
        .bind(directory.links.received_at)
        .bind(directory.full_read_at)
        .bind(mirror)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        sqlx::query("UPDATE sync_runs SET read_kind = $2 WHERE id = $1")
            .bind(run_id)
            .bind(kind.code())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        Self::commit_fenced(tx, token).await
    }
}
