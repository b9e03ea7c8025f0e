//! The groups imported from Azure AD, as the Groups page shows them.

use serde::{Deserialize, Serialize};

/// A group with how many platform users are in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSummary {
    pub id: i64,
    pub azure_object_id: String,
    pub name: String,
    pub member_count: u64,
}
