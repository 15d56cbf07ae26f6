//! Delivery routes in the subscriber-API style: a subscription's delivery log, dead letters and
//! their redrive, and replay of one event or of a time range (recovery after an outage).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::api_key::ApiCaller;
use super::body::parse_json;
use super::idempotent::{self, Created, IdempotencyKey};
use super::pagination::{CursorInfo, cursor, page_size};
use crate::delivery::cache::Subscriptions as Snapshot;
use crate::delivery::job::Job;
use crate::delivery::route::plan;
use crate::error::{ApiError, FieldError, Problem};
use crate::queue::{Entry, StreamId};

/// Dead letters examined per redrive call at most.
const REDRIVE_SCAN_LIMIT: usize = 10_000;
/// Events examined per range replay at most.
const REPLAY_SCAN_LIMIT: usize = 100_000;
const SCAN_BATCH: usize = 500;

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
}

/// One delivery attempt, as logged.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptLog {
    pub id: String,
    pub at: String,
    pub event_id: String,
    pub attempt: u32,
    /// The HTTP status the subscriber answered, if it answered.
    pub status: Option<u16>,
    /// `HTTP 503`, `timeout`, `connection failed: ...`
    pub outcome: String,
    /// delivered | retry | dead | disabled
    pub result: String,
    pub next_attempt_at: Option<String>,
    pub latency_ms: u64,
    /// The first bytes of the response body.
    pub response: String,
}

/// A job that will not be attempted again unless redriven.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    pub id: String,
    pub failed_at: Option<DateTime<Utc>>,
    pub reason: String,
    pub event_id: String,
    pub subscription_id: String,
    /// Attempts made.
    pub attempts: u32,
    pub event: serde_json::Value,
}

fn ensure_subscription<'a>(
    snapshot: &'a Snapshot,
    id: &str,
) -> Result<&'a crate::subscriptions::model::Subscription, ApiError> {
    snapshot
        .get(id)
        .ok_or_else(|| ApiError::NotFound(format!("no subscription with id `{id}`")))
}

async fn snapshot(state: &AppState) -> Result<std::sync::Arc<Snapshot>, ApiError> {
    crate::delivery::cache::SubscriptionCache::new(state.queue.clone())
        .current()
        .await
        .map_err(|e| state.unavailable(e))
}

/// A subscription's delivery log, newest first: every attempt with its outcome.
#[utoipa::path(
    tag = "deliveries",
    params(("id" = String, Path), LogParams),
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 200, body = inline(super::pagination::Paged<AttemptLog, CursorInfo>)),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/subscriptions/{id}/deliveries")]
pub async fn attempts(
    state: web::Data<AppState>,
    _caller: ApiCaller,
    id: web::Path<String>,
    params: web::Query<LogParams>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = Vec::new();
    let size = page_size(params.page_size, &mut errors) as usize;
    let before = cursor(params.cursor.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::InvalidRequest(errors));
    }
    if state
        .queue
        .subscription(&id)
        .await
        .map_err(|e| state.unavailable(e))?
        .is_none()
    {
        return Err(ApiError::NotFound(format!(
            "no subscription with id `{id}`"
        )));
    }
    let entries = state
        .queue
        .stream_page(&state.queue.keys().attempts(&id), before, size)
        .await
        .map_err(|e| state.unavailable(e))?;
    let next_cursor = (entries.len() == size)
        .then(|| entries.last().map(|e| e.id.clone()))
        .flatten();
    let data: Vec<AttemptLog> = entries.into_iter().map(attempt_log).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "data": data,
        "pagination": CursorInfo { page_size: size as u64, next_cursor },
    })))
}

fn attempt_log(entry: Entry) -> AttemptLog {
    let mut f = entry.fields;
    let mut take = |k: &str| f.remove(k).unwrap_or_default();
    AttemptLog {
        at: crate::time::normalise(take("at")),
        event_id: take("event_id"),
        attempt: take("attempt").parse().unwrap_or(0),
        status: take("status").parse().ok(),
        outcome: take("outcome"),
        result: take("result"),
        next_attempt_at: Some(take("next_attempt_at"))
            .filter(|s| !s.is_empty())
            .map(crate::time::normalise),
        latency_ms: take("latency_ms").parse().unwrap_or(0),
        response: take("response"),
        id: entry.id,
    }
}

