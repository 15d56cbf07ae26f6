//! `/v1/subscriptions`: create, list, read, update, delete, rotate the signing secret, send a
//! test event. Every POST honours `Idempotency-Key`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::Utc;

use super::AppState;
use super::api_key::Caller;
use super::body::parse_json;
use super::idempotent::{self, Created, IdempotencyKey};
use super::pagination::{PageInfo, PageParams, Paged};
use crate::event::Event;
use crate::http::error::{ApiError, Problem};
use crate::services::error::ServiceError;
use crate::services::subscriptions::Random;
use crate::subscriptions::model::{
    CreateSubscription, SubscriptionView, SubscriptionWithSecret, UpdateSubscription,
};

const KIND: &str = "subscription";

fn api_error(state: &AppState, error: ServiceError) -> ApiError {
    state.service_error(error, KIND)
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// 1-based page number (default 1, at most 1000000).
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u64>,
    /// Admin keys: only this tenant's subscriptions. A tenant key always lists its own.
    pub tenant: Option<String>,
}

fn to_json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}

/// Create a subscription. The response carries its signing secret: the only time, with
/// rotate-secret, that it is shown.
#[utoipa::path(
    tag = "subscriptions",
    operation_id = "createSubscription",
    request_body = CreateSubscription,
    params(IdempotencyKey),
    responses(
        (status = 201, body = SubscriptionWithSecret, headers(("Location" = String))),
    )
)]
#[post("/v1/subscriptions")]
pub async fn create(
    state: web::Data<AppState>,
    request: HttpRequest,
    Caller(call): Caller,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = state.api_body(&request, payload).await?;
    idempotent::run(&state, &request, &call, &body, || async {
        let create: CreateSubscription = parse_json(&request, &body)?;
        let now = Utc::now();
        let subscription = state
            .subscriptions()
            .create(&call, create, now, Random::system())
            .await
            .map_err(|e| api_error(&state, e))?;
        tracing::info!(subscription_id = %subscription.id, tenant = %subscription.tenant, "subscription created");
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
    operation_id = "listSubscriptions",
    params(ListParams),
    responses(
        (status = 200, body = inline(Paged<SubscriptionView, PageInfo>)),
    )
)]
#[get("/v1/subscriptions")]
pub async fn list(
    state: web::Data<AppState>,
    Caller(call): Caller,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let (page, size) = PageParams {
        page: params.page,
        page_size: params.page_size,
    }
    .resolve()?;
    let (items, total) = state
        .subscriptions()
        .list(&call, params.tenant.as_deref(), page, size)
        .await
        .map_err(|e| api_error(&state, e))?;
    let now = Utc::now();
    let views = with_backlogs(&state, &items, now).await?;
    Ok(HttpResponse::Ok().json(Paged {
        data: views,
        pagination: PageInfo::new(page, size, total),
    }))
}

/// One subscription (without its secret).
#[utoipa::path(
    tag = "subscriptions",
    operation_id = "getSubscription",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = SubscriptionView),
    )
)]
#[get("/v1/subscriptions/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    Caller(call): Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let subscription = state
        .subscriptions()
        .get(&call, &id)
        .await
        .map_err(|e| api_error(&state, e))?;
    let view = with_backlogs(&state, std::slice::from_ref(&subscription), Utc::now()).await?;
    Ok(HttpResponse::Ok().json(&view[0]))
}

/// The views of these subscriptions with what waits for each.
async fn with_backlogs(
    state: &AppState,
    subscriptions: &[crate::subscriptions::model::Subscription],
    now: chrono::DateTime<Utc>,
) -> Result<Vec<SubscriptionView>, ApiError> {
    let backlogs = state
        .subscriptions()
        .backlogs(subscriptions, now)
        .await
        .map_err(|e| api_error(state, e))?;
    Ok(subscriptions
        .iter()
        .zip(backlogs)
        .map(|(s, backlog)| SubscriptionView {
            backlog: Some(backlog),
            ..s.view(now)
        })
        .collect())
}

/// Change some fields; absent fields stay as they are.
#[utoipa::path(
    tag = "subscriptions",
    operation_id = "updateSubscription",
    params(("id" = String, Path)),
    request_body = UpdateSubscription,
    responses(
        (status = 200, body = SubscriptionView),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/v1/subscriptions/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    request: HttpRequest,
    Caller(call): Caller,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = state.api_body(&request, payload).await?;
    let update: UpdateSubscription = parse_json(&request, &body)?;
    let now = Utc::now();
    let subscription = state
        .subscriptions()
        .update(&call, &id, update, now)
        .await
        .map_err(|e| api_error(&state, e))?;
    Ok(HttpResponse::Ok().json(subscription.view(now)))
}

/// Delete a subscription.
#[utoipa::path(
    tag = "subscriptions",
    operation_id = "deleteSubscription",
    params(("id" = String, Path)),
    responses(
        (status = 204, description = "Deleted"),
    )
)]
#[delete("/v1/subscriptions/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    Caller(call): Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .subscriptions()
        .delete(&call, &id)
        .await
        .map_err(|e| api_error(&state, e))?;
    tracing::info!(subscription_id = %id, "subscription deleted");
    Ok(HttpResponse::NoContent().finish())
}

/// Replace the signing secret. The previous one keeps verifying for the grace period
/// (`api.secret_rotation_grace_secs`, 24 h by default): deliveries carry both signatures.
#[utoipa::path(
    tag = "subscriptions",
    operation_id = "rotateSubscriptionSecret",
    params(("id" = String, Path), IdempotencyKey),
    responses(
        (status = 200, body = SubscriptionWithSecret),
    )
)]
#[post("/v1/subscriptions/{id}/rotate-secret")]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    request: HttpRequest,
    Caller(call): Caller,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = state.api_body(&request, payload).await?;
    idempotent::run(&state, &request, &call, &body, || async {
        let now = Utc::now();
        let subscription = state
            .subscriptions()
            .rotate_secret(
                &call,
                &id,
                state.secret_rotation_grace,
                now,
                Random::system(),
            )
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
    operation_id = "testSubscription",
    params(("id" = String, Path), IdempotencyKey),
    responses(
        (status = 202, description = "Queued for delivery", body = Event),
    )
)]
#[post("/v1/subscriptions/{id}/test")]
pub async fn send_test(
    state: web::Data<AppState>,
    request: HttpRequest,
    Caller(call): Caller,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = state.api_body(&request, payload).await?;
    idempotent::run(&state, &request, &call, &body, || async {
        let event = state
            .subscriptions()
            .send_test(&call, &id, Utc::now(), Random::system())
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
