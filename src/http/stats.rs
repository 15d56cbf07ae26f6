//! `GET /v1/stats`: the console's figures over time, scoped like every route.

use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::api_key::Caller;
use crate::http::error::{ApiError, FieldError};
use crate::services::stats::Window;
use crate::services::stats::{Stats, StatsView};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// How far back, a point per minute: `5m`, `15m` (default), `1h`, `6h` or `24h`.
    #[param(pattern = "^(5m|15m|1h|6h|24h)$")]
    pub window: Option<String>,
}

/// Ingest requests by outcome, delivery attempts by result and delivery lag per minute over the
/// window, and the queues now. An admin key sees the whole relay and every partition; a tenant
/// key its allowed sources' requests, its subscriptions' deliveries and what waits for them. Kept
/// per minute in Redis for 25 hours; up to about 2 s behind.
#[utoipa::path(
    tag = "stats",
    operation_id = "getStats",
    params(StatsParams),
    responses(
        (status = 200, description = "The figures", body = StatsView),
    )
)]
#[get("/v1/stats")]
pub async fn read(
    state: web::Data<AppState>,
    Caller(call): Caller,
    params: web::Query<StatsParams>,
) -> Result<HttpResponse, ApiError> {
    let name = params.window.as_deref().unwrap_or("15m");
    let window = Window::parse(name).ok_or_else(|| {
        ApiError::InvalidRequest(vec![FieldError::new(
            "window",
            format!("must be one of {}", Window::NAMES.join(", ")),
        )])
    })?;
    let stats = Stats {
        queue: &state.queue,
        registry: &state.registry,
        cache: &state.subscription_cache,
        subscriptions: state.subscriptions(),
    };
    let view = stats
        .read(&call, window, chrono::Utc::now())
        .await
        .map_err(|e| state.service_error(e, "figure"))?;
    Ok(HttpResponse::Ok().json(view))
}