/// Dead letters, newest first; optionally those of one subscription.
#[utoipa::path(
    tag = "deliveries",
    params(LogParams),
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 200, body = inline(super::pagination::Paged<DeadLetter, CursorInfo>)),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/dead-letters")]
pub async fn dead_letters(
    state: web::Data<AppState>,
    _caller: ApiCaller,
    params: web::Query<LogParams>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = Vec::new();
    let size = page_size(params.page_size, &mut errors) as usize;
    let mut before = cursor(params.cursor.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::InvalidRequest(errors));
    }
    let dead = state.queue.keys().dead();
    let mut data = Vec::new();
    let mut next_cursor = None;
    let mut scanned = 0;
    'scan: loop {
        let entries = state
            .queue
            .stream_page(&dead, before, SCAN_BATCH)
            .await
            .map_err(|e| state.unavailable(e))?;
        let exhausted = entries.len() < SCAN_BATCH;
        for entry in entries {
            scanned += 1;
            before = StreamId::parse(&entry.id);
            let id = entry.id.clone();
            if let Some(letter) = dead_letter(entry)
                && params
                    .subscription_id
                    .as_ref()
                    .is_none_or(|s| *s == letter.subscription_id)
            {
                data.push(letter);
                if data.len() == size {
                    next_cursor = Some(id);
                    break 'scan;
                }
            }
        }
        if exhausted {
            break;
        }
        if scanned >= REDRIVE_SCAN_LIMIT {
            next_cursor = before.map(|id| id.to_string());
            break;
        }
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "data": data,
        "pagination": CursorInfo { page_size: size as u64, next_cursor },
    })))
}

fn dead_job(fields: &HashMap<String, String>) -> Option<Job> {
    serde_json::from_str(fields.get("job")?).ok()
}

fn dead_letter(entry: Entry) -> Option<DeadLetter> {
    let job = dead_job(&entry.fields)?;
    Some(DeadLetter {
        failed_at: entry
            .fields
            .get("failed_at")
            .and_then(|ms| ms.parse().ok())
            .and_then(DateTime::from_timestamp_millis),
        reason: entry.fields.get("reason").cloned().unwrap_or_default(),
        event_id: job.event_id.clone(),
        subscription_id: job.subscription_id.clone(),
        attempts: job.attempt,
        event: serde_json::from_str(&job.event).unwrap_or_default(),
        id: entry.id,
    })
}

/// Which dead letters to redrive: exactly one of the three.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RedriveRequest {
    /// Dead-letter ids (as listed).
    pub ids: Option<Vec<String>>,
    /// Every dead letter of this subscription.
    pub subscription_id: Option<String>,
    /// Every dead letter.
    pub all: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RedriveResult {
    /// Jobs moved back to delivery, starting over at attempt 1.
    pub redriven: usize,
    /// True when more matching dead letters remain (the scan limit was reached): call again.
    pub more: bool,
}

/// Move dead letters back to delivery (attempts start over).
#[utoipa::path(
    tag = "deliveries",
    params(IdempotencyKey),
    request_body = RedriveRequest,
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 200, body = RedriveResult),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive within `server.body_timeout_secs`", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/dead-letters/redrive")]
pub async fn redrive(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: ApiCaller,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = state.api_body(&request, payload).await?;
    idempotent::run(&state, &request, &caller, &body, || async {
        let wanted: RedriveRequest = parse_json(&request, &body)?;
        let chosen = [
            wanted.ids.is_some(),
            wanted.subscription_id.is_some(),
            wanted.all == Some(true),
        ];
        if chosen.iter().filter(|c| **c).count() != 1 {
            return Err(ApiError::ValidationFailed(vec![FieldError::new(
                "(body)",
                "give exactly one of `ids`, `subscriptionId` or `all: true`",
            )]));
        }
        let (pairs, more) = select_dead(&state, &wanted).await?;
        let redriven = state
            .queue
            .redrive(&pairs)
            .await
            .map_err(|e| state.unavailable(e))?;
        tracing::info!(redriven, "dead letters redriven");
        Ok(Created {
            status: StatusCode::OK,
            location: None,
            body: serde_json::to_value(RedriveResult { redriven, more }).unwrap_or_default(),
        })
    })
    .await
}

async fn select_dead(
    state: &AppState,
    wanted: &RedriveRequest,
) -> Result<(Vec<(String, Job)>, bool), ApiError> {
    let dead = state.queue.keys().dead();
    let unavailable = |e| state.unavailable(e);
    if let Some(ids) = &wanted.ids {
        let mut pairs = Vec::new();
        for id in ids.iter().take(1000) {
            let entries = state.queue.stream_range(&dead, id, id, 1).await;
            // An id Redis cannot parse is simply not a dead letter.
            let Ok(entries) = entries else { continue };
            pairs.extend(
                entries
                    .into_iter()
                    .filter_map(|e| dead_job(&e.fields).map(|j| (e.id, j.fresh()))),
            );
        }
        return Ok((pairs, ids.len() > 1000));
    }
    let mut pairs = Vec::new();
    let mut start = "-".to_string();
    let mut scanned = 0;
    loop {
        let entries = state
            .queue
            .stream_range(&dead, &start, "+", SCAN_BATCH)
            .await
            .map_err(unavailable)?;
        let exhausted = entries.len() < SCAN_BATCH;
        for entry in entries {
            scanned += 1;
            start = format!("({}", entry.id);
            if let Some(job) = dead_job(&entry.fields)
                && wanted
                    .subscription_id
                    .as_ref()
                    .is_none_or(|s| *s == job.subscription_id)
            {
                pairs.push((entry.id, job.fresh()));
            }
        }
        if exhausted {
            return Ok((pairs, false));
        }
        if scanned >= REDRIVE_SCAN_LIMIT {
            return Ok((pairs, true));
        }
    }
}

