//! Errors at the HTTP boundary, rendered as RFC 9457 `application/problem+json`.
//!
//! Details name what the caller got wrong; they never carry secrets, digests, payloads or internal
//! error text (a Redis failure is logged in full and answered with a generic 503).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::auth::AuthError;
pub use crate::field_error::FieldError;

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    #[error("method not allowed; this resource accepts {0}")]
    MethodNotAllowed(String),
    #[error("the body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the body did not arrive within {secs} s; the connection is closed")]
    RequestTimeout { secs: u64 },
    #[error(transparent)]
    Unauthorized(#[from] AuthError),
    #[error("storage is unavailable; retry after {retry_after_secs} s")]
    Unavailable { retry_after_secs: u64 },
    #[error("{0}")]
    BadRequest(String),
    #[error("the request is malformed: {}", describe(.0))]
    InvalidRequest(Vec<FieldError>),
    #[error("the request is not valid: {}", describe(.0))]
    ValidationFailed(Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
    #[error("the body must be application/json")]
    UnsupportedMediaType,
    #[error("{0}")]
    ApiKey(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error(
        "more than {limit} requests per second with this API key; retry after {retry_after_secs} s"
    )]
    TooManyRequests { limit: u64, retry_after_secs: u64 },
}

fn describe(errors: &[FieldError]) -> String {
    match errors {
        [only] => format!("{}: {}", only.field, only.message),
        many => {
            let fields: Vec<&str> = many.iter().map(|e| e.field.as_str()).collect();
            format!(
                "{} fields are invalid ({}); see `errors`",
                many.len(),
                fields.join(", ")
            )
        }
    }
}

/// An RFC 9457 problem document, as every error response carries.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `urn:shiprelay:problem:<slug>`
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Per-field problems, for 400 and 422.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// Each error's status, the stable slug in its problem `type` (`urn:shiprelay:problem:<slug>`,
/// documented in the README) and its title: the one table the three are read from.
struct Kind {
    status: StatusCode,
    slug: &'static str,
    title: &'static str,
}

const fn kind(status: StatusCode, slug: &'static str, title: &'static str) -> Kind {
    Kind {
        status,
        slug,
        title,
    }
}

impl ApiError {
    fn kind(&self) -> Kind {
        use StatusCode as S;
        match self {
            ApiError::NotFound(_) => kind(S::NOT_FOUND, "not-found", "Not Found"),
            ApiError::MethodNotAllowed(_) => kind(
                S::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method Not Allowed",
            ),
            ApiError::PayloadTooLarge { .. } => kind(
                S::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload Too Large",
            ),
            ApiError::RequestTimeout { .. } => {
                kind(S::REQUEST_TIMEOUT, "request-timeout", "Request Timeout")
            }
            ApiError::Unauthorized(_) | ApiError::ApiKey(_) => {
                kind(S::UNAUTHORIZED, "unauthorized", "Unauthorized")
            }
            ApiError::Unavailable { .. } => {
                kind(S::SERVICE_UNAVAILABLE, "unavailable", "Service Unavailable")
            }
            ApiError::BadRequest(_) | ApiError::InvalidRequest(_) => {
                kind(S::BAD_REQUEST, "bad-request", "Bad Request")
            }
            ApiError::ValidationFailed(_) => kind(
                S::UNPROCESSABLE_ENTITY,
                "validation-failed",
                "Unprocessable Content",
            ),
            ApiError::Conflict(_) => kind(S::CONFLICT, "conflict", "Conflict"),
            ApiError::UnsupportedMediaType => kind(
                S::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported Media Type",
            ),
            ApiError::Forbidden(_) => kind(S::FORBIDDEN, "forbidden", "Forbidden"),
            ApiError::TooManyRequests { .. } => kind(
                S::TOO_MANY_REQUESTS,
                "too-many-requests",
                "Too Many Requests",
            ),
        }
    }

    /// The stable slug in the problem `type` (`urn:shiprelay:problem:<slug>`).
    pub fn slug(&self) -> &'static str {
        self.kind().slug
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.kind().status
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let errors = match self {
            ApiError::InvalidRequest(errors) | ApiError::ValidationFailed(errors) => errors.clone(),
            _ => Vec::new(),
        };
        let problem = Problem {
            problem_type: format!("urn:shiprelay:problem:{}", self.slug()),
            title: self.kind().title.to_string(),
            status: status.as_u16(),
            detail: self.to_string(),
            errors,
        };
        let mut response = HttpResponse::build(status);
        response.content_type(PROBLEM_JSON);
        match self {
            ApiError::Unavailable { retry_after_secs }
            | ApiError::TooManyRequests {
                retry_after_secs, ..
            } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::Unauthorized(_) => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Signature"),
                ));
            }
            ApiError::MethodNotAllowed(allow) => {
                response.insert_header((header::ALLOW, allow.as_str()));
            }
            ApiError::ApiKey(_) => {
                response
                    .insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            ApiError::RequestTimeout { .. } => {
                // The rest of the body may still be on its way: this connection cannot carry
                // another request.
                response.force_close();
            }
            _ => {}
        }
        response.json(problem)
    }
}
