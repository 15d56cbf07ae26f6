//! Operational endpoints for orchestrators and Prometheus: liveness, readiness and metrics.

use actix_web::{HttpResponse, get, web};
use serde_json::json;

use super::AppState;
use crate::http::error::ApiError;

/// Liveness: the process is up and serving HTTP. Never touches Redis, so a Redis outage does not
/// get every instance restarted.
#[utoipa::path(tag = "operations", operation_id = "healthz", responses((status = 200, description = "The process serves HTTP", body = serde_json::Value, example = json!({"status": "ok"}))))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Readiness: the registry and at least one partition take writes, so webhooks can be accepted
/// (those of a partition that is down answer 503). Reports each partition's state.
#[utoipa::path(tag = "operations", operation_id = "readyz", responses(
    (status = 200, body = serde_json::Value, example = json!({"status": "ready", "registry": "up", "partitions": {"0": "up", "1": "down"}})),
))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let readiness = state.queue.readiness().await;
    let word = |up: bool| if up { "up" } else { "down" };
    let mut partitions = serde_json::Map::new();
    state.metrics.set_partitions_up(&readiness.partitions);
    for (index, &up) in readiness.partitions.iter().enumerate() {
        partitions.insert(index.to_string(), json!(word(up)));
    }
    if readiness.ready() {
        return HttpResponse::Ok().json(json!({
            "status": "ready",
            "registry": word(readiness.registry),
            "partitions": partitions,
        }));
    }
    let problem = ApiError::Unavailable {
        retry_after_secs: state.retry_after_secs,
    };
    let detail = if readiness.registry {
        "no partition takes writes".to_string()
    } else {
        "the registry does not take writes".to_string()
    };
    HttpResponse::ServiceUnavailable()
        .content_type("application/problem+json")
        .insert_header((
            actix_web::http::header::RETRY_AFTER,
            state.retry_after_secs.to_string(),
        ))
        .json(json!({
            "type": format!("urn:shiprelay:problem:{}", problem.slug()),
            "title": "Service Unavailable",
            "status": 503,
            "detail": detail,
            "registry": word(readiness.registry),
            "partitions": partitions,
        }))
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
