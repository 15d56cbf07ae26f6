//! `GET /v1/stats`: per-minute figures kept in Redis, scoped like every route.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::sink::{Answer, Sink};
use crate::tenants_api::{admin, call, tenant_with_key};

fn body(id: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": id, "type": "tracking.updated", "createdAt": "2026-03-10T14:30:00Z",
        "data": {"trackingNumber": format!("TN{id}"), "carrier": "ups", "status": "in_transit"}
    }))
    .unwrap()
}

fn total(series: &Value) -> u64 {
    series
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .sum()
}

#[tokio::test]
async fn figures_per_minute_are_scoped_to_the_caller() {
    let app = spawn_app().await;
    let sink = Sink::start().await;
    sink.answer(Answer::status(200));
    let (key_a, _) = tenant_with_key(&app, "stats-a", json!(["*"]), "read").await;
    let (key_b, _) = tenant_with_key(&app, "stats-b", json!([]), "read").await;
    let (status, sub) = admin(
        &app,
        Method::POST,
        "/v1/subscriptions",
        Some(json!({"url": sink.url, "events": ["*"], "tenant": "stats-a"})),
    )
    .await;
    assert_eq!(status, 201, "{sub}");
    for id in ["s1", "s2", "s3"] {
        let body = body(id);
        let response = app.ingest_flexops(&body).await;
        assert_eq!(response.status(), 200);
    }
    let refused = app
        .post_ingest(
            "flexops",
            &body("s4"),
            &[("X-FlexOps-Signature", "00".repeat(32))],
        )
        .await;
    assert_eq!(refused.status(), 401);
    sink.wait_for(3, Duration::from_secs(20)).await;

    // Counts reach Redis at the next flush (every 2 s).
    let mut figures = Value::Null;
    for _ in 0..100 {
        figures = admin(&app, Method::GET, "/v1/stats?window=5m", None)
            .await
            .1;
        if total(&figures["deliveries"]["delivered"]) >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(figures["window"], "5m");
    assert_eq!(figures["minutes"].as_array().unwrap().len(), 5);
    assert_eq!(total(&figures["ingest"]["accepted"]), 3, "{figures}");
    assert_eq!(total(&figures["ingest"]["unauthorized"]), 1);
    assert_eq!(total(&figures["deliveries"]["delivered"]), 3);
    assert!(
        figures["lagSeconds"]
            .as_array()
            .unwrap()
            .iter()
            .any(Value::is_number)
    );
    assert_eq!(figures["partitions"].as_array().unwrap().len(), 4);
    assert!(figures["backlog"].is_null());

    // Tenant A (every source, the subscription's owner) sees the same; B sees nothing of it.
    let (status, a) = call(&app, &key_a, Method::GET, "/v1/stats", None).await;
    assert_eq!(status, 200);
    assert_eq!(a["window"], "15m");
    assert_eq!(total(&a["ingest"]["accepted"]), 3);
    assert_eq!(total(&a["deliveries"]["delivered"]), 3);
    assert_eq!(a["partitions"], json!([]));
    assert_eq!(a["backlog"]["ordered"], 0);
    let (_, b) = call(&app, &key_b, Method::GET, "/v1/stats", None).await;
    assert_eq!(total(&b["ingest"]["accepted"]), 0, "no allowed source");
    assert_eq!(total(&b["deliveries"]["delivered"]), 0);
    assert!(
        b["lagSeconds"]
            .as_array()
            .unwrap()
            .iter()
            .all(Value::is_null)
    );

    let (status, problem) = admin(&app, Method::GET, "/v1/stats?window=2d", None).await;
    assert_eq!(status, 400);
    assert_eq!(problem["errors"][0]["field"], "window");
    let (status, _) = call(
        &app,
        "srk_not-a-key-0123456789",
        Method::GET,
        "/v1/stats",
        None,
    )
    .await;
    assert_eq!(status, 401);
}
