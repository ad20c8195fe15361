//! The account rules of the domain crate, as api errors, with hashing run off
//! the async executor.

use pricewatch_domain::account;

use crate::error::ApiError;

/// The password policy ([`account::check_password`]), as a 422 naming `password`.
pub fn check_strength(password: &str) -> Result<(), ApiError> {
    account::check_password(password).map_err(|e| ApiError::validation("password", e))
}

pub async fn hash(password: String) -> Result<String, ApiError> {
    actix_web::web::block(move || account::hash_password(&password))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("hashing task failed: {e}")))?
        .map_err(|e| ApiError::Internal(e.into()))
}

/// Verifies against a stored hash, spending the same work for an unknown user.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, ApiError> {
    actix_web::web::block(move || account::verify_password(&password, stored.as_deref()))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("verify task failed: {e}")))
}
