//! `POST /ingest/{source}`: the provider-facing endpoint. Thin: it reads a size-limited body,
//! hands it to [`crate::ingest::Ingestor`] and maps the outcome to HTTP, counting each.
//!
//! Success is 200 (Flexport counts only 200 as delivered), including for a quarantined payload,
//! which the provider must not retry because it will never parse.

use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Serialize;
use tracing::Instrument;
use tracing::field::Empty;
use utoipa::ToSchema;

use super::AppState;
use crate::auth::HeaderSource;
use crate::http::error::{ApiError, Problem};
use crate::ingest::{IngestError, Ingestor, Outcome, Request};
use crate::metrics::{IngestOutcome, UNKNOWN_SOURCE};
use crate::telemetry::trace_context::{TraceContext, continue_in};
use crate::telemetry::traced;

struct Headers<'a>(&'a HeaderMap);

impl HeaderSource for Headers<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The answer to a provider.
#[derive(Serialize, ToSchema)]
struct Accepted<'a> {
    /// Events stored by this request (0 for a quarantined payload).
    accepted: usize,
    /// Their ids; for a repeat, the ids the first request got.
    events: &'a [String],
    /// The quarantine stream entry id, when the payload could not be normalised.
    #[serde(skip_serializing_if = "Option::is_none")]
    quarantined: Option<&'a str>,
    /// Why it could not be normalised.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

/// Receive a provider webhook. Authenticated per the source's scheme; answered 200 only once the
/// events are stored in Redis.
#[utoipa::path(
    tag = "ingest",
    operation_id = "ingest",
    params(("source" = String, Path, description = "A configured source id")),
    request_body(content = serde_json::Value, description = "The provider's payload, verbatim", content_type = "application/json"),
    responses(
        (status = 200, description = "Stored, a repeat (with `Idempotent-Replayed: true`), or quarantined", body = inline(Accepted)),
        (status = 503, description = "Redis unavailable; retry after `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/ingest/{source}")]
pub async fn receive(
    state: web::Data<AppState>,
    ingestor: web::Data<Ingestor>,
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let source_id = path.into_inner();
    let Some(source) = ingestor.source(&source_id) else {
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
    let span = traced(
        || tracing::info_span!("ingest", source = %source.id, outcome = Empty, event_ids = Empty, trace_id = Empty),
    );
    let provider = TraceContext::from_headers(
        Headers(request.headers()).header("traceparent"),
        Headers(request.headers()).header("tracestate"),
    );
    let trace = continue_in(&span, provider.as_ref());
    let result = handle(&state, &ingestor, &request, source, payload, trace)
        .instrument(span.clone())
        .await;
    timer.observe_duration();
    let outcome = match &result {
        Ok((outcome, _)) => *outcome,
        Err(ApiError::PayloadTooLarge { .. }) => IngestOutcome::TooLarge,
        Err(ApiError::RequestTimeout { .. }) => IngestOutcome::Timeout,
        Err(ApiError::Unauthorized(_)) => IngestOutcome::Unauthorized,
        Err(ApiError::Unavailable { .. }) => IngestOutcome::Unavailable,
        Err(_) => IngestOutcome::BadRequest,
    };
    state.metrics.count_ingest(&source.id, outcome);
    span.record("outcome", outcome.label());
    result.map(|(_, response)| response)
}

async fn handle(
    state: &AppState,
    ingestor: &Ingestor,
    request: &HttpRequest,
    source: &crate::config::Source,
    payload: web::Payload,
    trace: Option<TraceContext>,
) -> Result<(IngestOutcome, HttpResponse), ApiError> {
    let body =
        super::body::read_limited(request, payload, state.max_body_bytes, state.body_timeout)
            .await?;
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
        trace,
    };
    match ingestor.ingest(source, ingest_request).await {
        Ok(Outcome::Accepted { ids, types }) => {
            for event_type in types {
                state
                    .metrics
                    .events
                    .with_label_values(&[source.id.as_str(), event_type.as_str()])
                    .inc();
            }
            tracing::Span::current().record("event_ids", ids.join(",").as_str());
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
        Err(IngestError::Unavailable(error)) => Err(state.unavailable(error)),
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
