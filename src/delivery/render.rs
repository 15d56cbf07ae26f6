//! The render stage: a job and its subscription become the [`Request`] a destination sends. Pure:
//! the time the signature carries comes in, and so does the trace context.
//!
//! The headers, in order: the subscription's own (`headers`, then `sensitiveHeaders`), the wire
//! format's (`wire::render`: content type, `ce-*` in binary mode), the W3C trace context, and the
//! Standard Webhooks `webhook-id`, `webhook-timestamp` and `webhook-signature` (signed with every
//! secret valid at `now`, so a subscriber mid-rotation verifies with either).

use chrono::{DateTime, Utc};

use super::destination::Request;
use crate::queue::Job;
use crate::signing::webhook_headers;
use crate::subscriptions::model::Subscription;
use crate::telemetry::trace_context::TraceContext;
use crate::wire::render as wire_render;

/// The request of `job` to `subscription` at `now`; an event the format cannot carry is the
/// reason, for an attempt that fails without being sent.
pub fn render<'a>(
    subscription: &'a Subscription,
    job: &Job,
    now: DateTime<Utc>,
    trace: Option<TraceContext>,
) -> Result<Request<'a>, String> {
    let wire = wire_render(subscription.format, &job.event)?;
    let secrets = subscription.signing_secrets(now);
    let mut headers: Vec<(String, String)> = subscription
        .headers
        .iter()
        .chain(&subscription.sensitive_headers)
        .map(|(k, v)| (k.clone(), v.clone()))
        .chain(wire.headers)
        .collect();
    if let Some(trace) = trace {
        headers.push(("traceparent".into(), trace.traceparent));
        headers.extend(trace.tracestate.map(|s| ("tracestate".to_string(), s)));
    }
    headers.extend(
        webhook_headers(&job.event_id, now.timestamp(), &wire.body, &secrets)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v)),
    );
    Ok(Request {
        url: &subscription.url,
        content_type: wire.content_type,
        headers,
        body: wire.body,
    })
}
