//! Thin actix-web adapters: routing, request parsing and response mapping only. Decisions live in
//! `ingest`, `auth`, `providers` and `subscriptions`; Redis in `queue`.
//!
//! Routes are registered through utoipa-actix-web, which documents each one as it is registered:
//! `/openapi.json` is generated from exactly what is served.

mod api_key;
mod body;
pub mod console;
pub mod correlation;
mod deliveries;
pub mod error;
mod events;
mod idempotent;
mod ingest;
pub mod openapi;
mod ops;
mod pagination;
mod stats;
mod subscriptions;
mod tenants;

use actix_web::{HttpRequest, HttpResponse, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::config::Role;
use crate::http::error::{ApiError, FieldError};
use crate::metrics::Metrics;
use crate::queue::{Queue, QueueError, Registry};
use crate::services::audit::AuditLog;
use crate::services::directory::KeyDirectory;
use crate::services::error::ServiceError;
use crate::services::subscriptions::Subscriptions;
use crate::services::tenants::Tenants;

/// What every handler can reach.
pub struct AppState {
    pub queue: Queue,
    pub metrics: Metrics,
    pub max_body_bytes: usize,
    /// How long a handler waits for a whole request body (`server.body_timeout_secs`).
    pub body_timeout: std::time::Duration,
    pub retry_after_secs: u64,
    /// Admin keys from config and tenant keys from Redis.
    pub keys: KeyDirectory,
    pub requests_per_second_per_key: u64,
    /// The registry side of `queue`: tenants, keys, subscriptions, audit, idempotency.
    pub registry: Registry,
    pub audit: AuditLog,
    /// Subscriptions and tenants as the recovery routes read them (reloaded on a version change).
    pub subscription_cache: crate::routing::snapshot::SubscriptionCache,
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

    pub fn subscriptions(&self) -> Subscriptions<'_> {
        Subscriptions {
            queue: &self.queue,
            registry: &self.registry,
            audit: &self.audit,
            known_sources: &self.source_ids,
            allow_private_targets: self.allow_private_targets,
        }
    }

    pub fn recovery(&self) -> crate::recovery::Recovery<'_> {
        crate::recovery::Recovery {
            queue: &self.queue,
            registry: &self.registry,
            audit: &self.audit,
            cache: &self.subscription_cache,
        }
    }

    pub fn tenants(&self) -> Tenants<'_> {
        Tenants {
            queue: &self.queue,
            registry: &self.registry,
            audit: &self.audit,
            known_sources: &self.source_ids,
        }
    }

    /// A service's error as the API answers it. `kind` names what was not found ("subscription"),
    /// never which id: another tenant's id and an unknown one get the same body.
    pub fn service_error(&self, error: ServiceError, kind: &str) -> ApiError {
        match error {
            ServiceError::NotFound => ApiError::NotFound(format!("no such {kind}")),
            ServiceError::Forbidden(reason) => ApiError::Forbidden(reason),
            ServiceError::Invalid(errors) => ApiError::ValidationFailed(errors),
            ServiceError::Conflict(message) => ApiError::Conflict(message),
            ServiceError::Contended => ApiError::Conflict(error.to_string()),
            ServiceError::Unavailable(error) => self.unavailable(error),
        }
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
        .service(deliveries::delete_dead_letter)
        .service(deliveries::replay_event)
        .service(deliveries::replay_subscription)
        .service(tenants::create)
        .service(tenants::list)
        .service(tenants::get_one)
        .service(tenants::update)
        .service(tenants::remove)
        .service(tenants::create_key)
        .service(tenants::list_keys)
        .service(tenants::revoke_key)
        .service(tenants::me)
        .service(tenants::audit)
        .service(stats::read);
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
