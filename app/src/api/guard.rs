//! Server-side helpers shared by the server functions: who is calling, which
//! services to use, and how a refusal sets its HTTP status.

use super::AppError;
use crate::domain::admin::Admin;
use crate::services::Services;
use http::StatusCode;
use http::request::Parts;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

/// The signed-in admin of this request. The session middleware puts it into
/// the request's extensions; without it the call is refused with 401.
pub fn require_admin() -> Result<Admin, AppError> {
    use_context::<Parts>()
        .and_then(|parts| parts.extensions.get::<Admin>().cloned())
        .ok_or_else(|| refuse(StatusCode::UNAUTHORIZED, AppError::NotSignedIn))
}

/// The ports, provided as context by the server when it builds the router.
pub fn services() -> Result<Services, AppError> {
    use_context::<Services>().ok_or_else(|| {
        tracing::error!("Services missing from the server function context");
        AppError::Internal
    })
}

/// Sets the response status for an error and hands the error back.
pub fn refuse(status: StatusCode, error: AppError) -> AppError {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.set_status(status);
    }
    error
}

/// The status that goes with an error from a port.
pub fn status_of(error: &AppError) -> StatusCode {
    match error {
        AppError::NotSignedIn | AppError::WrongCredentials => StatusCode::UNAUTHORIZED,
        AppError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Invalid(_)
        | AppError::InvalidInput(_)
        | AppError::InvalidSetting(_)
        | AppError::InvalidConnection(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Refused(_) => StatusCode::CONFLICT,
        AppError::Internal | AppError::ServerFn(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Maps a port's error to the browser's error, with its status.
pub fn fail(error: impl Into<AppError>) -> AppError {
    let error = error.into();
    refuse(status_of(&error), error)
}

/// The address the request came from, as the server's middleware found it
/// (the TCP peer); loopback when unknown (a function called directly).
pub fn client_address() -> std::net::IpAddr {
    use_context::<Parts>()
        .and_then(|parts| {
            parts
                .extensions
                .get::<crate::services::ClientAddress>()
                .map(|a| a.0)
        })
        .unwrap_or(std::net::Ipv4Addr::LOCALHOST.into())
}
