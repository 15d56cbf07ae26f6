//! What a subscriber asked for, end to end: payload filters in routing and replays, and each wire
//! format read by the CloudEvents Python SDK (tests/python/read_cloudevents.py).

use std::time::Duration;

use base64::Engine;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::sink::Sink;

const WAIT: Duration = Duration::from_secs(20);

/// A FlexOps tracking event with this status and country; `priority` in the payload when given.
async fn ingest_tracking(
    app: &TestApp,
    id: &str,
    status: &str,
    country: &str,
    priority: Option<u32>,
) -> String {
    let mut data = json!({
        "trackingNumber": format!("1Z{id}"), "carrier": "ups", "status": status,
        "location": {"city": "Somewhere", "country": country}
    });
    if let Some(p) = priority {
        data["priority"] = json!(p);
    }
    let body = serde_json::to_vec(&json!({
        "id": id, "type": "tracking.updated", "createdAt": "2026-03-10T14:30:00Z", "data": data
    }))
    .unwrap();
    let response = app.ingest_flexops(&body).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    answer["events"][0].as_str().unwrap().to_string()
}

/// `PATCH /v1/subscriptions/{id}` with `body`.
async fn patch(app: &TestApp, id: &str, body: Value) -> reqwest::Response {
    app.call_json(Method::PATCH, &format!("/v1/subscriptions/{id}"), &body)
        .await
}

fn ids(sink: &Sink) -> Vec<String> {
    let mut ids: Vec<String> = sink
        .received()
        .iter()
        .map(|r| r.webhook_id().to_string())
        .collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

const ISSUE_FILTER: &str = r#"[
  {"path": "/data/status", "in": ["delivered", "exception"]},
  {"path": "/data/location/country", "in": ["DE", "FR"]},
  {"path": "/data/raw/data/priority", "exists": true},
  {"path": "/data/provider/event_type", "eq": "tracking.updated"}
]"#;

#[tokio::test]
async fn a_filter_selects_events_by_their_payload_in_routing_and_range_replays() {
    let app = spawn_app().await;
    let (filtered, everything) = (Sink::start().await, Sink::start().await);
    let filter: Value = serde_json::from_str(ISSUE_FILTER).unwrap();
    let sub = app
        .subscribe_to(&filtered.url, json!({"filter": filter}))
        .await;
    app.subscribe_to(&everything.url, json!({})).await;
    let shown = app.get_json(&format!("/v1/subscriptions/{sub}")).await;
    assert_eq!(shown["filter"], filter, "the filter reads back as written");
    let since = chrono::Utc::now() - chrono::Duration::seconds(1);

    let wanted_de = ingest_tracking(&app, "e1", "delivered", "DE", Some(1)).await;
    let in_transit = ingest_tracking(&app, "e2", "in_transit", "DE", Some(1)).await;
    let wanted_fr = ingest_tracking(&app, "e3", "exception", "FR", Some(2)).await;
    ingest_tracking(&app, "e4", "delivered", "US", Some(1)).await;
    ingest_tracking(&app, "e5", "delivered", "DE", None).await;

    everything.wait_for(5, WAIT).await;
    filtered.wait_for(2, WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        ids(&filtered),
        sorted(vec![wanted_de.clone(), wanted_fr.clone()])
    );

    // A range replay applies the filter.
    let range = app
        .call_json(
            Method::POST,
            &format!("/v1/subscriptions/{sub}/replay"),
            &json!({"since": since.to_rfc3339()}),
        )
        .await;
    assert_eq!(range.status(), 202);
    assert_eq!(range.json::<Value>().await.unwrap()["jobs"], 2);
    filtered.wait_for(4, WAIT).await;

    // A replay of one event to this subscription bypasses it.
    let one = app
        .call_json(
            Method::POST,
            &format!("/v1/events/{in_transit}/replay"),
            &json!({"subscriptionId": sub}),
        )
        .await;
    assert_eq!(one.status(), 202);
    assert_eq!(one.json::<Value>().await.unwrap()["jobs"], 1);
    let received = filtered.wait_for(5, WAIT).await;
    assert_eq!(received[4].webhook_id(), in_transit);

    // Removing the filter (null) lets everything through again.
    let cleared = patch(&app, &sub, json!({"filter": null})).await;
    assert_eq!(cleared.status(), 200);
    assert_eq!(cleared.json::<Value>().await.unwrap()["filter"], json!([]));
    let later = ingest_tracking(&app, "e6", "in_transit", "US", None).await;
    let received = filtered.wait_for(6, WAIT).await;
    assert_eq!(received[5].webhook_id(), later);
}

