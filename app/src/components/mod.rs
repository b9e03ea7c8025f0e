//! Pieces shared by several pages.

pub mod badge;
pub mod confirm_dialog;
pub mod layout;
pub mod pager;
pub mod plan_table;
pub mod sync_progress;
pub mod text_field;
pub mod toast;
