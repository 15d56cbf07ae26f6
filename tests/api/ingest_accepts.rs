//! Each provider kind and generic scheme: a correctly signed webhook is stored as a CloudEvent.

use serde_json::{Value, json};

use crate::helpers::*;

/// Posts, expects 200 with one event, and returns the stored CloudEvent.
async fn accept_one(app: &TestApp, source: &str, body: &[u8], headers: &[(&str, String)]) -> Value {
    let response = app.post_ingest(source, body, headers).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    assert!(response.headers().get("idempotent-replayed").is_none());
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["accepted"], 1);
    let id = answer["events"][0].as_str().unwrap().to_string();
    assert!(id.starts_with("evt_") && id.len() == 30, "{id}");
    let stored = app.stored_events().await;
    let event = stored
        .into_iter()
        .find(|e| e["id"] == id.as_str())
        .expect("the acknowledged event is in {test}:events");
    assert_eq!(event["specversion"], "1.0");
    assert_eq!(event["source"], format!("shiprelay/{source}"));
    assert_eq!(event["datacontenttype"], "application/json");
    let raw: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(
        event["data"]["raw"], raw,
        "raw is the provider payload unchanged"
    );
    event
}

#[tokio::test]
async fn flexport_v1_shipment_event_is_stored() {
    let app = spawn_app().await;
    let body = fixture("flexport_v1/shipment_departed.json");
    let event = accept_one(&app, "flexport", &body, &flexport_v1_headers(&body)).await;
    assert_eq!(event["type"], "shipment.departed");
    assert_eq!(event["data"]["kind"], "shipment");
    assert_eq!(event["data"]["provider"]["name"], "flexport_v1");
    assert!(
        event["subject"]
            .as_str()
            .unwrap()
            .starts_with("flexport:shipment:")
    );
}

#[tokio::test]
async fn flexport_v1_ping_is_accepted() {
    let app = spawn_app().await;
    let body = fixture("flexport_v1/ping.json");
    let event = accept_one(&app, "flexport", &body, &flexport_v1_headers(&body)).await;
    assert_eq!(event["type"], "ping");
}