#[tokio::test]
async fn a_bad_filter_is_422_naming_every_bad_condition() {
    let app = spawn_app().await;
    let bad = json!([
        {"path": "/data/status", "eq": "delivered"},
        {"path": "/data/status"},
        {"path": "data/status", "in": ["x"]},
        {"path": "/data/location/country", "in": []},
        {"path": "/a", "eq": 1, "ne": 2},
        {"path": "/a", "prefix": 3}
    ]);
    let body = json!({"url": "https://hooks.example.com/x", "events": ["*"], "filter": bad});
    let created = app
        .call_json(Method::POST, "/v1/subscriptions", &body)
        .await;
    // A wrong JSON type is caught when the body is read: 400 with its path.
    let problem = assert_problem(created, 400, "bad-request").await;
    assert!(
        problem["errors"][0]["field"]
            .as_str()
            .unwrap()
            .starts_with("filter[5]"),
        "{problem}"
    );

    let mut body = body;
    body["filter"].as_array_mut().unwrap().pop();
    let created = app
        .call_json(Method::POST, "/v1/subscriptions", &body)
        .await;
    let problem = assert_problem(created, 422, "validation-failed").await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["filter[1]", "filter[2].path", "filter[3].in", "filter[4]"]
    );

    let sub = app
        .subscribe_to("https://hooks.example.com/y", json!({}))
        .await;
    let patched = patch(
        &app,
        &sub,
        json!({"filter": [{"path": "/data", "exists": true, "prefix": "x"}]}),
    )
    .await;
    let problem = assert_problem(patched, 422, "validation-failed").await;
    assert_eq!(problem["errors"][0]["field"], "filter[0]");
    let too_many: Vec<Value> = (0..21)
        .map(|_| json!({"path": "/a", "exists": true}))
        .collect();
    let patched = patch(&app, &sub, json!({"filter": too_many})).await;
    let problem = assert_problem(patched, 422, "validation-failed").await;
    assert_eq!(problem["errors"][0]["field"], "filter");
    let unknown_operator = patch(&app, &sub, json!({"filter": [{"path": "/a", "gt": 1}]})).await;
    assert_problem(unknown_operator, 400, "bad-request").await;
    let bad_format = patch(&app, &sub, json!({"format": "xml"})).await;
    assert_problem(bad_format, 400, "bad-request").await;
}

/// The Python interpreter that has the CloudEvents SDK (scripts/test installs it).
fn python_with_sdk() -> String {
    std::env::var("TEST_PYTHON").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/target/test-venv/bin/python").to_string()
    })
}

/// Every delivery, read by the SDK.
fn read_with_sdk(deliveries: &[(&str, &crate::sink::Received)]) -> Vec<Value> {
    let input: Vec<Value> = deliveries
        .iter()
        .map(|(format, r)| {
            json!({
                "format": format,
                "headers": r.headers,
                "body_base64": base64::engine::general_purpose::STANDARD.encode(&r.body),
            })
        })
        .collect();
    let python = python_with_sdk();
    let mut child = std::process::Command::new(&python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/python/read_cloudevents.py"
        ))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{python}: {e}; scripts/test installs the CloudEvents SDK there (or set TEST_PYTHON)")
        });
    serde_json::to_writer(child.stdin.take().unwrap(), &input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "the SDK reader failed");
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test]
async fn every_format_is_read_by_the_cloudevents_sdk_and_signed_as_sent() {
    let app = spawn_app().await;
    let formats = ["json", "cloudevents-structured", "cloudevents-binary"];
    let mut sinks = Vec::new();
    for format in formats {
        let sink = Sink::start().await;
        let sub = app
            .create_subscription(json!({"url": sink.url, "events": ["*"], "format": format}))
            .await;
        assert_eq!(sub["format"], format);
        sinks.push((format, sink, sub["secret"].as_str().unwrap().to_string()));
    }
    let id = ingest_tracking(&app, "f1", "delivered", "DE", Some(3)).await;
    let stored = app.get_json(&format!("/v1/events/{id}")).await;

    let mut received = Vec::new();
    for (format, sink, secret) in &sinks {
        let request = sink.wait_for(1, WAIT).await.remove(0);
        standardwebhooks::Webhook::new(secret)
            .unwrap()
            .verify(&request.body, &request.header_map())
            .unwrap_or_else(|e| panic!("{format}: the signature covers the body as sent: {e:?}"));
        received.push((*format, request));
    }
    let content_types: Vec<&str> = received
        .iter()
        .map(|(_, r)| r.headers["content-type"].as_str())
        .collect();
    assert_eq!(
        content_types,
        [
            "application/json",
            "application/cloudevents+json; charset=utf-8",
            "application/json"
        ]
    );
    let (_, binary) = &received[2];
    assert_eq!(
        binary.json(),
        stored["data"],
        "binary mode: data is the body"
    );
    assert_eq!(binary.headers["ce-id"], id);

    let pairs: Vec<(&str, &crate::sink::Received)> =
        received.iter().map(|(f, r)| (*f, r)).collect();
    let read = read_with_sdk(&pairs);
    for ((format, _), event) in received.iter().zip(&read) {
        assert!(event.get("error").is_none(), "{format}: {event}");
        let attributes = &event["attributes"];
        for name in ["specversion", "id", "source", "type", "subject"] {
            assert_eq!(attributes[name], stored[name], "{format}: {name}");
        }
        let time = chrono::DateTime::parse_from_rfc3339(attributes["time"].as_str().unwrap())
            .unwrap_or_else(|e| panic!("{format}: time {}: {e}", attributes["time"]));
        let stored_time =
            chrono::DateTime::parse_from_rfc3339(stored["time"].as_str().unwrap()).unwrap();
        assert_eq!(time, stored_time, "{format}: time");
        assert_eq!(event["data"], stored["data"], "{format}: data");
    }
}
