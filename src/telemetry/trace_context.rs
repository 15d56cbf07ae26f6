//! The W3C trace context that follows an event: taken from the provider's `traceparent` header
//! (else the ingest span starts a trace), stored on the event as the CloudEvents
//! distributed-tracing extension (`traceparent`, `tracestate`), made the parent of every delivery
//! attempt's span, and sent to the subscriber as the attempt's own `traceparent`.
//!
//! With traces off nothing here makes spans: a provider's valid context is still stored on the
//! event as it came, so a subscriber can continue the provider's trace.

use std::collections::HashMap;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use serde::Deserialize;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// A valid W3C trace context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    pub traceparent: String,
    pub tracestate: Option<String>,
}

impl TraceContext {
    /// The context these header values carry, when `traceparent` is valid (W3C Trace Context:
    /// version, a non-zero trace id and parent id, flags).
    pub fn from_headers(traceparent: Option<&str>, tracestate: Option<&str>) -> Option<Self> {
        let traceparent = traceparent?.trim();
        if !has_w3c_shape(traceparent) {
            return None;
        }
        let mut carrier = HashMap::new();
        carrier.insert("traceparent".to_string(), traceparent.to_string());
        if let Some(state) = tracestate.filter(|s| !s.trim().is_empty()) {
            carrier.insert("tracestate".to_string(), state.trim().to_string());
        }
        let context = TraceContextPropagator::new().extract(&carrier);
        Self::of_context(&context)
    }

    /// The context of the stored event `event_json` (its distributed-tracing extension).
    pub fn of_event(event_json: &str) -> Option<Self> {
        #[derive(Deserialize)]
        struct Extension {
            traceparent: Option<String>,
            tracestate: Option<String>,
        }
        let extension: Extension = serde_json::from_str(event_json).ok()?;
        Self::from_headers(
            extension.traceparent.as_deref(),
            extension.tracestate.as_deref(),
        )
    }

    /// The span's own context, when it is a recorded OpenTelemetry span.
    pub fn of_span(span: &Span) -> Option<Self> {
        Self::of_context(&span.context())
    }

    fn of_context(context: &opentelemetry::Context) -> Option<Self> {
        if !context.span().span_context().is_valid() {
            return None;
        }
        let mut carrier: HashMap<String, String> = HashMap::new();
        TraceContextPropagator::new().inject_context(context, &mut carrier);
        Some(TraceContext {
            traceparent: carrier.remove("traceparent")?,
            tracestate: carrier.remove("tracestate").filter(|s| !s.is_empty()),
        })
    }

    /// The 32 hex digits of the trace id.
    pub fn trace_id(&self) -> &str {
        self.traceparent.get(3..35).unwrap_or("")
    }

    fn as_parent(&self) -> opentelemetry::Context {
        let mut carrier = HashMap::new();
        carrier.insert("traceparent".to_string(), self.traceparent.clone());
        if let Some(state) = &self.tracestate {
            carrier.insert("tracestate".to_string(), state.clone());
        }
        TraceContextPropagator::new().extract(&carrier)
    }
}

/// `version-traceid-parentid-flags` with exactly 2, 32, 16 and 2 lower-case hex digits (the
/// propagator alone also takes shorter ids, padded), version `ff` refused, and nothing after the
/// flags in version `00`.
fn has_w3c_shape(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let hex = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    parts.len() >= 4
        && hex(parts[0], 2)
        && parts[0] != "ff"
        && (parts[0] != "00" || parts.len() == 4)
        && hex(parts[1], 32)
        && hex(parts[2], 16)
        && hex(parts[3], 2)
}

/// Makes `span` a child of `parent` (when traces are on and there is one) and records the trace
/// id on it (`trace_id`, so the logs inside carry it). Returns the context the next hop
/// continues: the span's own while traces are on, else `parent` as it came.
pub fn continue_in(span: &Span, parent: Option<&TraceContext>) -> Option<TraceContext> {
    if !super::tracing_on() || span.is_disabled() {
        return parent.cloned();
    }
    if let Some(parent) = parent {
        let _ = span.set_parent(parent.as_parent());
    }
    let own = TraceContext::of_span(span);
    if let Some(own) = &own {
        span.record("trace_id", own.trace_id());
    }
    own.or_else(|| parent.cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    #[test]
    fn a_valid_traceparent_is_kept_with_its_state() {
        let context = TraceContext::from_headers(Some(VALID), Some("vendor=abc")).unwrap();
        assert_eq!(context.traceparent, VALID);
        assert_eq!(context.tracestate.as_deref(), Some("vendor=abc"));
        assert_eq!(context.trace_id(), "0af7651916cd43dd8448eb211c80319c");
    }

    #[test]
    fn invalid_traceparents_are_ignored() {
        for bad in [
            "",
            "garbage",
            "00-00000000000000000000000000000000-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
            "00-0af7651916cd43dd8448eb211c8031-b7ad6b7169203331-01",
            "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
        ] {
            assert_eq!(TraceContext::from_headers(Some(bad), None), None, "{bad}");
        }
        assert_eq!(TraceContext::from_headers(None, Some("a=b")), None);
    }

    #[test]
    fn the_stored_extension_is_read_back_from_the_event() {
        let event = format!(r#"{{"id":"evt_1","traceparent":"{VALID}","data":{{"x":1}}}}"#);
        let context = TraceContext::of_event(&event).unwrap();
        assert_eq!(context.traceparent, VALID);
        assert_eq!(TraceContext::of_event(r#"{"id":"evt_1"}"#), None);
        assert_eq!(TraceContext::of_event("not json"), None);
    }

    #[test]
    fn with_traces_off_the_parent_passes_through_unchanged() {
        let parent = TraceContext::from_headers(Some(VALID), None);
        assert_eq!(continue_in(&Span::none(), parent.as_ref()), parent);
        assert_eq!(continue_in(&Span::none(), None), None);
    }
}
