//! `/metrics` end to end: a known mix of ingest outcomes and deliveries, then the counters, the
//! depths sampled from Redis, and the process metrics as Prometheus reads them.

use std::time::Duration;

use serde_json::json;

use crate::helpers::*;
use crate::sink::{Answer, Sink};

async fn metric_eventually(app: &TestApp, sample: &str, expected: f64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let value = app.metric(sample).await;
        if value == expected {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{sample} is {value}, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn flexops(id: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"id": id, "type": "tracking.updated",
        "data": {"trackingNumber": "1Z999AA10123456784", "carrier": "ups", "status": "in_transit"}}))
    .unwrap()
}

#[tokio::test]
async fn counters_depths_and_process_metrics_reflect_what_happened() {
    let app = spawn_app().await;
    let sink = Sink::start().await;
    sink.then([Answer::status(500)]);
    app.create_subscription(json!({"url": sink.url, "events": ["*"]}))
        .await;
    let disabled = app
        .create_subscription(json!({"url": sink.url, "events": ["order.*"]}))
        .await;
    app.api(
        reqwest::Method::PATCH,
        &format!("/v1/subscriptions/{}", disabled["id"].as_str().unwrap()),
    )
    .json(&json!({"enabled": false}))
    .send()
    .await
    .unwrap();

    for id in ["e1", "e2", "e1"] {
        let body = flexops(id);
        app.post_ingest("flexops", &body, &flexops_headers(&body))
            .await;
    }
    app.post_ingest("flexops", b"{}", &[("X-FlexOps-Signature", "00".into())])
        .await;
    app.post_ingest("flexops", b"not json", &flexops_headers(b"not json"))
        .await;
    app.post_ingest("nowhere", b"{}", &[]).await;
    sink.wait_for(3, Duration::from_secs(20)).await; // e1 fails once, then e1 and e2 succeed

    let ingest = |outcome: &str, source: &str| {
        format!(r#"shiprelay_ingest_requests_total{{outcome="{outcome}",source="{source}"}}"#)
    };
    for (outcome, source, count) in [
        ("accepted", "flexops", 2.0),
        ("duplicate", "flexops", 1.0),
        ("unauthorized", "flexops", 1.0),
        ("quarantined", "flexops", 1.0),
        ("not_found", "unknown", 1.0),
    ] {
        assert_eq!(
            app.metric(&ingest(outcome, source)).await,
            count,
            "{outcome}"
        );
    }
    assert_eq!(
        app.metric(r#"shiprelay_events_total{source="flexops",type="tracking.updated"}"#)
            .await,
        2.0
    );
    metric_eventually(
        &app,
        r#"shiprelay_delivery_attempts_total{outcome="delivered"}"#,
        2.0,
    )
    .await;
    assert_eq!(
        app.metric(r#"shiprelay_delivery_attempts_total{outcome="retry"}"#)
            .await,
        1.0
    );
    assert_eq!(
        app.metric("shiprelay_delivery_lag_seconds_count").await,
        2.0
    );
    assert_eq!(
        app.metric("shiprelay_delivery_duration_seconds_count")
            .await,
        3.0
    );
    assert_eq!(
        app.metric(r#"shiprelay_ingest_duration_seconds_count{source="flexops"}"#)
            .await,
        5.0
    );

    // Sampled from Redis every second.
    metric_eventually(&app, r#"shiprelay_queue_depth{queue="quarantine"}"#, 1.0).await;
    for queue in [
        "events_unrouted",
        "deliveries_pending",
        "retry_scheduled",
        "dead",
    ] {
        metric_eventually(
            &app,
            &format!(r#"shiprelay_queue_depth{{queue="{queue}"}}"#),
            0.0,
        )
        .await;
    }
    metric_eventually(
        &app,
        r#"shiprelay_queue_oldest_age_seconds{queue="events"}"#,
        0.0,
    )
    .await;
    metric_eventually(&app, r#"shiprelay_subscriptions{state="enabled"}"#, 1.0).await;
    metric_eventually(&app, r#"shiprelay_subscriptions{state="disabled"}"#, 1.0).await;
    assert!(app.metric("process_resident_memory_bytes").await > 1_000_000.0);
    assert!(app.metric("process_start_time_seconds").await > 1_600_000_000.0);

    let text = app.metrics_text(&app.address).await;
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/target/metrics-sample.prom");
    std::fs::write(sample, &text).unwrap(); // scripts/check-deploy runs `promtool check metrics` on it
}

#[tokio::test]
async fn backlogs_and_redis_errors_are_visible() {
    let mut app = spawn_app_with(|toml| {
        toml.replace("role = \"all\"", "")
            .replace("workers = 2", "workers = 2\nrole = \"ingest\"")
    })
    .await;
    let sink = Sink::start().await;
    app.create_subscription(json!({"url": sink.url, "events": ["*"]}))
        .await;
    for id in ["e1", "e2", "e3"] {
        let body = flexops(id);
        app.post_ingest("flexops", &body, &flexops_headers(&body))
            .await;
    }
    // The enqueue fanned the events out itself; nobody delivers in an ingest-only deployment:
    // the backlog of jobs and its age show, in total and in the partitions that hold them.
    metric_eventually(
        &app,
        r#"shiprelay_queue_depth{queue="deliveries_pending"}"#,
        3.0,
    )
    .await;
    assert_eq!(
        app.metric(r#"shiprelay_queue_depth{queue="events_unrouted"}"#)
            .await,
        0.0
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        app.metric(r#"shiprelay_queue_oldest_age_seconds{queue="deliveries"}"#)
            .await
            >= 1.0
    );
    let mut in_partitions = 0.0;
    for partition in 0..TEST_PARTITIONS {
        in_partitions += app
            .metric(&format!(
                r#"shiprelay_partition_queue_depth{{partition="{partition}",queue="deliveries_pending"}}"#
            ))
            .await;
    }
    assert_eq!(in_partitions, 3.0);

    app.redis.kill();
    let body = flexops("e4");
    app.post_ingest("flexops", &body, &flexops_headers(&body))
        .await;
    assert!(
        app.metric(r#"shiprelay_redis_errors_total{op="http"}"#)
            .await
            >= 1.0
    );
}

#[tokio::test]
async fn metrics_can_move_to_their_own_port() {
    let port = free_port();
    let app = spawn_app_with(|toml| {
        toml.replace(
            "listen = \"\"\npublic = true\n",
            &format!("listen = \"127.0.0.1:{port}\"\n"),
        )
    })
    .await;
    let own = app
        .client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    let text = own.text().await.unwrap();
    // Labelled families appear with their first sample; these exist before any traffic.
    assert!(
        text.contains("# HELP shiprelay_delivery_duration_seconds"),
        "{text}"
    );
    assert!(
        text.contains("# HELP process_resident_memory_bytes"),
        "{text}"
    );
    let main = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap();
    assert_problem(main, 404, "not-found").await;
}

/// A restart finds its consumer groups already there (BUSYGROUP): that is not a Redis failure, and
/// `/metrics` must not count it as one. Every area's counter is exported, at zero.
#[tokio::test]
async fn a_restart_on_existing_groups_counts_no_redis_error() {
    let app = spawn_app().await;
    app.stop().await;
    let restarted = app.spawn_second().await;
    // Let the delivery runtime create (find) its groups and run a first sample.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let text = app.metrics_text(&restarted.address).await;
    for area in ["http", "route", "deliver", "schedule", "upgrade", "sample"] {
        let sample = format!("shiprelay_redis_errors_total{{op=\"{area}\"}} 0");
        assert!(
            text.lines().any(|line| line == sample),
            "missing `{sample}` in:\n{text}"
        );
    }
}
