//! Pacing end to end: rate limits hold across processes (a subscription's and a tenant's), and a
//! subscription that never answers or waits on its rate limit never delays a healthy one.
//!
//! A test binary of its own, so that no other suite's tests share the machine while the healthy
//! subscription's latencies are measured (test binaries run one after another), and its tests run
//! one at a time, each on a runtime of several threads (as processes of their own would have).

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
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};

use helpers::*;
use sink::{Answer, Sink};

/// One test at a time.
static ALONE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn event(id: &str, carrier: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": id, "type": "tracking.updated", "createdAt": "2026-03-10T14:30:00Z",
        "data": {"trackingNumber": format!("TN{id}"), "carrier": carrier, "status": "in_transit"}
    }))
    .unwrap()
}

async fn ingest(app: &TestApp, id: &str, carrier: &str) -> String {
    let body = event(id, carrier);
    let response = app.ingest_flexops(&body).await;
    assert_eq!(response.status(), 200, "{id}");
    let answer: Value = response.json().await.unwrap();
    answer["events"][0].as_str().unwrap().to_string()
}

/// Ingests `n` events of `carrier`, 16 at a time.
async fn ingest_many(app: &TestApp, prefix: &str, carrier: &str, n: usize) {
    futures_util::stream::iter(0..n)
        .map(|i| async move { ingest(app, &format!("{prefix}-{i}"), carrier).await })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
}

async fn subscribe(app: &TestApp, sink: &Sink, extra: Value) -> String {
    app.subscribe_to(&sink.url, extra).await
}

/// The most arrivals in any window of `window` (each window starting at an arrival).
fn busiest(mut at: Vec<Instant>, window: Duration) -> usize {
    at.sort();
    (0..at.len())
        .map(|i| at[i..].iter().take_while(|t| **t - at[i] < window).count())
        .max()
        .unwrap_or(0)
}

#[test]
fn busiest_counts_the_fullest_window() {
    let t0 = Instant::now();
    let at = |ms: u64| t0 + Duration::from_millis(ms);
    let arrivals = vec![at(0), at(500), at(999), at(1000), at(1001), at(1900)];
    assert_eq!(busiest(arrivals, Duration::from_secs(1)), 4);
    assert_eq!(busiest(Vec::new(), Duration::from_secs(1)), 0);
}

// Several threads: the two applications stand for two processes, each with its own delivery
// thread, not one thread shared with the test's own clients.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_subscription_rate_limit_holds_across_two_processes() {
    let _alone = ALONE.lock().await;
    let app = spawn_app().await;
    let _second = app.spawn_second().await;
    let sink = Sink::start().await;
    subscribe(&app, &sink, json!({"rateLimitPerSecond": 20})).await;
    let started = Instant::now();
    ingest_many(&app, "rate", "ups", 200).await;
    let received = sink.wait_for_distinct(200, Duration::from_secs(30)).await;
    let took = started.elapsed();
    let most = busiest(
        received.iter().map(|r| r.at).collect(),
        Duration::from_secs(1),
    );
    let mut offsets: Vec<u128> = received
        .iter()
        .map(|r| (r.at - started).as_millis())
        .collect();
    offsets.sort();
    assert!(
        most <= 21,
        "{most} arrivals in one second at 20/s: {offsets:?}"
    );
    assert!(
        most >= 15,
        "the limit is used, not undershot by much: {most}"
    );
    // 200 at 20/s: the first twenty within the first second, the rest 50 ms apart.
    assert!(took >= Duration::from_millis(9_000), "took only {took:?}");
}

// Several threads: the two applications stand for two processes, each with its own delivery
// thread, not one thread shared with the test's own clients.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tenant_cap_holds_across_its_subscriptions() {
    let _alone = ALONE.lock().await;
    let app = spawn_app().await;
    let response = app
        .call_json(
            Method::POST,
            "/v1/tenants",
            &json!({"id": "paced", "name": "Paced", "allowedSources": ["*"],
                      "maxDeliveriesPerSecond": 10}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let (one, two) = (Sink::start().await, Sink::start().await);
    subscribe(&app, &one, json!({"tenant": "paced"})).await;
    subscribe(&app, &two, json!({"tenant": "paced"})).await;
    ingest_many(&app, "tenant", "ups", 50).await;
    let mut at: Vec<Instant> = one
        .wait_for_distinct(50, Duration::from_secs(30))
        .await
        .iter()
        .map(|r| r.at)
        .collect();
    at.extend(
        two.wait_for_distinct(50, Duration::from_secs(30))
            .await
            .iter()
            .map(|r| r.at),
    );
    let most = busiest(at, Duration::from_secs(1));
    assert!(
        most <= 11,
        "{most} arrivals in one second at 10/s for the tenant"
    );
}

// Several threads: the two applications stand for two processes, each with its own delivery
// thread, not one thread shared with the test's own clients.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_healthy_subscription_is_not_delayed_by_a_stuck_or_rate_limited_one() {
    let _alone = ALONE.lock().await;
    let app = spawn_app().await;
    // Never answers within the 1 s delivery timeout.
    let stuck = Sink::start().await;
    stuck.answer(Answer {
        delay: Duration::from_secs(5),
        ..Answer::status(200)
    });
    let limited = Sink::start().await;
    let healthy = Sink::start().await;
    subscribe(&app, &stuck, json!({})).await;
    let limited_id = subscribe(
        &app,
        &limited,
        json!({"carriers": ["fedex"], "rateLimitPerSecond": 20}),
    )
    .await;
    subscribe(&app, &healthy, json!({"carriers": ["ups"]})).await;
    ingest_many(&app, "held", "fedex", 2_000).await;
    // The limited subscription's jobs are parked on its rate limit, not claimed.
    let deadline = Instant::now() + Duration::from_secs(30);
    let backlog = loop {
        let sub = app
            .get_json(&format!("/v1/subscriptions/{limited_id}"))
            .await;
        if sub["backlog"]["rateLimited"].as_u64().unwrap() >= 1_500 {
            break sub["backlog"].clone();
        }
        assert!(Instant::now() < deadline, "not parked: {sub}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        backlog["oldestWaitingSeconds"].as_f64().unwrap() > 0.0,
        "{backlog}"
    );
    // Now the healthy subscription's events, one every 30 ms.
    let mut sent = HashMap::new();
    for i in 0..100 {
        let at = Instant::now();
        let id = ingest(&app, &format!("healthy-{i}"), "ups").await;
        sent.insert(id, at);
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let received = healthy
        .wait_for_distinct(100, Duration::from_secs(20))
        .await;
    let mut latencies: Vec<Duration> = healthy
        .first_successes()
        .iter()
        .map(|r| r.at - sent[r.webhook_id()])
        .collect();
    assert_eq!(received.len(), 100, "each arrived once");
    latencies.sort();
    let (p99, worst) = (latencies[98], latencies[99]);
    let slow: Vec<u128> = latencies
        .iter()
        .map(Duration::as_millis)
        .filter(|ms| *ms > 300)
        .collect();
    assert!(
        worst < Duration::from_secs(1),
        "worst {worst:?}; over 300 ms: {slow:?}"
    );
    assert!(p99 < Duration::from_millis(150), "p99 {p99:?}");
    // Meanwhile the limited one kept to its rate, and the stuck one was tried.
    let most = busiest(
        limited.received().iter().map(|r| r.at).collect(),
        Duration::from_secs(1),
    );
    assert!(most <= 21, "{most} in one second at 20/s");
    assert!(!stuck.received().is_empty());
}