/// Replay one event: to one subscription (whatever its filters), or to every matching one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplayEvent {
    pub subscription_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventReplayed {
    /// Delivery jobs queued.
    pub jobs: usize,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RangeReplayed {
    /// Delivery jobs queued.
    pub jobs: usize,
    /// Events examined.
    pub scanned: usize,
    /// False when the scan limit (100,000 events) stopped a range replay early: replay from the
    /// last event's time again.
    pub complete: bool,
}

/// Deliver a stored event again.
#[utoipa::path(
    tag = "deliveries",
    params(("id" = String, Path, description = "Event id"), IdempotencyKey),
    request_body(content = ReplayEvent, description = "Optional: `{}` replays to every matching subscription"),
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 202, body = EventReplayed),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive within `server.body_timeout_secs`", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/events/{id}/replay")]
pub async fn replay_event(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: ApiCaller,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = state.api_body(&request, payload).await?;
    idempotent::run(&state, &request, &caller, &body, || async {
        let wanted: ReplayEvent = if body.is_empty() {
            ReplayEvent::default()
        } else {
            parse_json(&request, &body)?
        };
        let event = state
            .queue
            .event_by_id(&id)
            .await
            .map_err(|e| state.unavailable(e))?
            .ok_or_else(|| ApiError::NotFound(format!("no event with id `{id}`")))?;
        let json = event.to_string();
        let subscriptions = snapshot(&state).await?;
        let target = match &wanted.subscription_id {
            Some(s) => Some(ensure_subscription(&subscriptions, s)?.id.as_str()),
            None => None,
        };
        let jobs = plan(&json, target, &subscriptions).map_err(ApiError::BadRequest)?;
        state
            .queue
            .enqueue_jobs(&jobs)
            .await
            .map_err(|e| state.unavailable(e))?;
        Ok(Created {
            status: StatusCode::ACCEPTED,
            location: None,
            body: serde_json::to_value(EventReplayed { jobs: jobs.len() }).unwrap_or_default(),
        })
    })
    .await
}

/// The time range of a subscription replay (received times, RFC 3339).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplayRange {
    pub since: DateTime<Utc>,
    /// Default: now.
    pub until: Option<DateTime<Utc>>,
}

/// Deliver again every stored event in a time range that matches this subscription's filters
/// (recovery after an outage).
#[utoipa::path(
    tag = "deliveries",
    params(("id" = String, Path), IdempotencyKey),
    request_body = ReplayRange,
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 202, body = RangeReplayed),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive within `server.body_timeout_secs`", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/subscriptions/{id}/replay")]
pub async fn replay_subscription(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: ApiCaller,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = state.api_body(&request, payload).await?;
    idempotent::run(&state, &request, &caller, &body, || async {
        let range: ReplayRange = parse_json(&request, &body)?;
        let until = range.until.unwrap_or_else(Utc::now);
        if range.since > until {
            return Err(ApiError::ValidationFailed(vec![FieldError::new(
                "since",
                "must not be after `until`",
            )]));
        }
        let subscriptions = snapshot(&state).await?;
        let subscription = ensure_subscription(&subscriptions, &id)?;
        let only_this = Snapshot::of(vec![subscription.clone()]);
        let events = state.queue.keys().events();
        let mut start = format!("{}-0", range.since.timestamp_millis().max(0));
        let end = format!("{}-{}", until.timestamp_millis().max(0), u64::MAX);
        let (mut scanned, mut jobs) = (0, 0);
        let complete = loop {
            let entries = state
                .queue
                .stream_range(&events, &start, &end, SCAN_BATCH)
                .await
                .map_err(|e| state.unavailable(e))?;
            let exhausted = entries.len() < SCAN_BATCH;
            let mut batch = Vec::new();
            for entry in entries {
                scanned += 1;
                start = format!("({}", entry.id);
                // Test pings are for their own target only.
                if entry.fields.contains_key("target") {
                    continue;
                }
                if let Some(json) = entry.fields.get("event") {
                    batch.extend(plan(json, None, &only_this).unwrap_or_default());
                }
            }
            jobs += batch.len();
            state
                .queue
                .enqueue_jobs(&batch)
                .await
                .map_err(|e| state.unavailable(e))?;
            if exhausted {
                break true;
            }
            if scanned >= REPLAY_SCAN_LIMIT {
                break false;
            }
        };
        tracing::info!(subscription_id = %id, jobs, scanned, "range replayed");
        Ok(Created {
            status: StatusCode::ACCEPTED,
            location: None,
            body: serde_json::to_value(RangeReplayed {
                jobs,
                scanned,
                complete,
            })
            .unwrap_or_default(),
        })
    })
    .await
}
