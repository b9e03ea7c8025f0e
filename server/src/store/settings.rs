//! Settings: one JSON value per key, and the record of every change.

use super::{Store, db_error, now_millis};
use app::domain::settings::{GroupChoice, SettingsChange, SyncSettings};
use app::domain::sync::SyncOptions;
use app::services::{SettingsStore, StoreError};
use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;

const SYNC_OPTIONS: &str = "sync_options";
/// Changes the Settings page lists.
const CHANGES_SHOWN: i64 = 20;

/// Records who changed what, in the transaction that changes it.
pub(super) async fn record_changes(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    admin: &str,
    now: i64,
    changes: &[String],
) -> Result<(), StoreError> {
    for summary in changes {
        sqlx::query(
            "INSERT INTO settings_changes (changed_at, changed_by, summary) VALUES ($1, $2, $3)",
        )
        .bind(now)
        .bind(admin)
        .bind(summary)
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
    }
    Ok(())
}

impl Store {
    /// The saved sync options, or the defaults before anyone saved any.
    pub async fn sync_options(&self) -> Result<SyncOptions, StoreError> {
        Ok(self.setting(SYNC_OPTIONS).await?.unwrap_or_default())
    }

    /// One setting's saved value; `None` before anyone saved it.
    pub(super) async fn setting<T: DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.map(|(json,)| {
            serde_json::from_str(&json)
                .map_err(|e| StoreError::Database(format!("unreadable setting {key}: {e}")))
        })
        .transpose()
    }

    /// Saves one setting (or removes it, with `None`) together with the
    /// record of its `changes`, in one transaction.
    pub(super) async fn save_setting<T: Serialize>(
        &self,
        key: &str,
        value: Option<&T>,
        admin: &str,
        changes: &[String],
    ) -> Result<(), StoreError> {
        let now = now_millis();
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        match value {
            Some(value) => {
                let json = serde_json::to_string(value)
                    .map_err(|e| StoreError::Database(format!("setting {key}: {e}")))?;
                sqlx::query(
                    "INSERT INTO settings (key, value, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, \
                     updated_by = excluded.updated_by",
                )
                .bind(key)
                .bind(&json)
                .bind(now)
                .bind(admin)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            }
            None => {
                sqlx::query("DELETE FROM settings WHERE key = $1")
                    .bind(key)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error)?;
            }
        }
        record_changes(&mut tx, admin, now, changes).await?;
        tx.commit().await.map_err(db_error)
    }

    /// The chosen groups with their imported names; an empty name for a
    /// group not imported (yet).
    async fn chosen_groups(&self, ids: &[String]) -> Result<Vec<GroupChoice>, StoreError> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT azure_object_id, name FROM directory_groups")
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
        let names: std::collections::HashMap<String, String> = rows.into_iter().collect();
        Ok(ids
            .iter()
            .map(|id| GroupChoice {
                id: id.clone(),
                name: names.get(id).cloned().unwrap_or_default(),
            })
            .collect())
    }

    async fn settings_changes(&self) -> Result<Vec<SettingsChange>, StoreError> {
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT changed_at, changed_by, summary FROM settings_changes ORDER BY id DESC LIMIT $1",
        )
        .bind(CHANGES_SHOWN)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|(changed_at, changed_by, summary)| SettingsChange {
                changed_at,
                changed_by,
                summary,
            })
            .collect())
    }
}

#[async_trait]
impl SettingsStore for Store {
    async fn sync_settings(&self) -> Result<SyncSettings, StoreError> {
        let options = self.sync_options().await?;
        Ok(SyncSettings {
            chosen_groups: self.chosen_groups(&options.scope_group_ids).await?,
            options,
            changes: self.settings_changes().await?,
        })
    }

    async fn save_sync_options(
        &self,
        admin: &str,
        options: &SyncOptions,
    ) -> Result<Vec<String>, StoreError> {
        let changes = options.changes_from(&self.sync_options().await?);
        if changes.is_empty() {
            return Ok(changes);
        }
        self.save_setting(SYNC_OPTIONS, Some(options), admin, &changes)
            .await?;
        Ok(changes)
    }
}
