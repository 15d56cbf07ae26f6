//! Tracing setup: human-readable or JSON lines on stdout, filtered by `RUST_LOG` or `[log] level`,
//! and, when `[telemetry] otlp_endpoint` is set, shiprelay's spans exported as OpenTelemetry traces
//! (`export`), following each event from its ingest to every delivery attempt (`trace_context`).
//!
//! Two rules keep the log honest: colour codes only for a person at a terminal (a file or collector
//! gets plain text), and a client's malformed request is not a server error. actix-http logs every
//! connection that ends in a parse error or a timeout as `ERROR stream error: ...` although it has
//! already answered it 400/408/431; an operator who sees ERROR must be able to act on it, so those
//! lines are dropped ([`ClientStreamErrors`]).

mod export;
pub mod trace_context;

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, fmt};

pub use export::Traces;

use crate::config::{LogFormat, LogSettings, TelemetrySettings};

/// Whether spans are exported: decides whether the trace spans are made at all.
static TRACING_ON: AtomicBool = AtomicBool::new(false);

/// Whether this process exports traces.
pub fn tracing_on() -> bool {
    TRACING_ON.load(Ordering::Relaxed)
}

/// `make()` when traces are exported, else a disabled span: with traces off the trace spans cost
/// nothing.
pub fn traced(make: impl FnOnce() -> tracing::Span) -> tracing::Span {
    if tracing_on() {
        make()
    } else {
        tracing::Span::none()
    }
}

/// Installs the global subscriber (logs, and the span exporter when `telemetry` names a
/// collector). A second call (tests) changes nothing. Call it outside an async runtime: the
/// exporter's HTTP client blocks on a thread of its own. Keep the returned [`Traces`] until the
/// process ends; dropping it sends the spans still buffered.
pub fn init(settings: &LogSettings, telemetry: &TelemetrySettings) -> anyhow::Result<Traces> {
    let level = || {
        EnvFilter::try_from_default_env()
            .or_else(|_| EnvFilter::try_new(&settings.level))
            .unwrap_or_else(|_| EnvFilter::new("info"))
    };
    let ansi = std::io::stdout().is_terminal();
    let is_json = settings.format == LogFormat::Json;
    macro_rules! json {
        () => {
            is_json.then(|| fmt::layer().json().flatten_event(true).with_ansi(false))
        };
    }
    macro_rules! pretty {
        () => {
            (!is_json).then(|| fmt::layer().with_ansi(ansi))
        };
    }
    let traces = Traces::start(telemetry)?;
    // One global filter in front of everything: a callsite it disables (the trace and debug
    // lines of actix, hyper, redis, ...) is never even asked about again, so it costs nothing.
    // Per-layer filters alone would ask on every hit (a fifth more CPU per ingest request in
    // the benchmark).
    let installed = match traces.layer() {
        None => tracing_subscriber::registry()
            .with(level())
            .with(ClientStreamErrors)
            .with(json!())
            .with(pretty!())
            .try_init(),
        Some(spans) => {
            // The exporter needs shiprelay's spans at info whatever the log level: the global
            // filter lets them through too, and the logs keep their own level.
            let mut global = level();
            if !settings.level.contains("shiprelay") {
                global = global.add_directive("shiprelay=info".parse()?);
            }
            tracing_subscriber::registry()
                .with(global)
                .with(ClientStreamErrors)
                .with(json!().with_filter(level()))
                .with(pretty!().with_filter(level()))
                .with(spans.with_filter(filter_fn(|m| {
                    m.is_span() && m.target().starts_with("shiprelay")
                })))
                .try_init()
        }
    }
    .is_ok();
    if installed && traces.is_on() {
        TRACING_ON.store(true, Ordering::Relaxed);
    }
    Ok(traces)
}

const DISPATCHER: &str = "actix_http::h1::dispatcher";

/// Drops actix-http's `stream error: ...` events: a connection that a client broke (bad head,
/// slow request), already answered by actix-http.
pub struct ClientStreamErrors;

impl<S: Subscriber> Layer<S> for ClientStreamErrors {
    fn event_enabled(&self, event: &Event<'_>, _: Context<'_, S>) -> bool {
        if event.metadata().target() != DISPATCHER {
            return true;
        }
        let mut message = MessagePrefix::default();
        event.record(&mut message);
        !message.is_stream_error
    }
}

#[derive(Default)]
struct MessagePrefix {
    is_stream_error: bool,
}

impl Visit for MessagePrefix {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.is_stream_error = format!("{value:?}").starts_with("stream error:");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Collects the messages of the events that pass.
    #[derive(Clone, Default)]
    struct Seen(Arc<Mutex<Vec<String>>>);

    impl<S: Subscriber> Layer<S> for Seen {
        fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
            struct Message(String);
            impl Visit for Message {
                fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
                    if field.name() == "message" {
                        self.0 = format!("{value:?}");
                    }
                }
            }
            let mut message = Message(String::new());
            event.record(&mut message);
            self.0.lock().unwrap().push(message.0);
        }
    }

    #[test]
    fn client_stream_errors_are_dropped_and_everything_else_passes() {
        let seen = Seen::default();
        let subscriber = tracing_subscriber::registry()
            .with(ClientStreamErrors)
            .with(seen.clone());
        tracing::subscriber::with_default(subscriber, || {
            tracing::error!(target: "actix_http::h1::dispatcher", "stream error: request parse error: invalid Header provided");
            tracing::error!(target: "actix_http::h1::dispatcher", "Response payload stream error: broken");
            tracing::error!(target: "shiprelay::delivery", "stream error: ours");
        });
        assert_eq!(
            *seen.0.lock().unwrap(),
            vec![
                "Response payload stream error: broken",
                "stream error: ours"
            ]
        );
    }
}
