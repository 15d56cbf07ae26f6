//! What is refused (404, 413, 401) stores nothing; repeats are answered without enqueueing again;
//! verified but unreadable payloads are quarantined, and so are payloads nested too deep for
//! their stored event to be read back.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;
use crate::sink::Sink;

const EVENTS: &str = "{test}:events";
const QUARANTINE: &str = "{test}:quarantine";

#[tokio::test]
async fn unknown_source_is_404_and_counted_as_unknown() {
    let app = spawn_app().await;
    let body = fixture("flexport_v1/ping.json");
    let response = app
        .post_ingest("nobody", &body, &flexport_v1_headers(&body))
        .await;
    let problem = assert_problem(response, 404, "not-found").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("/ingest/nobody")
    );
    assert_eq!(app.stream_len(EVENTS).await, 0);
    let counted = r#"shiprelay_ingest_requests_total{outcome="not_found",source="unknown"}"#;
    assert_eq!(app.metric(counted).await, 1.0);
}

#[tokio::test]
async fn oversized_bodies_are_413_whether_declared_or_streamed() {
    let app = spawn_app().await; // max_body_bytes = 65536
    let big = vec![b' '; 65537];
    let response = app
        .post_ingest("flexport", &big, &flexport_v1_headers(&big))
        .await;
    assert_problem(response, 413, "payload-too-large").await;

    // Chunked: no Content-Length, the limit is enforced while reading.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..20).map(|_| Ok(vec![b' '; 4096])).collect();
    let response = app
        .client
        .post(format!("{}/ingest/flexport", app.address))
        .header("X-Hub-Signature", "sha1=00")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_problem(response, 413, "payload-too-large").await;

    // Exactly at the limit is fine (it is JSON whitespace around a ping).
    let mut at_limit = fixture("flexport_v1/ping.json");
    at_limit.resize(65536, b' ');
    let response = app
        .post_ingest("flexport", &at_limit, &flexport_v1_headers(&at_limit))
        .await;
    assert_eq!(response.status(), 200);

    assert_eq!(app.stream_len(EVENTS).await, 1);
    let counted = r#"shiprelay_ingest_requests_total{outcome="too_large",source="flexport"}"#;
    assert_eq!(app.metric(counted).await, 2.0);
}

#[tokio::test]
async fn bad_signatures_are_401_and_store_nothing() {
    let app = spawn_app().await;
    let body = fixture("flexport_v1/ping.json");
    let good = format!("sha1={}", hmac_sha1_hex(FLEXPORT_SECRET, &body));
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("missing", vec![]),
        (
            "wrong secret",
            vec![(
                "X-Hub-Signature",
                format!("sha1={}", hmac_sha1_hex("nope", &body)),
            )],
        ),
        (
            "truncated",
            vec![("X-Hub-Signature", good[..good.len() - 4].to_string())],
        ),
        (
            "garbled",
            vec![("X-Hub-Signature", "sha1=zz!!".to_string())],
        ),
        (
            "wrong prefix",
            vec![("X-Hub-Signature", good.replace("sha1=", "sha256="))],
        ),
        (
            "no prefix",
            vec![("X-Hub-Signature", good.replace("sha1=", ""))],
        ),
    ];
    for (case, headers) in &cases {
        let response = app.post_ingest("flexport", &body, headers).await;
        let problem = assert_problem(response, 401, "unauthorized").await;
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("X-Hub-Signature"), "{case}: {detail}");
        assert!(!detail.contains(FLEXPORT_SECRET), "{case}: a secret leaked");
    }
    // The signature of another body does not verify this one.
    let other = format!("sha1={}", hmac_sha1_hex(FLEXPORT_SECRET, b"{}"));
    let response = app
        .post_ingest("flexport", &body, &[("X-Hub-Signature", other)])
        .await;
    assert_eq!(response.status(), 401);

    assert_eq!(app.stream_len(EVENTS).await, 0);
    assert_eq!(
        app.stream_len(QUARANTINE).await,
        0,
        "unauthenticated payloads are never stored"
    );
    let counted = r#"shiprelay_ingest_requests_total{outcome="unauthorized",source="flexport"}"#;
    assert_eq!(app.metric(counted).await, (cases.len() + 1) as f64);
}

