//! `GET /v1/events` and `GET /v1/events/{id}`: the normalised events as stored, newest first.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::api_key::Caller;
use super::pagination::{CursorInfo, Paged, cursor, page_size};
use crate::event::{Event, EventType};
use crate::http::error::{ApiError, FieldError};
use crate::queue::EventQuery;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct EventsParams {
    /// Exact event type, e.g. `tracking.delivered`.
    #[serde(rename = "type")]
    #[param(rename = "type", value_type = Option<EventType>)]
    pub event_type: Option<String>,
    /// A configured source id.
    pub source: Option<String>,
    /// Exact subject, e.g. `usps:9400111899223456789012`.
    pub subject: Option<String>,
    /// Received at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Received at or before this time (RFC 3339).
    pub until: Option<DateTime<Utc>>,
    /// `nextCursor` of the previous page.
    #[param(pattern = "^[0-9]{1,20}-[0-9]{1,20}$")]
    pub cursor: Option<String>,
    /// Events per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u64>,
    /// Admin keys: the events this tenant would see.
    pub tenant: Option<String>,
}

type EventsPage = Paged<Event, CursorInfo>;

/// Events, newest first, filtered; cursor-paginated. A tenant key sees events of its tenant's
/// allowed sources (and its own subscriptions' test pings) only. A page examines at most 10,000 stored
/// events: a rare filter may answer fewer than `pageSize` with a `nextCursor` to continue.
#[utoipa::path(
    tag = "events",
    operation_id = "listEvents",
    params(EventsParams),
    responses(
        (status = 200, description = "A page of events", body = inline(EventsPage)),
    )
)]
#[get("/v1/events")]
pub async fn list(
    state: web::Data<AppState>,
    Caller(call): Caller,
    params: web::Query<EventsParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let tenant = params.tenant.clone();
    let query = to_query(&state, params)?;
    let page = state
        .recovery()
        .events(&call, tenant.as_deref(), query.clone())
        .await
        .map_err(|e| state.service_error(e, "event"))?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "data": page.events,
        "pagination": CursorInfo { page_size: query.page_size as u64, next_cursor: page.next_cursor },
    })))
}

fn to_query(state: &AppState, params: EventsParams) -> Result<EventQuery, ApiError> {
    let mut errors = Vec::new();
    if let Some(t) = &params.event_type
        && EventType::parse(t).is_none()
    {
        errors.push(FieldError::new(
            "type",
            format!("`{t}` is not an event type"),
        ));
    }
    if let Some(s) = &params.source
        && !state.source_ids.iter().any(|id| id == s)
    {
        errors.push(FieldError::new(
            "source",
            format!("`{s}` is not a configured source"),
        ));
    }
    let cursor = cursor(params.cursor.as_deref(), &mut errors);
    let to_ms =
        |t: Option<DateTime<Utc>>| t.map(|t| u64::try_from(t.timestamp_millis()).unwrap_or(0));
    let (since_ms, until_ms) = (to_ms(params.since), to_ms(params.until));
    if let (Some(since), Some(until)) = (since_ms, until_ms)
        && since > until
    {
        errors.push(FieldError::new("since", "must not be after `until`"));
    }
    let size = page_size(params.page_size, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::InvalidRequest(errors));
    }
    Ok(EventQuery {
        event_type: params.event_type,
        source: params.source,
        subject: params.subject,
        since_ms,
        until_ms,
        cursor,
        page_size: size as usize,
        visible: None,
    })
}

/// One event by its id, while it is retained (`redis.events_retention_secs`).
#[utoipa::path(
    tag = "events",
    operation_id = "getEvent",
    params(("id" = String, Path, description = "Event id, `evt_...`")),
    responses(
        (status = 200, description = "The event", body = Event),
    )
)]
#[get("/v1/events/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    Caller(call): Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let event = state
        .recovery()
        .event(&call, &id)
        .await
        .map_err(|e| state.service_error(e, "event"))?;
    Ok(HttpResponse::Ok().json(event))
}
