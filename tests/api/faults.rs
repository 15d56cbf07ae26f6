//! Faults while traffic flows: Redis killed and restarted, a subscriber that never answers.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;
use crate::sink::{Answer, Sink};

fn flexops(id: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"id": id, "type": "tracking.updated",
        "data": {"trackingNumber": "1Z999AA10123456784", "carrier": "ups", "status": "in_transit"}}))
    .unwrap()
}

/// Redis is SIGKILLed and restarted (AOF, fsync always) while a provider keeps sending. Every
/// webhook that got a 2xx is delivered; the ones that got 503 are exactly those the provider must
/// resend, and after resending them everything has arrived once per subscriber at least.
#[tokio::test]
async fn redis_killed_while_webhooks_arrive_loses_no_acknowledged_event() {
    let app = Arc::new(tokio::sync::Mutex::new(spawn_app().await));
    let sink = Sink::start().await;
    app.lock()
        .await
        .create_subscription(json!({"url": sink.url, "events": ["*"]}))
        .await;
    let (address, client) = {
        let app = app.lock().await;
        (app.address.clone(), app.client.clone())
    };
    let send = |id: String| {
        let (address, client) = (address.clone(), client.clone());
        async move {
            let body = flexops(&id);
            let response = client
                .post(format!("{address}/ingest/flexops"))
                .header(
                    "X-FlexOps-Signature",
                    hmac_sha256_hex(FLEXOPS_SECRET, &body),
                )
                .body(body)
                .send()
                .await
                .unwrap();
            (id, response.status().as_u16())
        }
    };

    let mut acknowledged = HashSet::new();
    let mut refused = Vec::new();
    for i in 0..300 {
        if i == 100 {
            app.lock().await.redis.kill();
        }
        if i == 200 {
            app.lock().await.redis.restart();
        }
        let (id, status) = send(format!("p{i}")).await;
        match status {
            200 => acknowledged.insert(id),
            503 => {
                refused.push(id);
                true
            }
            other => panic!("{id}: unexpected {other}"),
        };
    }
    assert!(!refused.is_empty(), "the outage was seen by the sender");
    assert!(
        acknowledged.len() >= 200,
        "before and after the outage requests were accepted"
    );

    // The provider resends only what was refused (a 200 needs no resending).
    for id in refused.clone() {
        let mut status = 503;
        for _ in 0..100 {
            status = send(id.clone()).await.1;
            if status == 200 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(status, 200, "{id} accepted once Redis is back");
    }
    let received = sink.wait_for_distinct(300, Duration::from_secs(60)).await;
    let delivered: HashSet<String> = received
        .iter()
        .map(|r| {
            r.json()["data"]["provider"]["event_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for id in &acknowledged {
        assert!(
            delivered.contains(id),
            "{id} was acknowledged before the crash and must be delivered"
        );
    }
    assert_eq!(delivered.len(), 300);
}

/// A subscriber that accepts connections and never answers costs timeouts, not workers: the
/// other subscriber gets everything promptly.
#[tokio::test]
async fn a_subscriber_that_never_answers_starves_no_one() {
    let app = spawn_app().await; // 1 s attempt timeout, 4 in flight per subscription, 16 in all
    let (silent, fast) = (Sink::start().await, Sink::start().await);
    silent.answer(Answer {
        status: 200,
        retry_after: None,
        delay: Duration::from_secs(3600),
    });
    let silent_sub = app
        .create_subscription(json!({"url": silent.url, "events": ["*"]}))
        .await;
    app.create_subscription(json!({"url": fast.url, "events": ["*"]}))
        .await;
    for i in 0..40 {
        let body = flexops(&format!("e{i}"));
        app.ingest_flexops(&body).await;
    }
    fast.wait_for_distinct(40, Duration::from_secs(20)).await;
    // Meanwhile the silent one only ever had its own small share of attempts in flight.
    let id = silent_sub["id"].as_str().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let log: Value = app
            .api(
                reqwest::Method::GET,
                &format!("/v1/subscriptions/{id}/deliveries"),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let entries = log["data"].as_array().unwrap();
        if !entries.is_empty() {
            assert!(
                entries
                    .iter()
                    .all(|a| a["outcome"] == "timeout" && a["result"] == "retry"),
                "{log}"
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no timeout logged");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