#[tokio::test]
async fn bad_tokens_and_basic_credentials_are_401() {
    let app = spawn_app().await;
    let body = fixture("flexport_logistics/order_shipped.json");
    let basic = |user: &str, pass: &str| {
        use base64::Engine;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
        )
    };
    for headers in [
        vec![],
        vec![("X-Relay-Token", "wrong-token".to_string())],
        vec![("X-Relay-Token", String::new())],
        vec![("Authorization", basic("flexport", "wrong"))],
        vec![("Authorization", basic("someone-else", LOGISTICS_TOKEN))],
        vec![("Authorization", "Basic !!!".to_string())],
    ] {
        let response = app.post_ingest("logistics", &body, &headers).await;
        assert_problem(response, 401, "unauthorized").await;
    }
    assert_eq!(app.stream_len(EVENTS).await, 0);
}

#[tokio::test]
async fn stale_and_future_timestamps_are_refused() {
    let app = spawn_app().await;
    let body = br#"{"id":"msg_1","type":"ping"}"#;
    for offset in [-301, 301, -3600] {
        let headers = standard_webhooks_headers(STANDARD_SECRET, "msg_1", now() + offset, body);
        let response = app.post_ingest("standard", body, &headers).await;
        let problem = assert_problem(response, 401, "unauthorized").await;
        assert!(
            problem["detail"].as_str().unwrap().contains("tolerance"),
            "{problem}"
        );
    }
    // A replayed signature from 10 minutes ago (Stripe style) is refused too.
    let t = now() - 600;
    let signed = [t.to_string().as_bytes(), b".", body.as_slice()].concat();
    let header = format!("t={t},v1={}", hmac_sha256_hex(STRIPE_SECRET, &signed));
    let response = app
        .post_ingest("stripe-like", body, &[("Stripe-Signature", header)])
        .await;
    assert_problem(response, 401, "unauthorized").await;
    assert_eq!(app.stream_len(EVENTS).await, 0);
}

#[tokio::test]
async fn a_repeated_provider_event_is_acknowledged_but_not_enqueued_again() {
    let app = spawn_app().await;
    let body = fixture("flexops/tracking_updated.json");
    let first = app.ingest_flexops(&body).await;
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();

    let again = app.ingest_flexops(&body).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(
        again, first,
        "the repeat answers with the ids first assigned"
    );
    assert_eq!(app.stream_len(EVENTS).await, 1);

    let counted = r#"shiprelay_ingest_requests_total{outcome="duplicate",source="flexops"}"#;
    assert_eq!(app.metric(counted).await, 1.0);
}

#[tokio::test]
async fn flexport_v1_repeats_are_recognised_by_body_hash() {
    let app = spawn_app().await;
    let body = fixture("flexport_v1/shipment_departed.json");
    for _ in 0..3 {
        assert_eq!(
            app.post_ingest("flexport", &body, &flexport_v1_headers(&body))
                .await
                .status(),
            200
        );
    }
    assert_eq!(app.stream_len(EVENTS).await, 1);
    // A different body (even one byte) is a different event.
    let mut other = body.clone();
    other.push(b'\n');
    let response = app
        .post_ingest("flexport", &other, &flexport_v1_headers(&other))
        .await;
    assert!(response.headers().get("idempotent-replayed").is_none());
    assert_eq!(app.stream_len(EVENTS).await, 2);
}

#[tokio::test]
async fn the_same_id_from_two_sources_is_two_events() {
    let app = spawn_app().await;
    let body = br#"{"id":"msg_same","type":"ping"}"#;
    let headers = standard_webhooks_headers(STANDARD_SECRET, "msg_same", now(), body);
    assert_eq!(
        app.post_ingest("standard", body, &headers).await.status(),
        200
    );
    let t = now();
    let signed = [t.to_string().as_bytes(), b".", body.as_slice()].concat();
    let header = format!("t={t},v1={}", hmac_sha256_hex(STRIPE_SECRET, &signed));
    let response = app
        .post_ingest("stripe-like", body, &[("Stripe-Signature", header)])
        .await;
    assert!(response.headers().get("idempotent-replayed").is_none());
    assert_eq!(app.stream_len(EVENTS).await, 2);
}

