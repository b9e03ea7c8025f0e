//! Plain data and pure logic: no I/O, compiles for the server and for wasm.
//! Most unit tests live here.

pub mod admin;
pub mod connection;
pub mod directory;
pub mod directory_mirror;
pub mod email;
pub mod format;
pub mod group;
pub mod paging;
pub mod profile;
pub mod settings;
pub mod sync;
pub mod user;
pub mod user_input;
