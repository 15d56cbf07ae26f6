//! Traces end to end: a real OTLP/HTTP receiver (protobuf decoded with the OpenTelemetry proto
//! definitions, `opentelemetry-proto`), a relay exporting to it, a subscriber that fails once.
//!
//! A test binary of its own: the span exporter is part of the process-wide `tracing` subscriber,
//! installed once, before the runtime starts (as `shiprelay serve` does).

#![allow(dead_code)]

#[path = "api/backend.rs"]
mod backend;
#[path = "api/cluster_harness.rs"]
mod cluster_harness;
#[path = "api/helpers.rs"]
mod helpers;
#[path = "api/sink.rs"]
mod sink;
#[path = "api/store.rs"]
mod store;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use prost::Message;
use serde_json::{Value, json};

use helpers::*;
use sink::{Answer, Sink};

const PROVIDER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PROVIDER_SPAN: &str = "00f067aa0ba902b7";

/// One span as the receiver decoded it.
#[derive(Debug, Clone)]
struct ReceivedSpan {
    name: String,
    trace_id: String,
    span_id: String,
    parent_span_id: String,
    attributes: HashMap<String, String>,
    service: String,
}

#[derive(Clone, Default)]
struct Receiver {
    spans: Arc<Mutex<Vec<ReceivedSpan>>>,
}

async fn receive_traces(receiver: web::Data<Receiver>, body: web::Bytes) -> HttpResponse {
    let request = match ExportTraceServiceRequest::decode(body.as_ref()) {
        Ok(request) => request,
        Err(error) => return HttpResponse::BadRequest().body(error.to_string()),
    };
    let mut spans = receiver.spans.lock().unwrap();
    for resource_spans in request.resource_spans {
        let service = resource_spans
            .resource
            .iter()
            .flat_map(|r| &r.attributes)
            .find(|kv| kv.key == "service.name")
            .map(|kv| text(kv.value.as_ref().and_then(|v| v.value.as_ref())))
            .unwrap_or_default();
        for scope in resource_spans.scope_spans {
            for span in scope.spans {
                spans.push(ReceivedSpan {
                    name: span.name,
                    trace_id: hex::encode(&span.trace_id),
                    span_id: hex::encode(&span.span_id),
                    parent_span_id: hex::encode(&span.parent_span_id),
                    attributes: span
                        .attributes
                        .iter()
                        .map(|kv| {
                            let value = kv.value.as_ref().and_then(|v| v.value.as_ref());
                            (kv.key.clone(), text(value))
                        })
                        .collect(),
                    service: service.clone(),
                });
            }
        }
    }
    // An empty ExportTraceServiceResponse.
    HttpResponse::Ok()
        .content_type("application/x-protobuf")
        .body(Vec::<u8>::new())
}

fn text(value: Option<&AnyValue>) -> String {
    match value {
        Some(AnyValue::StringValue(s)) => s.clone(),
        Some(AnyValue::IntValue(i)) => i.to_string(),
        Some(AnyValue::BoolValue(b)) => b.to_string(),
        Some(AnyValue::DoubleValue(d)) => d.to_string(),
        other => format!("{other:?}"),
    }
}

impl Receiver {
    fn spans(&self) -> Vec<ReceivedSpan> {
        self.spans.lock().unwrap().clone()
    }

    /// Waits until `ready` holds for the spans received (or panics after 20 s).
    async fn wait_until(&self, what: &str, ready: impl Fn(&[ReceivedSpan]) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !ready(&self.spans()) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; received {:#?}",
                self.spans()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn flexops_body(id: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": id, "type": "tracking.updated", "createdAt": "2026-03-10T14:30:00Z",
        "data": {"trackingNumber": format!("TN{id}"), "carrier": "ups", "status": "in_transit"}
    }))
    .unwrap()
}

/// The trace id and span id of a `traceparent` value.
fn ids_of(traceparent: &str) -> (String, String) {
    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(parts.len(), 4, "{traceparent}");
    (parts[1].to_string(), parts[2].to_string())
}

#[test]
fn one_event_is_one_trace_from_the_providers_context_to_every_attempt() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let collector = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let telemetry = shiprelay::config::TelemetrySettings {
        otlp_endpoint: collector,
        service_name: "shiprelay-under-test".into(),
        sample_ratio: 1.0,
        export_delay_ms: 100,
    };
    // No log lines: the apps' tasks outlive the runtime at the end and would log its going away.
    let logs = shiprelay::config::LogSettings {
        level: "off".into(),
        ..Default::default()
    };
    let _traces = shiprelay::telemetry::init(&logs, &telemetry).unwrap();
    assert!(shiprelay::telemetry::tracing_on());
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(traced_end_to_end(listener));
}

