//! What the Settings page shows besides the options themselves: the groups
//! a sync can be limited to, and the record of changes.

use super::sync::SyncOptions;
use serde::{Deserialize, Serialize};

/// A directory group the admin can limit the sync to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupChoice {
    /// The group's Azure object id.
    pub id: String,
    pub name: String,
}

/// One saved change: who, when, what (never a secret's value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsChange {
    pub changed_at: i64,
    pub changed_by: String,
    pub summary: String,
}

/// The Settings page's sync section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncSettings {
    pub options: SyncOptions,
    /// The groups imported so far (the directory's, as of the last sync).
    pub groups: Vec<GroupChoice>,
    /// The newest first.
    pub changes: Vec<SettingsChange>,
}
