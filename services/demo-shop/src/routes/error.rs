//! The one error type of the shop's routes: `{"error": "snake_case_code",
//! "message": "…"}` with its status, like the rest of PriceWatch.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug)]
pub struct ShopError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ShopError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ShopError {
        ShopError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_query(message: impl Into<String>) -> ShopError {
        ShopError::new(StatusCode::BAD_REQUEST, "invalid_query", message)
    }

    pub fn invalid_price(message: impl Into<String>) -> ShopError {
        ShopError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_price", message)
    }

    pub fn not_found(message: impl Into<String>) -> ShopError {
        ShopError::new(StatusCode::NOT_FOUND, "not_found", message)
    }
}

impl fmt::Display for ShopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl ResponseError for ShopError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(serde_json::json!({
            "error": self.code,
            "message": self.message,
        }))
    }
}
