//! The one error of the `/v1` services (subscriptions, tenants, recovery): what went wrong in
//! terms the HTTP edge maps to a status, never carrying a secret or another tenant's id.

use crate::field_error::FieldError;
use crate::queue::QueueError;
use crate::tenancy::Denied;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Unknown, or another tenant's: the same answer, so nothing leaks.
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
    #[error("the record changed concurrently too often; retry")]
    Contended,
    #[error(transparent)]
    Unavailable(#[from] QueueError),
}

impl From<Denied> for ServiceError {
    fn from(denied: Denied) -> ServiceError {
        match denied {
            Denied::Hidden => ServiceError::NotFound,
            Denied::Forbidden(reason) => ServiceError::Forbidden(reason),
        }
    }
}

impl ServiceError {
    /// A single-field 422.
    pub fn invalid(field: &str, message: impl Into<String>) -> ServiceError {
        ServiceError::Invalid(vec![FieldError::new(field, message)])
    }
}
