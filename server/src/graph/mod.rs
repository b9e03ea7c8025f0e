//! The Microsoft Graph adapter (reqwest). The spec it follows is
//! shared/docs/graph-api.md; the emulator in `graph_sim` serves the same.

mod client;
mod cloud;
mod credentials;
mod delta;
mod error;
mod model;
mod permissions;
mod retry;

pub use client::{AppCredentials, FetchProgress, GraphClient, MAX_PAGES_PER_READ};
pub use cloud::{Cloud, CloudHosts, Endpoints};
pub use credentials::Credentials;
pub use delta::{DeltaError, delta_selection};
pub use error::{GraphError, PagingFault, SignInFailure};
pub use model::{GROUP_SELECT, MANAGER_EXPAND, MAX_PAGE_SIZE, USER_SELECT};
pub use permissions::{PermissionReport, REQUIRED_PERMISSIONS, inspect_token};
pub use retry::{RetryPolicy, Sleeper, parse_retry_after};
