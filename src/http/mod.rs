//! Thin actix-web adapters: routing, request parsing and response mapping only. Decisions live in
//! `ingest`, `auth`, `providers` and `subscriptions`; Redis in `queue`.
//!
//! Routes are registered through utoipa-actix-web, which documents each one as it is registered:
//! `/openapi.json` is generated from exactly what is served.

mod api_key;
mod body;
pub mod correlation;
mod deliveries;
mod events;
mod idempotent;
mod ingest;
pub mod openapi;
mod ops;
mod pagination;
mod subscriptions;

use actix_web::{HttpRequest, HttpResponse, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::config::Role;
use crate::error::{ApiError, FieldError};
use crate::metrics::Metrics;
use crate::queue::{Queue, QueueError};
use crate::secret::Secret;

/// What every handler can reach.
pub struct AppState {
    pub queue: Queue,
    pub metrics: Metrics,
    pub max_body_bytes: usize,
    /// How long a handler waits for a whole request body (`server.body_timeout_secs`).
    pub body_timeout: std::time::Duration,
    pub retry_after_secs: u64,
    pub api_keys: Vec<Secret>,
    pub api_max_body_bytes: usize,
    pub idempotency_ttl_secs: u64,
    pub secret_rotation_grace: chrono::Duration,
    pub source_ids: Vec<String>,
    pub allow_private_targets: bool,
    pub openapi_json: String,
    pub routes: openapi::RouteTable,
}

impl AppState {
    /// A subscriber-API request body, within `api.max_body_bytes` and `server.body_timeout_secs`.
    pub async fn api_body(
        &self,
        request: &HttpRequest,
        payload: web::Payload,
    ) -> Result<web::Bytes, ApiError> {
        body::read_limited(request, payload, self.api_max_body_bytes, self.body_timeout).await
    }

    /// The 503 for a Redis failure; the failure itself is logged, never shown to the caller.
    pub fn unavailable(&self, error: QueueError) -> ApiError {
        tracing::error!(%error, "Redis unavailable, answering 503");
        ApiError::Unavailable {
            retry_after_secs: self.retry_after_secs,
        }
    }
}

/// Every documented route this role serves; `/metrics` only when it is not on its own port.
pub fn services(config: &mut ServiceConfig, role: Role, metrics_on_main: bool) {
    config
        .service(ops::healthz)
        .service(ops::readyz)
        .service(ops::openapi);
    if metrics_on_main {
        config.service(ops::metrics);
    }
    if !role.serves_api() {
        return;
    }
    config
        .service(ingest::receive)
        .service(subscriptions::create)
        .service(subscriptions::list)
        .service(subscriptions::get_one)
        .service(subscriptions::update)
        .service(subscriptions::remove)
        .service(subscriptions::rotate_secret)
        .service(subscriptions::send_test)
        .service(events::list)
        .service(events::get_one)
        .service(deliveries::attempts)
        .service(deliveries::dead_letters)
        .service(deliveries::redrive)
        .service(deliveries::replay_event)
        .service(deliveries::replay_subscription);
}

/// Extractor settings that make query and path errors problem+json like every other error.
pub fn extractor_config(config: &mut web::ServiceConfig) {
    config
        .app_data(web::QueryConfig::default().error_handler(|error, _| {
            ApiError::InvalidRequest(vec![FieldError::new("(query)", error.to_string())]).into()
        }))
        .app_data(web::PathConfig::default().error_handler(|error, _| {
            ApiError::InvalidRequest(vec![FieldError::new("(path)", error.to_string())]).into()
        }));
}

/// Anything no route matched: 405 with `Allow` when the path exists with other methods, else 404.
pub async fn fallback(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    match state.routes.methods(request.path()) {
        Some(methods) => Err(ApiError::MethodNotAllowed(methods.join(", "))),
        None => Err(ApiError::NotFound(format!(
            "no route for {} {}",
            request.method(),
            request.path()
        ))),
    }
}
