//! `POST /ingest/{source}`: the provider-facing endpoint. Thin: it reads a size-limited body,
//! hands it to [`crate::ingest::Ingestor`] and maps the outcome to HTTP, counting each.
//!
//! Success is 200 (Flexport counts only 200 as delivered), including for a quarantined payload,
//! which the provider must not retry because it will never parse.

use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::Serialize;

use super::AppState;
use crate::auth::HeaderSource;
use crate::error::ApiError;
use crate::ingest::{IngestError, Outcome, Request};
use crate::metrics::{IngestOutcome, UNKNOWN_SOURCE};

struct Headers<'a>(&'a HeaderMap);

impl HeaderSource for Headers<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Serialize)]
struct Accepted<'a> {
    accepted: usize,
    events: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    quarantined: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

pub async fn receive(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let source_id = path.into_inner();
    let Some(source) = state.ingestor.source(&source_id) else {
        state
            .metrics
            .count_ingest(UNKNOWN_SOURCE, IngestOutcome::NotFound);
        return Err(ApiError::NotFound(format!(
            "no source is configured at /ingest/{source_id}"
        )));
    };
    let timer = state
        .metrics
        .ingest_duration
        .with_label_values(&[source.id.as_str()])
        .start_timer();
    let result = handle(&state, &request, source, payload).await;
    timer.observe_duration();
    let outcome = match &result {
        Ok((outcome, _)) => *outcome,
        Err(ApiError::PayloadTooLarge { .. }) => IngestOutcome::TooLarge,
        Err(ApiError::Unauthorized(_)) => IngestOutcome::Unauthorized,
        Err(ApiError::Unavailable { .. }) => IngestOutcome::Unavailable,
        Err(_) => IngestOutcome::BadRequest,
    };
    state.metrics.count_ingest(&source.id, outcome);
    result.map(|(_, response)| response)
}

async fn handle(
    state: &AppState,
    request: &HttpRequest,
    source: &crate::config::Source,
    payload: web::Payload,
) -> Result<(IngestOutcome, HttpResponse), ApiError> {
    let body = read_limited(request, payload, state.max_body_bytes).await?;
    let correlation_id = super::correlation::of(request);
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ingest_request = Request {
        headers: &Headers(request.headers()),
        body: &body,
        content_type,
        correlation_id: &correlation_id,
        received_at: chrono::Utc::now(),
    };
    match state.ingestor.ingest(source, ingest_request).await {
        Ok(Outcome::Accepted { ids, types }) => {
            for event_type in types {
                state
                    .metrics
                    .events
                    .with_label_values(&[source.id.as_str(), event_type.as_str()])
                    .inc();
            }
            tracing::info!(source = %source.id, events = ?ids, "accepted");
            Ok((IngestOutcome::Accepted, accepted(&ids, None)))
        }
        Ok(Outcome::Duplicate(ids)) => {
            tracing::info!(source = %source.id, events = ?ids, "duplicate, not enqueued again");
            let mut response = accepted(&ids, None);
            response.headers_mut().insert(
                header::HeaderName::from_static("idempotent-replayed"),
                header::HeaderValue::from_static("true"),
            );
            Ok((IngestOutcome::Duplicate, response))
        }
        Ok(Outcome::Quarantined { entry_id, reason }) => Ok((
            IngestOutcome::Quarantined,
            accepted(&[], Some((&entry_id, &reason))),
        )),
        Err(IngestError::Unauthorized(error)) => {
            tracing::warn!(source = %source.id, %error, "unauthenticated request refused");
            Err(ApiError::Unauthorized(error))
        }
        Err(IngestError::Unavailable(error)) => {
            tracing::error!(source = %source.id, %error, "Redis unavailable, answering 503");
            Err(ApiError::Unavailable {
                retry_after_secs: state.retry_after_secs,
            })
        }
    }
}

fn accepted(ids: &[String], quarantined: Option<(&str, &str)>) -> HttpResponse {
    HttpResponse::Ok().json(Accepted {
        accepted: ids.len(),
        events: ids,
        quarantined: quarantined.map(|(id, _)| id),
        reason: quarantined.map(|(_, reason)| reason),
    })
}

/// Reads the whole body, refusing it as soon as it is known to exceed `limit`: from
/// `Content-Length` before reading anything, or while streaming a chunked body.
async fn read_limited(
    request: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::BytesMut, ApiError> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let mut body = web::BytesMut::with_capacity(declared.map_or(8 * 1024, |n| n as usize));
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("could not read the body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
