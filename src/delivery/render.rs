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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::auth::{Scheme, verify};
    use crate::secret::Secret;
    use crate::subscriptions::model::{CreateSubscription, create};

    fn job() -> Job {
        Job {
            event_id: "evt_1".into(),
            subscription_id: "sub_1".into(),
            attempt: 1,
            first_attempt_at: None,
            subject: None,
            event_time: now(),
            received_at: now(),
            event_entry: None,
            lane: None,
            rate_slot_ms: None,
            event: r#"{"specversion":"1.0","id":"evt_1","type":"tracking.updated","source":"s","data":{}}"#
                .into(),
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap()
    }

    #[test]
    fn the_request_carries_the_subscriptions_headers_the_trace_and_a_verifiable_signature() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let request = CreateSubscription {
            url: "https://hooks.example.com/in".into(),
            events: vec!["*".into()],
            headers: Some(BTreeMap::from([("X-Team".to_string(), "ops".to_string())])),
            ..CreateSubscription::default()
        };
        let subscription = create(request, "sub_1".into(), Secret::new(secret), now());
        let trace = TraceContext {
            traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into(),
            tracestate: None,
        };
        let rendered = render(&subscription, &job(), now(), Some(trace)).unwrap();
        assert_eq!(rendered.url, "https://hooks.example.com/in");
        assert_eq!(rendered.content_type, "application/json");
        let header = |name: &str| {
            (rendered.headers.iter())
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("X-Team"), Some("ops"));
        assert!(header("traceparent").is_some_and(|t| t.starts_with("00-0af7")));
        assert_eq!(header("webhook-id"), Some("evt_1"));
        assert_eq!(header("webhook-timestamp"), Some("1700000000"));
        let scheme = Scheme::StandardWebhooks {
            tolerance_secs: 300,
        };
        let headers: Vec<(&str, &str)> = (rendered.headers.iter())
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let verified = verify(
            &scheme,
            &[Secret::new(secret)],
            &headers.as_slice(),
            &rendered.body,
            now().timestamp(),
        );
        assert!(verified.is_ok(), "{verified:?}");
    }
}
