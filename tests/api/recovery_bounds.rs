//! Recovery calls are bounded and always make progress: redrive and range replay answer cursors
//! that continue where they stopped, and the `Idempotency-Key` marker of a request still running
//! lives only a minute.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::store::{self, Store};
use crate::tenants_api::admin;

/// Appends `n` copies of `fields` to a stream, in pipelined batches.
async fn append(app: &TestApp, stream: &str, n: usize, fields: &[(&str, String)]) {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(f, v)| (*f, v.as_str())).collect();
    (Store::on(app.redis.conn().await))
        .append_many(stream, n, &fields)
        .await;
}

/// An ingest-only relay (nothing delivers, so queued jobs stay countable) with one stored event.
async fn relay_with_event() -> (TestApp, Value) {
    let app =
        spawn_app_with(|toml| toml.replace("workers = 2", "workers = 2\nrole = \"ingest\"")).await;
    let body = br#"{"id":"evt_bounds","type":"tracking.updated","data":{"trackingNumber":"1Z999AA10123456784"}}"#;
    let answer: Value = app.ingest_flexops(body).await.json().await.unwrap();
    let (_, event) = admin(
        &app,
        Method::GET,
        &format!("/v1/events/{}", answer["events"][0].as_str().unwrap()),
        None,
    )
    .await;
    (app, event)
}

fn dead_job(event: &Value, subscription: &str) -> Vec<(&'static str, String)> {
    let job = json!({"event_id": event["id"], "subscription_id": subscription, "attempt": 4, "first_attempt_at": null,
        "subject": event["subject"], "event_time": event["time"], "received_at": event["time"], "event": event.to_string()});
    vec![
        ("job", job.to_string()),
        ("reason", "HTTP 500".into()),
        ("failed_at", "1".into()),
    ]
}

#[tokio::test]
async fn a_redrive_behind_10000_other_dead_letters_continues_from_its_cursor() {
    let (app, event) = relay_with_event().await;
    let mine = app
        .create_subscription(json!({"url": "http://127.0.0.1:9/mine", "events": ["*"]}))
        .await;
    let mine = mine["id"].as_str().unwrap();
    append(
        &app,
        &part_key(0, "dead"),
        10_200,
        &dead_job(&event, "sub_someone_else"),
    )
    .await;
    append(&app, &part_key(0, "dead"), 1, &dead_job(&event, mine)).await;

    let (status, first) = admin(
        &app,
        Method::POST,
        "/v1/dead-letters/redrive",
        Some(json!({"subscriptionId": mine})),
    )
    .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        (first["redriven"].clone(), first["more"].clone()),
        (json!(0), json!(true)),
        "{first}"
    );
    let cursor = first["cursor"].as_str().unwrap();
    let (_, second) = admin(
        &app,
        Method::POST,
        "/v1/dead-letters/redrive",
        Some(json!({"subscriptionId": mine, "cursor": cursor})),
    )
    .await;
    assert_eq!(
        (second["redriven"].clone(), second["more"].clone()),
        (json!(1), json!(false)),
        "{second}"
    );
    assert_eq!(app.stream_len("{test}:dead").await, 10_200);
    let (status, _) = admin(
        &app,
        Method::POST,
        "/v1/dead-letters/redrive",
        Some(json!({"all": true, "cursor": "not-a-cursor"})),
    )
    .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn a_range_replay_is_bounded_per_call_and_continues_from_its_cursor() {
    let (app, event) = relay_with_event().await;
    let sub = app
        .create_subscription(json!({"url": "http://127.0.0.1:9/r", "events": ["*"]}))
        .await;
    let path = format!("/v1/subscriptions/{}/replay", sub["id"].as_str().unwrap());
    append(
        &app,
        &part_key(0, "events"),
        10_050,
        &[
            ("id", "evt_x".into()),
            ("type", "tracking.updated".into()),
            ("event", event.to_string()),
        ],
    )
    .await;
    let jobs_before = app.stream_len("{test}:deliveries").await;

    let (status, first) = admin(
        &app,
        Method::POST,
        &path,
        Some(json!({"since": "2020-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(status, 202, "{first}");
    assert_eq!(first["complete"], false, "{first}");
    assert_eq!(first["jobs"], 10_000);
    let (_, second) = admin(
        &app,
        Method::POST,
        &path,
        Some(json!({"since": "2020-01-01T00:00:00Z", "cursor": first["cursor"]})),
    )
    .await;
    assert_eq!(second["complete"], true, "{second}");
    // 10,050 appended + the ingested one, each once.
    assert_eq!(second["jobs"], 51, "{second}");
    assert_eq!(
        app.stream_len("{test}:deliveries").await - jobs_before,
        10_051
    );
    // A cursor this API did not return is a 422 naming `cursor`, and queues nothing.
    let (status, problem) = admin(
        &app,
        Method::POST,
        &path,
        Some(json!({"since": "2020-01-01T00:00:00Z", "cursor": "not-a-cursor"})),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "cursor", "{problem}");
    assert_eq!(
        app.stream_len("{test}:deliveries").await - jobs_before,
        10_051
    );
}

#[tokio::test]
async fn an_idempotency_key_is_held_only_a_minute_while_its_request_runs() {
    let (app, event) = relay_with_event().await;
    let sub = app
        .create_subscription(json!({"url": "http://127.0.0.1:9/r", "events": ["order.shipped"]}))
        .await;
    append(
        &app,
        &part_key(0, "events"),
        60_000,
        &[
            ("id", "evt_x".into()),
            ("type", "tracking.updated".into()),
            ("event", event.to_string()),
        ],
    )
    .await;
    let path = format!(
        "{}/v1/subscriptions/{}/replay",
        app.address,
        sub["id"].as_str().unwrap()
    );
    let request = app
        .client
        .post(path)
        .header("X-API-Key", API_KEY)
        .header("Idempotency-Key", "long-replay-1")
        .json(&json!({"since": "2020-01-01T00:00:00Z"}))
        .send();
    let running = tokio::spawn(request);
    let mut redis_store = Store::on(app.redis.conn().await);
    // Every idempotency record: the registry's key of one, up to the caller's scope.
    let one = store::registry().idempotency("", "");
    let records = format!("{}*", &one[..one.rfind("::").unwrap() + 1]);
    let mut seen = None;
    for _ in 0..200 {
        let keys: Vec<String> = redis_store.run("KEYS", &records).await;
        if let Some(key) = keys.first() {
            let value: String = redis_store.run("GET", key).await;
            if value.contains("\"status\":null") {
                let ttl: i64 = redis_store.run("TTL", key).await;
                seen = Some(ttl);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let ttl = seen.expect("the in-progress marker was seen");
    assert!((1..=60).contains(&ttl), "in-progress TTL {ttl}");
    let response = running.await.unwrap().unwrap();
    assert_eq!(response.status(), 202);
    let keys: Vec<String> = redis_store.run("KEYS", &records).await;
    let ttl: i64 = redis_store.run("TTL", &keys[0]).await;
    assert!(
        ttl > 3600,
        "the stored response is kept for api.idempotency_ttl_secs: {ttl}"
    );
}
