//! One file per page.

pub mod coming_soon;
pub mod import;
pub mod not_found;
pub mod sign_in;
pub mod sync_history;
pub mod user_edit;
pub mod users;
