//! `/v1/subscriptions`: create, list, read, update, delete, rotate the signing secret, send a
//! test event. Every POST honours `Idempotency-Key`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::Utc;

use super::AppState;
use super::api_key::ApiCaller;
use super::body::parse_json;
use super::idempotent::{self, Created, IdempotencyKey};
use super::pagination::{PageInfo, PageParams, Paged};
use crate::error::{ApiError, Problem};
use crate::event::Event;
use crate::subscriptions::model::{
    CreateSubscription, SubscriptionView, SubscriptionWithSecret, UpdateSubscription,
};
use crate::subscriptions::service::{Random, ServiceError, Subscriptions};

fn service(state: &AppState) -> Subscriptions<'_> {
    Subscriptions {
        queue: &state.queue,
        known_sources: &state.source_ids,
        allow_private_targets: state.allow_private_targets,
    }
}

fn api_error(state: &AppState, error: ServiceError) -> ApiError {
    match error {
        ServiceError::NotFound(id) => ApiError::NotFound(format!("no subscription with id `{id}`")),
        ServiceError::Invalid(errors) => ApiError::ValidationFailed(errors),
        ServiceError::Contended => ApiError::Conflict(error.to_string()),
        ServiceError::Unavailable(error) => state.unavailable(error),
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}

/// Create a subscription. The response carries its signing secret: the only time, with
/// rotate-secret, that it is shown.
#[utoipa::path(
    tag = "subscriptions",
    request_body = CreateSubscription,
    params(IdempotencyKey),
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 201, body = SubscriptionWithSecret, headers(("Location" = String))),
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
#[post("/v1/subscriptions")]
pub async fn create(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: ApiCaller,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = state.api_body(&request, payload).await?;
    idempotent::run(&state, &request, &caller, &body, || async {
        let create: CreateSubscription = parse_json(&request, &body)?;
        let now = Utc::now();
        let subscription = service(&state)
            .create(create, now, Random::system())
            .await
            .map_err(|e| api_error(&state, e))?;
        tracing::info!(subscription_id = %subscription.id, url = %subscription.url, "subscription created");
        Ok(Created {
            status: StatusCode::CREATED,
            location: Some(format!("/v1/subscriptions/{}", subscription.id)),
            body: to_json(&subscription.with_secret(now)),
        })
    })
    .await
}

/// List subscriptions in creation order.
#[utoipa::path(
    tag = "subscriptions",
    params(PageParams),
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 200, body = inline(Paged<SubscriptionView, PageInfo>)),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/subscriptions")]
pub async fn list(
    state: web::Data<AppState>,
    _caller: ApiCaller,
    params: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let (page, size) = params.resolve()?;
    let (items, total) = service(&state)
        .list(page, size)
        .await
        .map_err(|e| api_error(&state, e))?;
    let now = Utc::now();
    Ok(HttpResponse::Ok().json(Paged {
        data: items.iter().map(|s| s.view(now)).collect(),
        pagination: PageInfo::new(page, size, total),
    }))
}

/// One subscription (without its secret).
#[utoipa::path(
    tag = "subscriptions",
    params(("id" = String, Path)),
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 200, body = SubscriptionView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/subscriptions/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    _caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let subscription = service(&state)
        .get(&id)
        .await
        .map_err(|e| api_error(&state, e))?;
    Ok(HttpResponse::Ok().json(subscription.view(Utc::now())))
}

/// Change some fields; absent fields stay as they are.
#[utoipa::path(
    tag = "subscriptions",
    params(("id" = String, Path)),
    request_body = UpdateSubscription,
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 200, body = SubscriptionView),
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
#[patch("/v1/subscriptions/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    request: HttpRequest,
    _caller: ApiCaller,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = state.api_body(&request, payload).await?;
    let update: UpdateSubscription = parse_json(&request, &body)?;
    let now = Utc::now();
    let subscription = service(&state)
        .update(&id, update, now)
        .await
        .map_err(|e| api_error(&state, e))?;
    Ok(HttpResponse::Ok().json(subscription.view(now)))
}

/// Delete a subscription.
#[utoipa::path(
    tag = "subscriptions",
    params(("id" = String, Path)),
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/subscriptions/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    _caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    service(&state)
        .delete(&id)
        .await
        .map_err(|e| api_error(&state, e))?;
    tracing::info!(subscription_id = %id, "subscription deleted");
    Ok(HttpResponse::NoContent().finish())
}

/// Replace the signing secret. The previous one keeps verifying for the grace period
/// (`api.secret_rotation_grace_secs`, 24 h by default): deliveries carry both signatures.
#[utoipa::path(
    tag = "subscriptions",
    params(("id" = String, Path), IdempotencyKey),
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 200, body = SubscriptionWithSecret),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive within `server.body_timeout_secs`", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/subscriptions/{id}/rotate-secret")]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: ApiCaller,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = state.api_body(&request, payload).await?;
    idempotent::run(&state, &request, &caller, &body, || async {
        let now = Utc::now();
        let subscription = service(&state)
            .rotate_secret(&id, state.secret_rotation_grace, now, Random::system())
            .await
            .map_err(|e| api_error(&state, e))?;
        tracing::info!(subscription_id = %subscription.id, "signing secret rotated");
        Ok(Created {
            status: StatusCode::OK,
            location: None,
            body: to_json(&subscription.with_secret(now)),
        })
    })
    .await
}

/// Send a `ping` event to this subscription alone.
#[utoipa::path(
    tag = "subscriptions",
    params(("id" = String, Path), IdempotencyKey),
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 202, description = "Queued for delivery", body = Event),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive within `server.body_timeout_secs`", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/subscriptions/{id}/test")]
pub async fn send_test(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: ApiCaller,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = state.api_body(&request, payload).await?;
    idempotent::run(&state, &request, &caller, &body, || async {
        let event = service(&state)
            .send_test(&id, Utc::now(), Random::system())
            .await
            .map_err(|e| api_error(&state, e))?;
        Ok(Created {
            status: StatusCode::ACCEPTED,
            location: Some(format!("/v1/events/{}", event.id)),
            body: to_json(&event),
        })
    })
    .await
}
