//! Thin actix-web adapters: routing, request parsing and response mapping only. Decisions live in
//! `ingest`, `auth` and `providers`; Redis in `queue`.

pub mod correlation;
mod ingest;
mod ops;

use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::ApiError;
use crate::ingest::Ingestor;
use crate::metrics::Metrics;
use crate::queue::Queue;

/// What every handler can reach.
pub struct AppState {
    pub ingestor: Ingestor,
    pub queue: Queue,
    pub metrics: Metrics,
    pub max_body_bytes: usize,
    pub retry_after_secs: u64,
}

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(
            web::resource("/ingest/{source}")
                .route(web::post().to(ingest::receive))
                .default_service(web::to(|| method_not_allowed("POST"))),
        )
        .service(get("/healthz").route(web::get().to(ops::healthz)))
        .service(get("/readyz").route(web::get().to(ops::readyz)))
        .service(get("/metrics").route(web::get().to(ops::metrics)))
        .default_service(web::to(not_found));
}

fn get(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(|| method_not_allowed("GET")))
}

async fn method_not_allowed(allow: &'static str) -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed(allow))
}

async fn not_found(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "no route for {} {}",
        request.method(),
        request.path()
    )))
}
