//! Nothing is acknowledged that is not stored: Redis outages give 503 + Retry-After and recover by
//! themselves; concurrent requests land exactly once.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use crate::helpers::*;
use crate::store::Store;

const EVENTS: &str = "{test}:events";

fn flexops_event(id: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": id, "type": "tracking.updated", "createdAt": "2026-03-10T14:30:00Z",
        "data": {"trackingNumber": "9400111899223456789012", "carrier": "usps", "status": "in_transit"}
    }))
    .unwrap()
}

#[tokio::test]
async fn redis_down_gives_503_with_retry_after_and_recovery_needs_no_restart() {
    let mut app = spawn_app().await;
    let before = flexops_event("evt_before");
    assert_eq!(app.ingest_flexops(&before).await.status(), 200);

    app.redis.kill();
    let during = flexops_event("evt_during");
    for _ in 0..3 {
        let response = app.ingest_flexops(&during).await;
        assert_eq!(response.headers()["retry-after"], "7");
        assert_problem(response, 503, "unavailable").await;
    }
    let ready = app.get_anonymously("/readyz").await;
    assert_eq!(ready.headers()["retry-after"], "7");
    assert_problem(ready, 503, "unavailable").await;
    let health = app.get_anonymously("/healthz").await;
    assert_eq!(health.status(), 200, "liveness does not depend on Redis");

    app.redis.restart();
    let mut status = 0;
    // Until the connection manager has reconnected, a retry may still be answered 503 (counted).
    let mut unavailable_while_reconnecting = 0.0;
    for _ in 0..50 {
        // The connection manager reconnects on its own; the provider's retry then succeeds.
        status = app.ingest_flexops(&during).await.status().as_u16();
        if status == 200 {
            break;
        }
        if status == 503 {
            unavailable_while_reconnecting += 1.0;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200);
    let ready = app.get_anonymously("/readyz").await;
    assert_eq!(ready.status(), 200);

    let ids: Vec<Value> = app
        .stored_events()
        .await
        .iter()
        .map(|e| e["data"]["provider"]["event_id"].clone())
        .collect();
    assert_eq!(
        ids,
        [json!("evt_before"), json!("evt_during")],
        "AOF kept the first, the retry stored the second once"
    );
    let counted = r#"shiprelay_ingest_requests_total{outcome="unavailable",source="flexops"}"#;
    assert_eq!(
        app.metric(counted).await,
        3.0 + unavailable_while_reconnecting
    );
}

#[tokio::test]
async fn redis_unreachable_from_the_start_gives_503_not_a_crash() {
    let closed = free_port(); // nothing listens there
    let app = spawn_app_with(|toml| {
        let url_line = toml
            .lines()
            .find(|l| l.starts_with("url = "))
            .unwrap()
            .to_string();
        toml.replace(&url_line, &format!("url = \"redis://127.0.0.1:{closed}\""))
    })
    .await;
    let body = flexops_event("evt_x");
    let response = app.ingest_flexops(&body).await;
    assert_problem(response, 503, "unavailable").await;
    let ready = app.get_anonymously("/readyz").await;
    assert_eq!(ready.status(), 503);
}

#[tokio::test]
async fn redis_out_of_memory_gives_503_and_writes_nothing() {
    let app = spawn_app().await;
    let mut redis_store = Store::on(app.redis.conn().await);
    let _: () = redis_store.run("CONFIG", ("SET", "maxmemory", "1")).await;
    let _: () = (redis_store)
        .run("CONFIG", ("SET", "maxmemory-policy", "noeviction"))
        .await;

    let body = flexops_event("evt_oom");
    let response = app.ingest_flexops(&body).await;
    assert_eq!(response.headers()["retry-after"], "7");
    assert_problem(response, 503, "unavailable").await;
    let keys: Vec<String> = redis_store.run("KEYS", "*").await;
    let written: Vec<&String> = keys
        .iter()
        .filter(|k| k.contains(":seen:") || k.contains(":event:"))
        .collect();
    assert!(written.is_empty(), "nothing half-written: {written:?}");
    assert_eq!(app.stream_len(EVENTS).await, 0);

    // Quarantine writes are refused the same way.
    let response = app
        .post_ingest("flexops", b"not json", &flexops_headers(b"not json"))
        .await;
    assert_problem(response, 503, "unavailable").await;

    let _: () = redis_store.run("CONFIG", ("SET", "maxmemory", "0")).await;
    let response = app.ingest_flexops(&body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.stream_len(EVENTS).await, 1);
}

#[tokio::test]
async fn hundreds_of_concurrent_requests_all_land_exactly_once() {
    // Concurrent requests are enqueued in shared script calls: each answer must still name the
    // events of its own request, and a repeat within the same call must be seen as one.
    let app = std::sync::Arc::new(spawn_app().await);
    let mut tasks = Vec::new();
    for i in 0..400 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let provider_id = format!("evt_{}", i % 300);
            let body = flexops_event(&provider_id);
            let response = app.ingest_flexops(&body).await;
            assert_eq!(response.status(), 200);
            let replayed = response.headers().contains_key("idempotent-replayed");
            let answer: Value = response.json().await.unwrap();
            let id = answer["events"][0].as_str().unwrap().to_string();
            (provider_id, id, replayed)
        }));
    }
    let mut answered: HashMap<String, String> = HashMap::new();
    let mut fresh = 0;
    for task in tasks {
        let (provider_id, id, replayed) = task.await.unwrap();
        fresh += usize::from(!replayed);
        let first = answered.entry(provider_id.clone()).or_insert(id.clone());
        assert_eq!(
            *first, id,
            "every answer for {provider_id} names the same event"
        );
    }
    assert_eq!(
        fresh, 300,
        "each provider event was stored by exactly one request"
    );
    let stored: HashMap<String, String> = app
        .stored_events()
        .await
        .iter()
        .map(|e| {
            (
                e["data"]["provider"]["event_id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                e["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        stored, answered,
        "every acknowledged id is stored as the event its request sent, and nothing else"
    );
}

#[tokio::test]
async fn the_same_event_sent_concurrently_is_stored_once() {
    let app = std::sync::Arc::new(spawn_app().await);
    let body = flexops_event("evt_race");
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let app = app.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let response = app.ingest_flexops(&body).await;
            assert_eq!(response.status(), 200);
            let replayed = response.headers().contains_key("idempotent-replayed");
            let answer: Value = response.json().await.unwrap();
            (replayed, answer["events"][0].as_str().unwrap().to_string())
        }));
    }
    let mut fresh = 0;
    let mut ids = HashSet::new();
    for task in tasks {
        let (replayed, id) = task.await.unwrap();
        fresh += usize::from(!replayed);
        ids.insert(id);
    }
    assert_eq!(fresh, 1, "exactly one request enqueued the event");
    assert_eq!(ids.len(), 1, "every answer names the same event");
    assert_eq!(app.stream_len(EVENTS).await, 1);
}
