//! The signed-in administrator, as the pages and server functions see them.

use serde::{Deserialize, Serialize};

/// An administrator of dirsync. Carried in the request once the session is
/// checked, so that a server function can say who did what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Admin {
    pub id: i64,
    pub email: String,
}