#[tokio::test]
async fn verified_but_unreadable_payloads_are_quarantined_with_the_reason() {
    let app = spawn_app().await;
    let cases: [(&[u8], &str); 3] = [
        (b"this is not json", "not valid JSON"),
        (b"[1, 2, 3]", "not a flexops event"),
        (b"", "not valid JSON"),
    ];
    for (body, reason) in cases {
        let response = app.ingest_flexops(body).await;
        assert_eq!(
            response.status(),
            200,
            "the provider must not retry a payload that never parses"
        );
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["accepted"], 0);
        assert!(answer["quarantined"].is_string(), "{answer}");
        assert!(
            answer["reason"].as_str().unwrap().contains(reason),
            "{answer}"
        );
    }
    let quarantined = app.stream_fields(QUARANTINE).await;
    assert_eq!(quarantined.len(), 3);
    assert_eq!(quarantined[0]["body"], b"this is not json");
    assert_eq!(quarantined[0]["source"], b"flexops");
    assert!(String::from_utf8_lossy(&quarantined[0]["reason"]).contains("not valid JSON"));
    assert!(!quarantined[0]["correlation_id"].is_empty());
    assert_eq!(app.stream_len(EVENTS).await, 0);
    let counted = r#"shiprelay_ingest_requests_total{outcome="quarantined",source="flexops"}"#;
    assert_eq!(app.metric(counted).await, 3.0);
}

#[tokio::test]
async fn a_bad_signature_on_garbage_is_refused_not_quarantined() {
    let app = spawn_app().await;
    let response = app
        .post_ingest(
            "flexops",
            b"garbage",
            &[("X-FlexOps-Signature", "00".into())],
        )
        .await;
    assert_eq!(response.status(), 401);
    assert_eq!(app.stream_len(QUARANTINE).await, 0);
}

/// A generic (HMAC) source's payload `{"type": ..., "d": [[...]]}` nested `levels` deep.
fn nested_payload(levels: usize) -> Vec<u8> {
    let arrays = levels - 1;
    format!(
        r#"{{"type":"tracking.updated","d":{}1{}}}"#,
        "[".repeat(arrays),
        "]".repeat(arrays)
    )
    .into_bytes()
}

/// A payload that parses, but whose event (which carries it under `data.raw`) could not be read
/// back once stored, used to be accepted, delivered, and then missing from `/v1/events` and
/// replays. It is quarantined with its reason instead; one level less is stored, delivered and
/// readable.
#[tokio::test]
async fn a_payload_too_deep_to_read_back_is_quarantined_and_one_level_less_is_stored() {
    let app = spawn_app().await;
    let sink = Sink::start().await;
    app.subscribe_to(&sink.url, json!({})).await;
    let signed = |body: &[u8]| {
        vec![(
            "X-Shopify-Hmac-Sha256",
            hmac_sha256_base64(SHOP_SECRET, body),
        )]
    };

    // 127 levels: the deepest body that parses at all, whose stored event (129) never read back;
    // 123: the first level whose event would not read back inside a page of dead letters.
    for levels in [127, 123] {
        let deep = nested_payload(levels);
        let response = app.post_ingest("shop", &deep, &signed(&deep)).await;
        assert_eq!(response.status(), 200, "the provider must not retry it");
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["accepted"], 0, "{answer}");
        assert!(answer["quarantined"].is_string(), "{answer}");
        let reason = format!(
            "payload nested deeper than 122 levels ({levels}): its stored event could not be read back"
        );
        assert_eq!(answer["reason"], reason.as_str());
        let quarantined = app.stream_fields(QUARANTINE).await;
        let last = quarantined.last().unwrap();
        assert_eq!(last["source"], b"shop");
        assert_eq!(last["body"], deep);
        assert_eq!(last["reason"], reason.as_bytes());
    }
    assert_eq!(app.stream_len(EVENTS).await, 0);
    assert_eq!(app.get_json("/v1/events").await["data"], json!([]));
    assert_eq!(app.stream_len(QUARANTINE).await, 2);
    let counted = r#"shiprelay_ingest_requests_total{outcome="quarantined",source="shop"}"#;
    assert_eq!(app.metric(counted).await, 2.0);

    let shallower = nested_payload(122);
    let response = app
        .post_ingest("shop", &shallower, &signed(&shallower))
        .await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["accepted"], 1, "{answer}");
    assert!(answer.get("quarantined").is_none(), "{answer}");
    let id = answer["events"][0].as_str().unwrap().to_string();
    let event = app.get_json(&format!("/v1/events/{id}")).await;
    assert_eq!(event["id"], id.as_str());
    let payload: Value = serde_json::from_slice(&shallower).unwrap();
    assert_eq!(event["data"]["raw"], payload);
    let listed = app.get_json("/v1/events").await;
    assert_eq!(listed["data"][0]["id"], id.as_str());
    let received = sink.wait_for(1, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        sink.received().len(),
        1,
        "only the storable event is delivered"
    );
    assert_eq!(received[0].webhook_id(), id);
    assert_eq!(app.stream_len(QUARANTINE).await, 2);
}
