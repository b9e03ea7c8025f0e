//! Pieces shared by several pages.

pub mod badge;
pub mod layout;
pub mod text_field;
pub mod toast;
