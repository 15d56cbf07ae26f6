//! Health, readiness, metrics, correlation ids and the errors of the HTTP surface itself.

use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn health_and_readiness_answer_200_when_redis_is_up() {
    let app = spawn_app().await;
    for path in ["healthz", "readyz"] {
        let response = app.get_anonymously(&format!("/{path}")).await;
        assert_eq!(response.status(), 200, "{path}");
        assert!(response.headers().contains_key("x-correlation-id"));
    }
}

#[tokio::test]
async fn correlation_ids_are_echoed_or_generated() {
    let app = spawn_app().await;
    let url = format!("{}/healthz", app.address);
    let echoed = app
        .client
        .get(&url)
        .header("X-Correlation-ID", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-correlation-id"], "abc-123");

    let generated = app.client.get(&url).send().await.unwrap();
    let id = generated.headers()["x-correlation-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");

    let hostile = app
        .client
        .get(&url)
        .header("X-Correlation-ID", "a b")
        .send()
        .await
        .unwrap();
    assert_ne!(hostile.headers()["x-correlation-id"], "a b");

    // Errors carry it too, including 401 from ingest.
    let body = b"{}";
    let refused = app
        .client
        .post(format!("{}/ingest/flexops", app.address))
        .header("X-Correlation-ID", "trace-401")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.headers()["x-correlation-id"], "trace-401");
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problem_json() {
    let app = spawn_app().await;
    let response = app.get_anonymously("/nope").await;
    assert_problem(response, 404, "not-found").await;

    let response = app.get_anonymously("/ingest/flexops").await;
    assert_eq!(response.headers()["allow"], "POST");
    assert_problem(response, 405, "method-not-allowed").await;

    let response = app
        .client
        .post(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET");
    assert_problem(response, 405, "method-not-allowed").await;
}

#[tokio::test]
async fn metrics_are_prometheus_text_with_help() {
    let app = spawn_app().await;
    let body = fixture("flexport_v1/ping.json");
    app.post_ingest("flexport", &body, &flexport_v1_headers(&body))
        .await;
    let response = app.get_anonymously("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    for name in [
        "shiprelay_ingest_requests_total",
        "shiprelay_ingest_duration_seconds",
        "shiprelay_events_total",
    ] {
        assert!(
            text.contains(&format!("# HELP {name} ")),
            "{name} has HELP text"
        );
    }
    assert!(!text.contains(FLEXPORT_SECRET));
}

#[tokio::test]
async fn problem_bodies_never_echo_secrets() {
    let app = spawn_app().await;
    let body = b"{}";
    let response = app
        .post_ingest(
            "logistics",
            body,
            &[("X-Relay-Token", format!("{LOGISTICS_TOKEN}x"))],
        )
        .await;
    let problem: Value = response.json().await.unwrap();
    assert!(!problem.to_string().contains(LOGISTICS_TOKEN));
}
