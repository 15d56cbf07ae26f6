//! Delivery routes in the subscriber-API style: a subscription's delivery log, dead letters
//! (list, redrive, delete) and replays of one event or of a time range. Handlers extract, call
//! [`Recovery`](crate::recovery::Recovery) or the subscriptions service, and map; the services
//! enforce the caller's scope.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::AppState;
use super::api_key::Caller;
use super::body::parse_json;
use super::idempotent::{self, Created, IdempotencyKey};
use super::pagination::{CursorInfo, cursor_page, cursor_response};
use crate::http::error::{ApiError, Problem};
use crate::queue::LoggedAttempt;
use crate::recovery::{
    DeadLetter, EventReplayed, RangeReplayed, RedriveRequest, RedriveResult, ReplayEvent,
    ReplayRange,
};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct LogParams {
    /// `nextCursor` of the previous page.
    #[param(pattern = "^[0-9]{1,20}-[0-9]{1,20}$")]
    pub cursor: Option<String>,
    /// Entries per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u64>,
    /// Dead letters only: those of one subscription.
    pub subscription_id: Option<String>,
    /// Dead letters, admin keys only: those of this tenant's subscriptions.
    pub tenant: Option<String>,
}

fn not_found(
    state: &AppState,
    kind: &str,
) -> impl Fn(crate::services::error::ServiceError) -> ApiError {
    move |e| state.service_error(e, kind)
}

fn accepted<T: Serialize>(status: StatusCode, body: &T) -> Created {
    Created {
        status,
        location: None,
        body: serde_json::to_value(body).unwrap_or_default(),
    }
}

/// A subscription's delivery log, newest first: every attempt with its outcome.
#[utoipa::path(
    tag = "deliveries",
    operation_id = "listDeliveries",
    params(("id" = String, Path), LogParams),
    responses(
        (status = 200, description = "A page of attempts", body = inline(super::pagination::Paged<LoggedAttempt, CursorInfo>)),
    )
)]
#[get("/v1/subscriptions/{id}/deliveries")]
pub async fn attempts(
    state: web::Data<AppState>,
    Caller(call): Caller,
    id: web::Path<String>,
    params: web::Query<LogParams>,
) -> Result<HttpResponse, ApiError> {
    let (size, before) = cursor_page(params.page_size, params.cursor.as_deref())?;
    let (data, next_cursor) = state
        .subscriptions()
        .attempts(&call, &id, before.map(|p| p.id), size)
        .await
        .map_err(not_found(&state, "subscription"))?;
    Ok(cursor_response(data, size, next_cursor))
}

/// Dead letters, newest first; optionally those of one subscription. A tenant key sees its own
/// subscriptions' only.
#[utoipa::path(
    tag = "deliveries",
    operation_id = "listDeadLetters",
    params(LogParams),
    responses(
        (status = 200, description = "A page of dead letters", body = inline(super::pagination::Paged<DeadLetter, CursorInfo>)),
    )
)]
#[get("/v1/dead-letters")]
pub async fn dead_letters(
    state: web::Data<AppState>,
    Caller(call): Caller,
    params: web::Query<LogParams>,
) -> Result<HttpResponse, ApiError> {
    let (size, before) = cursor_page(params.page_size, params.cursor.as_deref())?;
    let (data, next_cursor) = state
        .recovery()
        .dead_letters(
            &call,
            params.tenant.as_deref(),
            params.subscription_id.as_deref(),
            before,
            size,
        )
        .await
        .map_err(not_found(&state, "dead letter"))?;
    Ok(cursor_response(data, size, next_cursor))
}

/// Move dead letters back to delivery (attempts start over). At most 10,000 are examined per
/// call: while `more`, call again with `cursor`.
#[utoipa::path(
    tag = "deliveries",
    operation_id = "redriveDeadLetters",
    params(IdempotencyKey),
    request_body = RedriveRequest,
    responses(
        (status = 200, description = "Redriven", body = RedriveResult),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/dead-letters/redrive")]
pub async fn redrive(
    state: web::Data<AppState>,
    request: HttpRequest,
    Caller(call): Caller,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = state.api_body(&request, payload).await?;
    idempotent::run(&state, &request, &call, &body, || async {
        let wanted: RedriveRequest = parse_json(&request, &body)?;
        let result = state
            .recovery()
            .redrive(&call, wanted)
            .await
            .map_err(not_found(&state, "subscription"))?;
        tracing::info!(redriven = result.redriven, "dead letters redriven");
        Ok(accepted(StatusCode::OK, &result))
    })
    .await
}

/// Delete a dead letter.
#[utoipa::path(
    tag = "deliveries",
    operation_id = "deleteDeadLetter",
    params(("id" = String, Path, description = "Dead-letter id, as listed")),
    responses(
        (status = 204, description = "Deleted"),
    )
)]
#[delete("/v1/dead-letters/{id}")]
pub async fn delete_dead_letter(
    state: web::Data<AppState>,
    Caller(call): Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .recovery()
        .delete_dead_letter(&call, &id)
        .await
        .map_err(not_found(&state, "dead letter"))?;
    Ok(HttpResponse::NoContent().finish())
}

/// Deliver a stored event again.
#[utoipa::path(
    tag = "deliveries",
    operation_id = "replayEvent",
    params(("id" = String, Path, description = "Event id"), IdempotencyKey),
    request_body(content = ReplayEvent, description = "Optional: `{}` replays to every matching subscription"),
    responses(
        (status = 202, description = "Queued", body = EventReplayed),
    )
)]
#[post("/v1/events/{id}/replay")]
pub async fn replay_event(
    state: web::Data<AppState>,
    request: HttpRequest,
    Caller(call): Caller,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = state.api_body(&request, payload).await?;
    idempotent::run(&state, &request, &call, &body, || async {
        let wanted: ReplayEvent = if body.is_empty() {
            ReplayEvent::default()
        } else {
            parse_json(&request, &body)?
        };
        let replayed = state
            .recovery()
            .replay_event(&call, &id, wanted)
            .await
            .map_err(not_found(&state, "event or subscription"))?;
        Ok(accepted(StatusCode::ACCEPTED, &replayed))
    })
    .await
}

/// Deliver again every stored event in a time range that matches this subscription's filters
/// (recovery after an outage). Bounded per call: while `complete` is false, call again with
/// `cursor`.
#[utoipa::path(
    tag = "deliveries",
    operation_id = "replaySubscription",
    params(("id" = String, Path), IdempotencyKey),
    request_body = ReplayRange,
    responses(
        (status = 202, description = "Queued", body = RangeReplayed),
    )
)]
#[post("/v1/subscriptions/{id}/replay")]
pub async fn replay_subscription(
    state: web::Data<AppState>,
    request: HttpRequest,
    Caller(call): Caller,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = state.api_body(&request, payload).await?;
    idempotent::run(&state, &request, &call, &body, || async {
        let range: ReplayRange = parse_json(&request, &body)?;
        let replayed = state
            .recovery()
            .replay_range(&call, &id, range)
            .await
            .map_err(not_found(&state, "subscription"))?;
        Ok(accepted(StatusCode::ACCEPTED, &replayed))
    })
    .await
}
