//! The import jobs: preview, apply, history. One sync at a time; progress
//! published as it goes.

pub mod apply;
pub mod cancel;
pub mod connection;
mod connection_settings;
pub mod csv;
pub mod fetch;
pub mod history;
pub mod lock;
pub mod ports;
pub mod preview;
pub mod progress;
pub mod schedule;
mod secret_expiry;
pub mod service;
pub mod shared_progress;
pub mod undo;

pub use connection::{Connection, ConnectionService, DemoTenant};
pub use lock::LockPolicy;
pub use progress::ProgressHub;
pub use schedule::{Clock, ManualClock, Scheduler, SchedulerPolicy, Tick};
pub use service::ImportService;
pub use shared_progress::SharingPolicy;
