//! The one error type of the REST API: `{"error": "snake_case_code", "message": "…"}`
//! with the right status. A 500 logs its cause and tells the client nothing internal.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Machine-readable code, e.g. `validation_failed`.
    pub error: String,
    /// What went wrong, for people.
    pub message: String,
    /// The request field at fault, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{message}")]
    Validation { field: String, message: String },
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("too many requests; retry in {retry_after} s")]
    RateLimited { retry_after: u64 },
    #[error("{0} is unavailable, try again shortly")]
    Unavailable(&'static str),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl std::fmt::Display) -> Self {
        ApiError::Validation {
            field: field.into(),
            message: message.to_string(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Validation { .. } => "validation_failed",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict { code, .. } => code,
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Unavailable(_) => "service_unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::InvalidCredentials | ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(error = ?cause, "request failed");
        }
        let mut builder = HttpResponse::build(self.status_code());
        if let ApiError::RateLimited { retry_after } = self {
            builder.insert_header(("Retry-After", retry_after.to_string()));
        }
        if matches!(self, ApiError::Unauthorized(_)) {
            builder.insert_header(("WWW-Authenticate", "Bearer"));
        }
        builder.json(ErrorBody {
            error: self.code().to_owned(),
            message: self.to_string(),
            field: match self {
                ApiError::Validation { field, .. } => Some(field.clone()),
                _ => None,
            },
        })
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        match err {
            diesel::result::Error::NotFound => ApiError::NotFound("resource"),
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for ApiError {
    fn from(err: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        Fault::from(err).into()
    }
}

/// A failure of the service itself (the database, a blocking task), never of
/// the request: what the actions shared by the REST API and the web pages
/// return beside their own refusals. 503 or 500 on either side.
#[derive(Debug, thiserror::Error)]
pub enum Fault {
    #[error("{0} is unavailable, try again shortly")]
    Unavailable(&'static str),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl From<diesel::result::Error> for Fault {
    fn from(err: diesel::result::Error) -> Self {
        Fault::Internal(err.into())
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for Fault {
    fn from(err: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        tracing::warn!(
            error = %pricewatch_storage::pool::describe_pool_error(&err),
            "no database connection"
        );
        Fault::Unavailable("the database")
    }
}

impl From<Fault> for ApiError {
    fn from(fault: Fault) -> Self {
        match fault {
            Fault::Unavailable(what) => ApiError::Unavailable(what),
            Fault::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

impl From<crate::rate_limit::RateLimited> for ApiError {
    fn from(limited: crate::rate_limit::RateLimited) -> Self {
        ApiError::RateLimited {
            retry_after: limited.retry_after,
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<crate::account::AccountError> for ApiError {
    fn from(err: crate::account::AccountError) -> Self {
        use crate::account::AccountError;
        match err {
            AccountError::Invalid { field, message } => ApiError::validation(field, message),
            AccountError::EmailTaken => ApiError::Conflict {
                code: "email_taken",
                message: "an account with this email already exists".to_owned(),
            },
            AccountError::WrongCredentials => ApiError::InvalidCredentials,
            AccountError::RateLimited(limited) => limited.into(),
            AccountError::Gone => {
                ApiError::Unauthorized("this account no longer exists".to_owned())
            }
            AccountError::Fault(fault) => fault.into(),
        }
    }
}

impl From<crate::watch_actions::WatchError> for ApiError {
    fn from(err: crate::watch_actions::WatchError) -> Self {
        use crate::watch_actions::WatchError;
        match err {
            WatchError::Invalid { field, message } => ApiError::Validation { field, message },
            WatchError::NotFound => ApiError::NotFound("watch"),
            WatchError::Exists => ApiError::Conflict {
                code: "watch_exists",
                message: err.to_string(),
            },
            WatchError::LimitReached { .. } => ApiError::Conflict {
                code: "watch_limit_reached",
                message: err.to_string(),
            },
            WatchError::TooSoon { retry_after, .. } => ApiError::RateLimited { retry_after },
            WatchError::Gone => ApiError::Unauthorized("this account no longer exists".to_owned()),
            WatchError::Fault(fault) => fault.into(),
        }
    }
}
