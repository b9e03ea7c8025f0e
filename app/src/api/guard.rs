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
        AppError::Invalid(_) | AppError::InvalidSetting(_) | AppError::InvalidConnection(_) => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
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

/// Whether the browser reached us over https (directly or via a proxy that
/// says so), which decides the cookie's `Secure` flag.
pub fn request_is_https() -> bool {
    use_context::<Parts>().is_some_and(|parts| {
        parts.uri.scheme_str() == Some("https")
            || parts
                .headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("https"))
    })
}