async fn traced_end_to_end(listener: std::net::TcpListener) {
    let receiver = Receiver::default();
    let data = web::Data::new(receiver.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/v1/traces", web::post().to(receive_traces))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);

    let app = spawn_app().await;
    let sink = Sink::start().await;
    sink.then([Answer::status(503)]);
    let subscription = app.subscribe_to(&sink.url, json!({})).await;

    let body = flexops_body("traced-1");
    let mut headers = flexops_headers(&body);
    headers.push((
        "traceparent",
        format!("00-{PROVIDER_TRACE}-{PROVIDER_SPAN}-01"),
    ));
    let response = app.post_ingest("flexops", &body, &headers).await;
    assert_eq!(response.status(), 200);
    let event_id = response.json::<Value>().await.unwrap()["events"][0]
        .as_str()
        .unwrap()
        .to_string();

    // The subscriber: a failed attempt, then the delivery, each with its attempt's traceparent.
    let received = sink.wait_for(2, Duration::from_secs(20)).await;
    let sent: Vec<(String, String)> = received
        .iter()
        .map(|r| ids_of(&r.headers["traceparent"]))
        .collect();
    assert!(sent.iter().all(|(trace, _)| trace == PROVIDER_TRACE));
    assert_ne!(sent[0].1, sent[1].1, "each attempt has its own span");

    // The stored event carries the trace context (the CloudEvents extension) of the ingest span.
    let stored = app.get_json(&format!("/v1/events/{event_id}")).await;
    let (stored_trace, ingest_span_id) = ids_of(stored["traceparent"].as_str().unwrap());
    assert_eq!(stored_trace, PROVIDER_TRACE);

    receiver
        .wait_until("the ingest span and two attempt spans", |spans| {
            let in_trace = |name: &str| {
                spans
                    .iter()
                    .filter(|s| s.name == name && s.trace_id == PROVIDER_TRACE)
                    .count()
            };
            in_trace("ingest") == 1 && in_trace("delivery.attempt") == 2
        })
        .await;
    let spans: Vec<ReceivedSpan> = receiver
        .spans()
        .into_iter()
        .filter(|s| s.trace_id == PROVIDER_TRACE)
        .collect();
    let ingest = spans.iter().find(|s| s.name == "ingest").unwrap();
    assert_eq!(
        ingest.parent_span_id, PROVIDER_SPAN,
        "a child of the provider's span"
    );
    assert_eq!(ingest.span_id, ingest_span_id);
    assert_eq!(ingest.service, "shiprelay-under-test");
    assert_eq!(ingest.attributes["source"], "flexops");
    assert_eq!(ingest.attributes["outcome"], "accepted");
    assert_eq!(ingest.attributes["event_ids"], event_id);
    assert_eq!(ingest.attributes["trace_id"], PROVIDER_TRACE);
    for name in ["enqueue", "fan_out"] {
        let span = spans.iter().find(|s| s.name == name);
        assert_eq!(
            span.map(|s| s.parent_span_id.as_str()),
            Some(ingest.span_id.as_str()),
            "{name} is a child of ingest"
        );
    }

    let mut attempts: Vec<&ReceivedSpan> = spans
        .iter()
        .filter(|s| s.name == "delivery.attempt")
        .collect();
    attempts.sort_by_key(|s| s.attributes["attempt"].clone());
    let expected = [("1", "503", "retry"), ("2", "200", "delivered")];
    for ((span, (attempt, status, outcome)), (_, sent_span)) in
        attempts.iter().zip(expected).zip(&sent)
    {
        assert_eq!(span.parent_span_id, ingest.span_id, "attempt {attempt}");
        assert_eq!(span.attributes["attempt"], attempt);
        assert_eq!(span.attributes["status"], status);
        assert_eq!(span.attributes["outcome"], outcome);
        assert_eq!(span.attributes["event_id"], event_id);
        assert_eq!(span.attributes["subscription_id"], subscription);
        assert!(span.attributes["latency_ms"].parse::<u64>().is_ok());
        assert_eq!(
            &span.span_id, sent_span,
            "the subscriber got the attempt's own traceparent"
        );
    }

    // Without a provider context, the ingest span starts a new trace, stored on the event.
    let body = flexops_body("traced-2");
    let response = app.ingest_flexops(&body).await;
    let second = response.json::<Value>().await.unwrap()["events"][0]
        .as_str()
        .unwrap()
        .to_string();
    let stored = app.get_json(&format!("/v1/events/{second}")).await;
    let (new_trace, new_span) = ids_of(stored["traceparent"].as_str().unwrap());
    assert_ne!(new_trace, PROVIDER_TRACE);
    assert_ne!(new_trace, "0".repeat(32));
    receiver
        .wait_until("the new trace's ingest span", |spans| {
            spans
                .iter()
                .any(|s| s.name == "ingest" && s.trace_id == new_trace && s.span_id == new_span)
        })
        .await;
    let delivered = sink.wait_for(3, Duration::from_secs(20)).await;
    assert_eq!(ids_of(&delivered[2].headers["traceparent"]).0, new_trace);
}
