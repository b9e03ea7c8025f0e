//! One file per page.

pub mod coming_soon;
pub mod not_found;
pub mod sign_in;
pub mod user_edit;
pub mod users;
