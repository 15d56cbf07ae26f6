//! `X-Correlation-ID` on every response, and one tracing span per request carrying it.
//!
//! A caller's id is kept when it is reasonable (1-128 visible ASCII characters); anything else is
//! replaced by a new UUID v4, so a hostile header cannot inject into logs.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest};
use tracing::Instrument;

pub const HEADER: &str = "x-correlation-id";

/// The request's correlation id, stored in its extensions by [`middleware`].
#[derive(Debug, Clone)]
pub struct CorrelationId(pub String);

pub fn of(request: &HttpRequest) -> String {
    request
        .extensions()
        .get::<CorrelationId>()
        .map(|c| c.0.clone())
        .unwrap_or_default()
}

fn accept(value: &str) -> bool {
    (1..=128).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_graphic())
}

pub async fn middleware(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| accept(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    request.extensions_mut().insert(CorrelationId(id.clone()));
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.path(),
        correlation_id = %id,
    );
    let started = std::time::Instant::now();
    // Handlers' and extractors' errors arrive here as responses; only a failing middleware
    // further in would give `Err`, and there is none.
    let mut response = next
        .call(request)
        .instrument(span.clone())
        .await?
        .map_into_boxed_body();
    let status = response.status().as_u16();
    span.in_scope(|| {
        tracing::info!(
            status,
            elapsed_ms = started.elapsed().as_micros() as f64 / 1000.0,
            "request done"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(HEADER), value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::accept;

    #[test]
    fn keeps_reasonable_ids_only() {
        assert!(accept("3f1c2c9e-8d6b-4f0e-9d55-0a1b2c3d4e5f"));
        assert!(accept("req:42/a.b_c"));
        assert!(!accept(""));
        assert!(!accept("has space"));
        assert!(!accept(&"x".repeat(129)));
        assert!(!accept("line\nbreak"));
    }
}