#[tokio::test]
async fn flexport_v1_verifies_with_the_second_secret_during_rotation() {
    // The test config lists "newer-secret" first and the Flexport secret second.
    let app = spawn_app().await;
    let body = fixture("flexport_v1/ping.json");
    let with_newer = vec![(
        "X-Hub-Signature",
        format!("sha1={}", hmac_sha1_hex("newer-secret", &body)),
    )];
    assert_eq!(
        app.post_ingest("flexport", &body, &with_newer)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn flexport_v2_prefers_the_sha256_signature() {
    let app = spawn_app().await;
    let body = fixture("flexport_v2/transit_departed.json");
    let headers = vec![
        (
            "X-Hub-Signature-256",
            format!("sha256={}", hmac_sha256_hex(FLEXPORT_SECRET, &body)),
        ),
        (
            "X-Hub-Signature",
            format!("sha1={}", hmac_sha1_hex(FLEXPORT_SECRET, &body)),
        ),
    ];
    let event = accept_one(&app, "flexport-v2", &body, &headers).await;
    assert_eq!(event["type"], "shipment.departed");
    assert_eq!(event["data"]["milestone"], "departed");
    assert_eq!(
        event["data"]["provider"]["event_type"],
        "/shipment_leg#departed"
    );

    // A wrong -256 signature is refused even though the SHA-1 one is right.
    let other = fixture("flexport_v2/transit_arrived.json");
    let headers = vec![
        ("X-Hub-Signature-256", hmac_sha256_hex("wrong", &other)),
        ("X-Hub-Signature", hmac_sha1_hex(FLEXPORT_SECRET, &other)),
    ];
    assert_eq!(
        app.post_ingest("flexport-v2", &other, &headers)
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn flexport_v2_bare_sha1_hex_is_accepted() {
    let app = spawn_app().await;
    let body = br#"{"_object":"/event","id":1,"type":"/shipment_leg#departed"}"#;
    // The providers.md vector: this body with secret s3cr3t.
    let headers = vec![(
        "X-Hub-Signature",
        "e7487f435580a4dddefdde39d53e2b6597104cf2".to_string(),
    )];
    let event = accept_one(&app, "flexport-v2", body, &headers).await;
    assert_eq!(event["type"], "shipment.departed");
    assert_eq!(event["data"]["provider"]["event_id"], "1");
}

#[tokio::test]
async fn flexport_v2_unknown_milestone_is_stored_as_unmapped() {
    let app = spawn_app().await;
    let body = fixture("flexport_v2/unknown_type.json");
    let headers = vec![(
        "X-Hub-Signature-256",
        hmac_sha256_hex(FLEXPORT_SECRET, &body),
    )];
    let event = accept_one(&app, "flexport-v2", &body, &headers).await;
    assert_eq!(event["type"], "provider.unmapped");
}

#[tokio::test]
async fn flexport_logistics_accepts_the_token_header_and_basic_credentials() {
    let app = spawn_app().await;
    let body = fixture("flexport_logistics/parcel_tracking_updated.json");
    let event = accept_one(
        &app,
        "logistics",
        &body,
        &[("X-Relay-Token", LOGISTICS_TOKEN.into())],
    )
    .await;
    assert!(event["type"].as_str().unwrap().starts_with("tracking."));
    assert_eq!(event["data"]["kind"], "tracking");
    assert!(event["data"]["carrier"].is_string());

    let body = fixture("flexport_logistics/order_shipped.json");
    let basic = base64_encode(&format!("flexport:{LOGISTICS_TOKEN}"));
    let event = accept_one(
        &app,
        "logistics",
        &body,
        &[("Authorization", format!("Basic {basic}"))],
    )
    .await;
    assert_eq!(event["type"], "order.shipped");
    assert_eq!(event["data"]["kind"], "order");
}

#[tokio::test]
async fn flexops_tracking_event_is_stored_with_carrier_subject() {
    let app = spawn_app().await;
    let body = fixture("flexops/tracking_updated.json");
    let event = accept_one(&app, "flexops", &body, &flexops_headers(&body)).await;
    assert_eq!(event["type"], "tracking.updated");
    assert_eq!(event["data"]["kind"], "tracking");
    let carrier = event["data"]["carrier"].as_str().unwrap();
    let number = event["data"]["tracking_number"].as_str().unwrap();
    assert_eq!(event["subject"], format!("{carrier}:{number}"));
    assert!(event["data"]["status"].is_string());
}

#[tokio::test]
async fn flexops_published_vector_verifies() {
    let app = spawn_app().await;
    let body = br#"{"id":"evt_abc123","type":"tracking.updated"}"#;
    let headers = vec![(
        "X-FlexOps-Signature",
        "1e2a4307cf41001830ed6263fd1dbaa3be5375501a606be2b55af96cff5bc219".to_string(),
    )];
    let response = app.post_ingest("flexops", body, &headers).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn generic_standard_webhooks_source_uses_its_pointers() {
    let app = spawn_app().await;
    let body = serde_json::to_vec(&json!({
        "id": "msg_42", "type": "order.cancelled", "subject": "order:991",
        "time": "2026-03-10T14:30:00Z", "data": {"order": 991}
    }))
    .unwrap();
    let headers = standard_webhooks_headers(STANDARD_SECRET, "msg_42", now(), &body);
    let event = accept_one(&app, "standard", &body, &headers).await;
    assert_eq!(event["type"], "order.cancelled");
    assert_eq!(event["subject"], "order:991");
    assert_eq!(event["time"], "2026-03-10T14:30:00Z");
    assert_eq!(event["data"]["provider"]["event_id"], "msg_42");
}

#[tokio::test]
async fn generic_stripe_and_shopify_style_sources_verify() {
    let app = spawn_app().await;
    let body = br#"{"id":"ch_1","type":"invoice.updated"}"#;
    let t = now();
    let signed = [t.to_string().as_bytes(), b".", body.as_slice()].concat();
    let header = format!("t={t},v1={}", hmac_sha256_hex(STRIPE_SECRET, &signed));
    let event = accept_one(&app, "stripe-like", body, &[("Stripe-Signature", header)]).await;
    assert_eq!(event["type"], "invoice.updated");

    let body = br#"{"type":"orders/create","id":5}"#;
    let headers = vec![(
        "X-Shopify-Hmac-Sha256",
        hmac_sha256_base64(SHOP_SECRET, body),
    )];
    let event = accept_one(&app, "shop", body, &headers).await;
    assert_eq!(event["type"], "provider.unmapped");
    assert_eq!(event["data"]["provider"]["event_type"], "orders/create");
}

#[tokio::test]
async fn events_total_counts_accepted_events_by_type() {
    let app = spawn_app().await;
    let body = fixture("flexport_v1/ping.json");
    app.post_ingest("flexport", &body, &flexport_v1_headers(&body))
        .await;
    assert_eq!(
        app.metric(r#"shiprelay_events_total{source="flexport",type="ping"}"#)
            .await,
        1.0
    );
    assert_eq!(
        app.metric(r#"shiprelay_ingest_requests_total{outcome="accepted",source="flexport"}"#)
            .await,
        1.0
    );
}

fn base64_encode(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}
