//! The import jobs: preview, apply, history. One sync at a time; progress
//! published as it goes.

pub mod apply;
pub mod csv;
pub mod fetch;
pub mod preview;
pub mod progress;

pub use progress::ProgressHub;
