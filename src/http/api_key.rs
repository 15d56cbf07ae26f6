//! API authentication: `X-API-Key: <key>` or `Authorization: Bearer <key>`. An admin key from
//! config or a tenant key (looked up by digest) becomes the call's [`Principal`]; a read-only key
//! is refused anything but GET here, so no handler can forget it; and each key's requests are
//! counted against `api.requests_per_second_per_key` (429 past it). Handlers that take a
//! [`Caller`] are authenticated and scoped.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::AppState;
use crate::http::error::ApiError;
use crate::tenancy::{Call, Denied};

/// An authenticated API call.
#[derive(Debug, Clone)]
pub struct Caller(pub Call);

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Caller, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move { authenticate(&request).await })
    }
}

async fn authenticate(request: &HttpRequest) -> Result<Caller, ApiError> {
    let state = request
        .app_data::<web::Data<AppState>>()
        .ok_or(ApiError::ApiKey("the API is not configured"))?;
    let presented = presented_key(request).ok_or(ApiError::ApiKey(
        "an API key is required: send X-API-Key or Authorization: Bearer",
    ))?;
    let principal = state
        .keys
        .authenticate(presented)
        .await
        .map_err(|e| state.unavailable(e))?
        .ok_or(ApiError::ApiKey("the API key is not valid"))?;
    principal
        .may_use_method(request.method().as_str())
        .map_err(|denied| match denied {
            Denied::Forbidden(reason) => ApiError::Forbidden(reason),
            Denied::Hidden => ApiError::NotFound("not found".into()),
        })?;
    let limit = state.requests_per_second_per_key;
    if limit > 0 {
        let now = chrono::Utc::now().timestamp();
        let count = state
            .registry
            .count_request(&principal.scope_id(), now)
            .await
            .map_err(|e| state.unavailable(e))?;
        if count > limit {
            return Err(ApiError::TooManyRequests {
                limit,
                retry_after_secs: 1,
            });
        }
    }
    Ok(Caller(Call {
        principal,
        correlation_id: super::correlation::of(request),
    }))
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
