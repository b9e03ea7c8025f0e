//! Planning an import: what the directory says, against what the platform
//! holds, under the admin's options. Pure: no I/O, the same on the server
//! and in tests. The rules are the product's ("The rules of the sync" in
//! shared/docs/product.md); each file holds one part of them.

pub mod apply;
pub mod batch_facts;
pub mod completeness;
pub mod directory_read;
pub mod mapping;
pub mod options;
pub mod order;
pub mod plan;
pub mod planner;
pub mod progress;
pub mod run;
pub mod safety;
pub mod schedule;
pub mod shared_progress;
pub mod undo;
pub mod view;

pub use options::{DeactivationThreshold, OverwriteBehavior, SyncOptions};
pub use plan::*;
pub use planner::{DirectorySnapshot, LocalGroup, LocalState, plan_import};

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod property_tests;
#[cfg(test)]
mod rules_tests;
