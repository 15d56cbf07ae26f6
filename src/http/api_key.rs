//! API authentication: `X-API-Key: <key>` or `Authorization: Bearer <key>`, compared in constant
//! time against every configured key. Handlers that take an [`ApiCaller`] are authenticated.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use sha2::{Digest, Sha256};

use super::AppState;
use crate::error::ApiError;

/// An authenticated API caller.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    /// A short, non-reversible id of the key used (for scoping and logs; never the key).
    pub key_id: String,
}

impl FromRequest for ApiCaller {
    type Error = ApiError;
    type Future = Ready<Result<ApiCaller, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(request))
    }
}

fn authenticate(request: &HttpRequest) -> Result<ApiCaller, ApiError> {
    let state = request
        .app_data::<web::Data<AppState>>()
        .ok_or(ApiError::ApiKey("the API is not configured"))?;
    let presented = presented_key(request).ok_or(ApiError::ApiKey(
        "an API key is required: send X-API-Key or Authorization: Bearer",
    ))?;
    // Check every key (no early exit) so timing does not tell how many keys there are.
    let matched = state.api_keys.iter().fold(false, |found, key| {
        key.matches(presented.as_bytes()) | found
    });
    if !matched {
        return Err(ApiError::ApiKey("the API key is not valid"));
    }
    let digest = Sha256::digest(presented.as_bytes());
    Ok(ApiCaller {
        key_id: hex::encode(&digest[..6]),
    })
}

fn presented_key(request: &HttpRequest) -> Option<&str> {
    let headers = request.headers();
    if let Some(key) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(key.trim());
    }
    let authorization = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = authorization.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}
