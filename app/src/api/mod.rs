//! The server functions: every one is a public URL under `/api/`, so every
//! one checks its caller itself (besides the session middleware in front).
//! Each is thin: check the admin, validate, call a port, map the error.

pub mod auth;
pub mod connection;
pub mod error;
pub mod groups;
#[cfg(feature = "ssr")]
pub mod guard;
pub mod settings;
pub mod sync;
pub mod users;

pub use error::AppError;
