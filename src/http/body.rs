//! Reading request bodies: size-limited, and JSON parsed with the path of any error, so a 400
//! names the field that is wrong.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::http::error::{ApiError, FieldError};

/// Reads the whole body, refusing it as soon as it is known to exceed `limit` (from
/// `Content-Length` before reading anything, or while streaming a chunked body) and when it has
/// not all arrived within `timeout` of the first read (a trickled, slowloris-style body).
pub async fn read_limited(
    request: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
    timeout: Duration,
) -> Result<web::Bytes, ApiError> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let capacity = declared.map_or(8 * 1024, |n| n as usize);
    let read = tokio::time::timeout(timeout, read_to_end(&mut payload, limit, capacity))
        .await
        .unwrap_or(Err(ApiError::RequestTimeout {
            secs: timeout.as_secs(),
        }));
    if read.is_err() {
        hold_until_answered(payload);
    }
    read
}

async fn read_to_end(
    payload: &mut web::Payload,
    limit: usize,
    capacity: usize,
) -> Result<web::Bytes, ApiError> {
    let mut body = web::BytesMut::with_capacity(capacity);
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("could not read the body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Keeps a body that was refused half-read alive until its error response has been written.
///
/// actix-http decides after writing a response whether to close the connection. Seeing a
/// chunked body that the handler dropped, it instead keeps reading and discarding that body to
/// its end, so a client trickling a chunk now and then would hold the connection open forever,
/// 408 or 413 notwithstanding. A body still held is unread, not dropped: the connection is
/// closed once the answer is out.
fn hold_until_answered(payload: web::Payload) {
    // Far longer than writing a problem document plus actix-web's 1 s linger before closing.
    const HOLD: Duration = Duration::from_secs(5);
    actix_web::rt::spawn(async move {
        tokio::time::sleep(HOLD).await;
        drop(payload);
    });
}

/// Parses a JSON body. A declared content type other than JSON is 415; malformed JSON, wrong
/// types and unknown fields are 400 naming the field.
pub fn parse_json<T: DeserializeOwned>(request: &HttpRequest, body: &[u8]) -> Result<T, ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != "application/json" && !essence.ends_with("+json") {
        return Err(ApiError::UnsupportedMediaType);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." || path == "?" {
            "(body)".to_string()
        } else {
            path
        };
        ApiError::InvalidRequest(vec![FieldError::new(field, e.inner().to_string())])
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::InvalidRequest(vec![FieldError::new("(body)", e.to_string())]))?;
    Ok(value)
}
