//! Password hashing and verification of the domain crate, run off the async
//! executor.

use pricewatch_domain::account;

use crate::error::Fault;

pub async fn hash(password: String) -> Result<String, Fault> {
    actix_web::web::block(move || account::hash_password(&password))
        .await
        .map_err(|e| Fault::Internal(anyhow::anyhow!("hashing task failed: {e}")))?
        .map_err(|e| Fault::Internal(e.into()))
}

/// Verifies against a stored hash, spending the same work for an unknown user.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, Fault> {
    actix_web::web::block(move || account::verify_password(&password, stored.as_deref()))
        .await
        .map_err(|e| Fault::Internal(anyhow::anyhow!("verify task failed: {e}")))
}
