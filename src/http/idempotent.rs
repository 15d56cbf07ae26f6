//! `Idempotency-Key` for every API POST: the first request with a key runs and its successful
//! response is stored for `api.idempotency_ttl_secs`; a retry with the same key and the same
//! request gets that response again with `Idempotent-Replayed: true`; the same key with a
//! different request, or while the first is still running, is 409. A failed request frees its key.

use std::future::Future;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use super::AppState;
use crate::http::error::{ApiError, FieldError};
use crate::queue::{IdempotencyBegin, StoredResponse};
use crate::tenancy::Call;

pub const HEADER: &str = "idempotency-key";
const MAX_KEY_LEN: usize = 255;
/// How long a key stays claimed by a request still running: longer than any request may take
/// (body timeout plus Redis work), short enough that a process killed mid-request frees it within
/// a minute. The stored response lives `api.idempotency_ttl_secs`.
const IN_PROGRESS_TTL_SECS: u64 = 60;

/// The `Idempotency-Key` request header, as documented on every POST.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // documentation only: the header is read in `run`
pub struct IdempotencyKey {
    /// Replays the first successful response to the same request for 24 h (1-255 visible ASCII
    /// characters; scoped to the API key).
    #[param(
        rename = "Idempotency-Key",
        min_length = 1,
        max_length = 255,
        pattern = "^[!-~]+$"
    )]
    pub key: Option<String>,
}

/// A handler's successful answer: status, JSON body, and a `Location` when it created something.
pub struct Created {
    pub status: StatusCode,
    pub body: serde_json::Value,
    pub location: Option<String>,
}

pub async fn run<F, Fut>(
    state: &AppState,
    request: &HttpRequest,
    call: &Call,
    body: &[u8],
    handler: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Created, ApiError>>,
{
    let Some(key) = idempotency_key(request)? else {
        return handler().await.map(|created| respond(&created, false));
    };
    let slot = state
        .registry
        .idempotency_slot(&call.principal.scope_id(), key);
    let fingerprint = fingerprint(request, body);
    let ttl = state.idempotency_ttl_secs;
    let unavailable = |_| ApiError::Unavailable {
        retry_after_secs: state.retry_after_secs,
    };
    match state
        .registry
        .idempotency_begin(&slot, &fingerprint, IN_PROGRESS_TTL_SECS)
        .await
        .map_err(unavailable)?
    {
        IdempotencyBegin::Known(stored) if stored.fingerprint != fingerprint => Err(
            ApiError::Conflict("this Idempotency-Key was used with a different request".into()),
        ),
        IdempotencyBegin::Known(StoredResponse {
            status: Some(status),
            body: Some(body),
            location,
            ..
        }) => {
            let created = Created {
                status: StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                body: serde_json::from_str(&body).unwrap_or_default(),
                location,
            };
            Ok(respond(&created, true))
        }
        IdempotencyBegin::Known(_) => Err(ApiError::Conflict(
            "a request with this Idempotency-Key is still in progress".into(),
        )),
        IdempotencyBegin::Claimed => match handler().await {
            Ok(created) => {
                let stored = StoredResponse {
                    fingerprint,
                    status: Some(created.status.as_u16()),
                    body: Some(created.body.to_string()),
                    location: created.location.clone(),
                };
                if let Err(error) = state
                    .registry
                    .idempotency_complete(&slot, &stored, ttl)
                    .await
                {
                    // The effect happened; answering it matters more than remembering it.
                    tracing::warn!(%error, "could not store the idempotent response");
                }
                Ok(respond(&created, false))
            }
            Err(error) => {
                if let Err(release) = state.registry.idempotency_release(&slot).await {
                    tracing::warn!(error = %release, "could not release the Idempotency-Key");
                }
                Err(error)
            }
        },
    }
}

fn idempotency_key(request: &HttpRequest) -> Result<Option<&str>, ApiError> {
    let Some(value) = request.headers().get(HEADER) else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(key)
            if (1..=MAX_KEY_LEN).contains(&key.len())
                && key.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            Ok(Some(key))
        }
        _ => Err(ApiError::InvalidRequest(vec![FieldError::new(
            "Idempotency-Key",
            format!("must be 1-{MAX_KEY_LEN} visible ASCII characters"),
        )])),
    }
}

fn fingerprint(request: &HttpRequest, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(request.method().as_str().as_bytes());
    hash.update(b" ");
    hash.update(request.path().as_bytes());
    hash.update(b"\n");
    hash.update(body);
    hex::encode(hash.finalize())
}

fn respond(created: &Created, replayed: bool) -> HttpResponse {
    let mut response = HttpResponse::build(created.status);
    if let Some(location) = &created.location {
        response.insert_header((header::LOCATION, location.as_str()));
    }
    if replayed {
        response.insert_header((
            HeaderName::from_static("idempotent-replayed"),
            HeaderValue::from_static("true"),
        ));
    }
    response.json(&created.body)
}
