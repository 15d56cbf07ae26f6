//! Errors at the HTTP boundary, rendered as RFC 9457 `application/problem+json`.
//!
//! Details name what the caller got wrong; they never carry secrets, digests, payloads or internal
//! error text (a Redis failure is logged in full and answered with a generic 503).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::auth::AuthError;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One thing wrong with a request, located by its field path (`events[2]`, `headers.Host`,
/// `pageSize`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

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

impl ApiError {
    /// The stable slug in the problem `type` (`urn:shiprelay:problem:<slug>`), documented in the README.
    pub fn slug(&self) -> &'static str {
        match self {
            ApiError::NotFound(_) => "not-found",
            ApiError::MethodNotAllowed(_) => "method-not-allowed",
            ApiError::PayloadTooLarge { .. } => "payload-too-large",
            ApiError::RequestTimeout { .. } => "request-timeout",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Unavailable { .. } => "unavailable",
            ApiError::BadRequest(_) | ApiError::InvalidRequest(_) => "bad-request",
            ApiError::ValidationFailed(_) => "validation-failed",
            ApiError::Conflict(_) => "conflict",
            ApiError::UnsupportedMediaType => "unsupported-media-type",
            ApiError::ApiKey(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::TooManyRequests { .. } => "too-many-requests",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::NotFound(_) => "Not Found",
            ApiError::MethodNotAllowed(_) => "Method Not Allowed",
            ApiError::PayloadTooLarge { .. } => "Payload Too Large",
            ApiError::RequestTimeout { .. } => "Request Timeout",
            ApiError::Unauthorized(_) => "Unauthorized",
            ApiError::Unavailable { .. } => "Service Unavailable",
            ApiError::BadRequest(_) | ApiError::InvalidRequest(_) => "Bad Request",
            ApiError::ValidationFailed(_) => "Unprocessable Content",
            ApiError::Conflict(_) => "Conflict",
            ApiError::UnsupportedMediaType => "Unsupported Media Type",
            ApiError::ApiKey(_) => "Unauthorized",
            ApiError::Forbidden(_) => "Forbidden",
            ApiError::TooManyRequests { .. } => "Too Many Requests",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RequestTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::BadRequest(_) | ApiError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::ValidationFailed(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::ApiKey(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let errors = match self {
            ApiError::InvalidRequest(errors) | ApiError::ValidationFailed(errors) => errors.clone(),
            _ => Vec::new(),
        };
        let problem = Problem {
            problem_type: format!("urn:shiprelay:problem:{}", self.slug()),
            title: self.title().to_string(),
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
