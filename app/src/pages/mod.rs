//! One file per page.

pub mod groups;
pub mod import;
pub mod not_found;
pub mod settings;
pub mod sign_in;
pub mod sync_history;
pub mod user_edit;
pub mod users;
