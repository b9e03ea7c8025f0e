//! The one error type the browser receives from a server function: a message
//! an admin can act on, never internals.

use crate::domain::connection::{ConnectionField, FieldProblem};
use crate::domain::user_input::FieldError;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Your session has ended. Please sign in again.")]
    NotSignedIn,
    #[error("Wrong email or password.")]
    WrongCredentials,
    #[error("Too many failed sign-in attempts. Try again in {retry_after_secs} seconds.")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("Please correct the highlighted fields.")]
    Invalid(Vec<FieldError>),
    /// A request that cannot be right, and why, in the admin's words.
    #[error("{0}")]
    InvalidInput(String),
    #[error("That user no longer exists.")]
    NotFound,
    /// A sync request the admin can act on: the text says how.
    #[error("{0}")]
    Refused(String),
    /// Connection fields to correct, each with its message.
    #[error("Please correct the highlighted fields.")]
    InvalidConnection(Vec<FieldProblem>),
    /// A setting that cannot be saved, and why.
    #[error("{0}")]
    InvalidSetting(String),
    #[error("Something went wrong on the server; the details are in its log.")]
    Internal,
    #[error("Could not reach the server: {0}")]
    ServerFn(ServerFnErrorErr),
}

impl AppError {
    /// The message for one field, when this is a validation error.
    pub fn field_message(&self, field: crate::domain::user_input::UserField) -> Option<String> {
        match self {
            Self::Invalid(errors) => errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone()),
            _ => None,
        }
    }
}

impl AppError {
    /// The message for one connection field, when this is its validation error.
    pub fn connection_problem(&self, field: ConnectionField) -> Option<String> {
        match self {
            Self::InvalidConnection(problems) => problems
                .iter()
                .find(|p| p.field == field)
                .map(|p| p.message.clone()),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        // A request the server function cannot decode is the caller's
        // mistake: 400, not the 500 Leptos answers by default.
        #[cfg(feature = "ssr")]
        if matches!(
            value,
            ServerFnErrorErr::Args(_)
                | ServerFnErrorErr::Deserialization(_)
                | ServerFnErrorErr::MissingArg(_)
        ) && let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
        {
            response.set_status(http::StatusCode::BAD_REQUEST);
        }
        Self::ServerFn(value)
    }
}

#[cfg(feature = "ssr")]
impl From<crate::services::StoreError> for AppError {
    fn from(error: crate::services::StoreError) -> Self {
        use crate::domain::user_input::UserField;
        use crate::services::StoreError;
        match error {
            StoreError::EmailTaken { owner } => Self::Invalid(vec![FieldError {
                field: UserField::Email,
                message: format!("This email is already used by {owner}."),
            }]),
            StoreError::NotFound => Self::NotFound,
            StoreError::Database(detail) | StoreError::Unavailable(detail) => {
                tracing::error!(%detail, "database error in a server function");
                Self::Internal
            }
        }
    }
}

#[cfg(feature = "ssr")]
impl From<crate::services::ConnectionFailure> for AppError {
    fn from(error: crate::services::ConnectionFailure) -> Self {
        use crate::services::ConnectionFailure;
        match error {
            ConnectionFailure::Invalid(problems) => Self::InvalidConnection(problems),
            ConnectionFailure::Refused(message) => Self::Refused(message),
            ConnectionFailure::Store(e) => e.into(),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<crate::services::SyncFailure> for AppError {
    fn from(error: crate::services::SyncFailure) -> Self {
        use crate::services::SyncFailure;
        match error {
            SyncFailure::Refused(message) => Self::Refused(message),
            SyncFailure::Store(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_survive_the_wire() {
        let e = AppError::TooManyAttempts {
            retry_after_secs: 8,
        };
        let bytes = <AppError as FromServerFnError>::ser(&e);
        assert_eq!(<AppError as FromServerFnError>::de(bytes), e);
        assert_eq!(
            e.to_string(),
            "Too many failed sign-in attempts. Try again in 8 seconds."
        );
    }
}
