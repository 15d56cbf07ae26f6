//! Operational endpoints for orchestrators and Prometheus: liveness, readiness and metrics.

use actix_web::{HttpResponse, get, web};
use serde_json::json;

use super::AppState;
use crate::error::{ApiError, Problem};

/// Liveness: the process is up and serving HTTP. Never touches Redis, so a Redis outage does not
/// get every instance restarted.
#[utoipa::path(tag = "operations", operation_id = "healthz", responses((status = 200, description = "The process serves HTTP", body = serde_json::Value, example = json!({"status": "ok"}))))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Readiness: Redis answers, so webhooks can be accepted.
#[utoipa::path(tag = "operations", operation_id = "readyz", responses(
    (status = 200, body = serde_json::Value, example = json!({"status": "ready"})),
    (status = 503, body = Problem, content_type = "application/problem+json"),
))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    match state.queue.ping().await {
        Ok(()) => Ok(HttpResponse::Ok().json(json!({"status": "ready"}))),
        Err(error) => Err(state.unavailable(error)),
    }
}

/// Prometheus metrics, text exposition format.
#[utoipa::path(tag = "operations", operation_id = "metrics", responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain")))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render())
}

/// This OpenAPI document.
#[utoipa::path(tag = "operations", operation_id = "openapi", responses((status = 200, description = "This document", body = serde_json::Value)))]
#[get("/openapi.json")]
pub async fn openapi(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(state.openapi_json.clone())
}
