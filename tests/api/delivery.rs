//! Delivery end to end: real subscribers (tests/api/sink.rs), signatures checked by an
//! independent implementation (the `standardwebhooks` crate), retries, dead letters, replay.

use std::collections::HashSet;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::sink::{Answer, Sink};
use crate::store::{self, Store};

const WAIT: Duration = Duration::from_secs(20);

fn flexops_event(id: &str, kind: &str, carrier: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": id, "type": kind, "createdAt": "2026-03-10T14:30:00Z",
        "data": {"trackingNumber": "1Z999AA10123456784", "carrier": carrier, "status": "in_transit"}
    }))
    .unwrap()
}

async fn ingest(app: &TestApp, id: &str) -> String {
    ingest_kind(app, id, "tracking.updated", "ups").await
}

async fn ingest_kind(app: &TestApp, id: &str, kind: &str, carrier: &str) -> String {
    let body = flexops_event(id, kind, carrier);
    let response = app.ingest_flexops(&body).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    answer["events"][0].as_str().unwrap().to_string()
}

async fn subscribe(app: &TestApp, sink: &Sink, extra: Value) -> Value {
    let mut body = json!({"url": sink.url, "events": ["*"]});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    app.create_subscription(body).await
}

async fn deliveries(app: &TestApp, id: &str) -> Vec<Value> {
    let page: Value = app
        .api(
            Method::GET,
            &format!("/v1/subscriptions/{id}/deliveries?pageSize=100"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["data"].as_array().unwrap().clone()
}

async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + WAIT;
    while !check().await {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn events_arrive_signed_per_standard_webhooks() {
    let app = spawn_app().await;
    let sink = Sink::start().await;
    let sub = subscribe(&app, &sink, json!({"headers": {"X-Team": "wh-1"}})).await;
    let event_id = ingest(&app, "e1").await;

    let received = sink.wait_for(1, WAIT).await;
    let request = &received[0];
    assert_eq!(request.webhook_id(), event_id);
    assert_eq!(request.headers["content-type"], "application/json");
    assert!(request.headers["user-agent"].starts_with("shiprelay/"));
    assert_eq!(request.headers["x-team"], "wh-1");
    let stored = app.stored_events().await;
    assert_eq!(
        request.json(),
        stored[0],
        "the body is the stored CloudEvent"
    );
    let secret = sub["secret"].as_str().unwrap();
    standardwebhooks::Webhook::new(secret)
        .unwrap()
        .verify(&request.body, &request.header_map())
        .expect("an independent Standard Webhooks implementation verifies the signature");

    eventually("the delivery log", || async {
        deliveries(&app, sub["id"].as_str().unwrap()).await.len() == 1
    })
    .await;
    let log = deliveries(&app, sub["id"].as_str().unwrap()).await;
    assert_eq!(log[0]["result"], "delivered");
    assert_eq!(log[0]["status"], 200);
    assert_eq!(log[0]["eventId"], event_id);
    assert_eq!(log[0]["response"], "answered 200");
    assert_eq!(
        app.metric(r#"shiprelay_delivery_attempts_total{outcome="delivered"}"#)
            .await,
        1.0
    );
}

#[tokio::test]
async fn only_matching_subscriptions_receive_an_event() {
    let app = spawn_app().await;
    let (all, tracking, orders, fedex, other_source) = (
        Sink::start().await,
        Sink::start().await,
        Sink::start().await,
        Sink::start().await,
        Sink::start().await,
    );
    subscribe(&app, &all, json!({})).await;
    subscribe(&app, &tracking, json!({"events": ["tracking.*"]})).await;
    subscribe(&app, &orders, json!({"events": ["order.shipped"]})).await;
    subscribe(&app, &fedex, json!({"carriers": ["fedex"]})).await;
    subscribe(&app, &other_source, json!({"sources": ["flexport"]})).await;

    ingest_kind(&app, "e1", "tracking.updated", "ups").await;
    ingest_kind(&app, "e2", "tracking.delivered", "fedex").await;
    ingest_kind(&app, "e3", "label.created", "ups").await;

    all.wait_for(3, WAIT).await;
    tracking.wait_for(2, WAIT).await;
    fedex.wait_for(1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let types = |sink: &Sink| -> Vec<String> {
        let mut t: Vec<String> = sink
            .received()
            .iter()
            .map(|r| r.json()["type"].as_str().unwrap().to_string())
            .collect();
        t.sort();
        t
    };
    assert_eq!(
        types(&all),
        ["label.created", "tracking.delivered", "tracking.updated"]
    );
    assert_eq!(types(&tracking), ["tracking.delivered", "tracking.updated"]);
    assert_eq!(types(&fedex), ["tracking.delivered"]);
    assert!(orders.received().is_empty());
    assert!(other_source.received().is_empty());
}

#[tokio::test]
async fn a_failing_subscriber_gets_retries_until_it_recovers() {
    let app = spawn_app().await;
    let sink = Sink::start().await;
    sink.then([
        Answer::status(500),
        Answer::status(502),
        Answer::status(400),
    ]);
    let sub = subscribe(&app, &sink, json!({})).await;
    let event_id = ingest(&app, "e1").await;

    let received = sink.wait_for(4, WAIT).await;
    assert!(
        received.iter().all(|r| r.webhook_id() == event_id),
        "the same event, with the same webhook-id"
    );
    let id = sub["id"].as_str().unwrap();
    eventually("four logged attempts", || async {
        deliveries(&app, id).await.len() == 4
    })
    .await;
    let log = deliveries(&app, id).await;
    let results: Vec<(&str, u64)> = log
        .iter()
        .rev()
        .map(|a| {
            (
                a["result"].as_str().unwrap(),
                a["attempt"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        results,
        [("retry", 1), ("retry", 2), ("retry", 3), ("delivered", 4)]
    );
    assert!(log[3]["nextAttemptAt"].is_string());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.received().len(), 4, "nothing after success");
}

#[tokio::test]
async fn retry_after_on_429_is_honoured() {
    let app = spawn_app().await;
    let sink = Sink::start().await;
    sink.then([Answer {
        status: 429,
        retry_after: Some("2"),
        delay: Duration::ZERO,
    }]);
    subscribe(&app, &sink, json!({})).await;
    ingest(&app, "e1").await;
    let received = sink.wait_for(2, WAIT).await;
    let gap = received[1].at - received[0].at;
    // Without Retry-After the next attempt would come within the 100 ms-1 s backoff ceiling.
    assert!(
        gap >= Duration::from_millis(1900),
        "retried after {gap:?}, before Retry-After"
    );
}

#[tokio::test]
async fn gone_disables_the_subscription_and_keeps_the_job() {
    let app = spawn_app().await;
    let sink = Sink::start().await;
    sink.answer(Answer::status(410));
    let sub = subscribe(&app, &sink, json!({})).await;
    let id = sub["id"].as_str().unwrap();
    ingest(&app, "e1").await;
    eventually("the subscription disabled", || async {
        let s: Value = app.get_json(&format!("/v1/subscriptions/{id}")).await;
        s["enabled"] == false
    })
    .await;
    let s: Value = app.get_json(&format!("/v1/subscriptions/{id}")).await;
    assert!(s["disabledReason"].as_str().unwrap().contains("410"), "{s}");
    // The relay's own change is in the audit log, said to be the relay's.
    let audit: Value = app.get_json("/v1/audit").await;
    let disabled: Vec<&Value> = audit["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "subscription.disabled")
        .collect();
    assert_eq!(disabled.len(), 1, "{audit}");
    assert_eq!(disabled[0]["actor"], "shiprelay");
    assert_eq!(disabled[0]["target"], id);
    assert_eq!(disabled[0]["tenant"], sub["tenant"]);
    let dead: Value = app.get_json("/v1/dead-letters").await;
    assert_eq!(dead["data"].as_array().unwrap().len(), 1);
    assert_eq!(dead["data"][0]["subscriptionId"], id);

    // While disabled it is not routed new events; they stay in the events stream, and a range
    // replay after re-enabling delivers them.
    let since = chrono::Utc::now();
    let e2 = ingest(&app, "e2").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.received().len(), 1);
    sink.answer(Answer::status(200));
    let enabled: Value = app
        .call_json(
            Method::PATCH,
            &format!("/v1/subscriptions/{id}"),
            &json!({"enabled": true}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(enabled["disabledReason"], Value::Null);
    let replay = app
        .call_json(
            Method::POST,
            &format!("/v1/subscriptions/{id}/replay"),
            &json!({"since": since.to_rfc3339()}),
        )
        .await;
    assert_eq!(replay.status(), 202);
    assert_eq!(sink.wait_for(2, WAIT).await[1].webhook_id(), e2);
}

#[tokio::test]
async fn timeouts_are_retried_and_logged() {
    let app = spawn_app().await; // delivery timeout 1 s
    let sink = Sink::start().await;
    sink.then([Answer {
        status: 200,
        retry_after: None,
        delay: Duration::from_secs(3),
    }]);
    let sub = subscribe(&app, &sink, json!({})).await;
    ingest(&app, "e1").await;
    sink.wait_for(2, WAIT).await;
    let id = sub["id"].as_str().unwrap();
    eventually("the delivered attempt", || async {
        deliveries(&app, id)
            .await
            .iter()
            .any(|a| a["result"] == "delivered")
    })
    .await;
    let log = deliveries(&app, id).await;
    let first = log.last().unwrap();
    assert_eq!(first["outcome"], "timeout");
    assert_eq!(first["result"], "retry");
    assert!(first["status"].is_null());
}

#[tokio::test]
async fn exhausted_jobs_are_dead_lettered_then_redriven() {
    let app = spawn_app().await; // max_attempts 4
    let sink = Sink::start().await;
    sink.answer(Answer::status(500));
    let sub = subscribe(&app, &sink, json!({})).await;
    let event_id = ingest(&app, "e1").await;
    eventually("a dead letter", || async {
        let dead: Value = app.get_json("/v1/dead-letters").await;
        dead["data"].as_array().unwrap().len() == 1
    })
    .await;
    assert_eq!(sink.received().len(), 4);
    let dead: Value = app.get_json("/v1/dead-letters").await;
    let letter = &dead["data"][0];
    assert_eq!(letter["eventId"], event_id);
    assert_eq!(letter["subscriptionId"], sub["id"]);
    assert_eq!(letter["attempts"], 4);
    assert!(
        letter["reason"].as_str().unwrap().contains("HTTP 500"),
        "{letter}"
    );
    assert_eq!(letter["event"]["id"], event_id);

    sink.answer(Answer::status(200));
    let redrive = app
        .call_json(
            Method::POST,
            "/v1/dead-letters/redrive",
            &json!({"subscriptionId": sub["id"]}),
        )
        .await;
    assert_eq!(redrive.status(), 200);
    let redriven = redrive.json::<Value>().await.unwrap();
    assert_eq!(
        (&redriven["redriven"], &redriven["more"]),
        (&json!(1), &json!(false)),
        "{redriven}"
    );
    sink.wait_for(5, WAIT).await;
    let dead: Value = app.get_json("/v1/dead-letters").await;
    assert_eq!(dead["data"], json!([]));
    // Redriving again finds nothing: no double delivery.
    let again: Value = app
        .call_json(
            Method::POST,
            "/v1/dead-letters/redrive",
            &json!({"all": true}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["redriven"], 0);
    let bad = app
        .call_json(Method::POST, "/v1/dead-letters/redrive", &json!({}))
        .await;
    assert_problem(bad, 422, "validation-failed").await;
}

#[tokio::test]
async fn events_and_time_ranges_can_be_replayed() {
    let app = spawn_app().await;
    let (a, b) = (Sink::start().await, Sink::start().await);
    let sub_a = subscribe(&app, &a, json!({})).await;
    let sub_b = subscribe(&app, &b, json!({"events": ["order.shipped"]})).await;
    let since = chrono::Utc::now() - chrono::Duration::seconds(1);
    let e1 = ingest(&app, "e1").await;
    ingest(&app, "e2").await;
    a.wait_for(2, WAIT).await;

    let replay = app
        .call(Method::POST, &format!("/v1/events/{e1}/replay"))
        .await;
    assert_eq!(replay.status(), 202);
    assert_eq!(
        replay.json::<Value>().await.unwrap()["jobs"],
        1,
        "only the matching subscription"
    );
    let received = a.wait_for(3, WAIT).await;
    assert_eq!(received[2].webhook_id(), e1, "a replay keeps the event id");

    // To one subscription, whatever its filters.
    let to_b = app
        .call_json(
            Method::POST,
            &format!("/v1/events/{e1}/replay"),
            &json!({"subscriptionId": sub_b["id"]}),
        )
        .await;
    assert_eq!(to_b.status(), 202);
    assert_eq!(b.wait_for(1, WAIT).await[0].webhook_id(), e1);
    let unknown = app
        .call_json(
            Method::POST,
            &format!("/v1/events/{e1}/replay"),
            &json!({"subscriptionId": "sub_nope"}),
        )
        .await;
    assert_problem(unknown, 404, "not-found").await;

    let range = app
        .api(
            Method::POST,
            &format!("/v1/subscriptions/{}/replay", sub_a["id"].as_str().unwrap()),
        )
        .json(&json!({"since": since.to_rfc3339()}))
        .send()
        .await
        .unwrap();
    assert_eq!(range.status(), 202);
    let result: Value = range.json().await.unwrap();
    assert_eq!(result["jobs"], 2);
    assert_eq!(result["complete"], true);
    a.wait_for(5, WAIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        b.received().len(),
        1,
        "the range replay was for subscription a only"
    );

    let missing = app.call(Method::POST, "/v1/events/evt_nope/replay").await;
    assert_problem(missing, 404, "not-found").await;
}

#[tokio::test]
async fn a_slow_subscriber_does_not_delay_a_fast_one() {
    let app = spawn_app().await; // 4 in flight per subscription, 16 in all
    let (slow, fast) = (Sink::start().await, Sink::start().await);
    slow.answer(Answer {
        status: 200,
        retry_after: None,
        delay: Duration::from_millis(900),
    });
    subscribe(&app, &slow, json!({})).await;
    subscribe(&app, &fast, json!({})).await;
    for i in 0..30 {
        ingest(&app, &format!("e{i}")).await;
    }
    fast.wait_for(30, WAIT).await;
    let slow_so_far = slow.received().len();
    assert!(
        slow_so_far < 30,
        "the fast subscriber finished while the slow one had {slow_so_far}"
    );
    slow.wait_for_distinct(30, Duration::from_secs(30)).await;
}

#[tokio::test]
async fn during_rotation_both_secrets_sign() {
    let app = spawn_app().await;
    let sink = Sink::start().await;
    let sub = subscribe(&app, &sink, json!({})).await;
    let rotated: Value = app
        .api(
            Method::POST,
            &format!(
                "/v1/subscriptions/{}/rotate-secret",
                sub["id"].as_str().unwrap()
            ),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    ingest(&app, "e1").await;
    let received = sink.wait_for(1, WAIT).await;
    let signatures = &received[0].headers["webhook-signature"];
    assert_eq!(signatures.split(' ').count(), 2, "{signatures}");
    for secret in [
        sub["secret"].as_str().unwrap(),
        rotated["secret"].as_str().unwrap(),
    ] {
        standardwebhooks::Webhook::new(secret)
            .unwrap()
            .verify(&received[0].body, &received[0].header_map())
            .expect("each secret verifies");
    }
}

#[tokio::test]
async fn private_targets_are_refused_unless_allowed() {
    let app = spawn_app_with(|toml| {
        toml.replace(
            "allow_private_targets = true",
            "allow_private_targets = false",
        )
    })
    .await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://169.254.169.254/latest",
        "http://10.1.2.3/x",
        "http://[::1]:9/x",
    ] {
        let response = app
            .call_json(
                Method::POST,
                "/v1/subscriptions",
                &json!({"url": url, "events": ["*"]}),
            )
            .await;
        let problem = assert_problem(response, 422, "validation-failed").await;
        assert_eq!(problem["errors"][0]["field"], "url", "{url}: {problem}");
    }
}

#[tokio::test]
async fn delivery_time_guard_refuses_what_slipped_past_subscription() {
    // One process allowed private targets when the subscription was made; the delivering
    // process does not: the target is refused at delivery and dead-lettered, never contacted.
    let app = spawn_app().await;
    let sink = Sink::start().await;
    let sub = subscribe(&app, &sink, json!({})).await;
    app.stop().await;
    let guarded = app
        .spawn_second_with(|toml| {
            toml.replace(
                "allow_private_targets = true",
                "allow_private_targets = false",
            )
        })
        .await;
    let body = flexops_event("e1", "tracking.updated", "ups");
    let response = reqwest::Client::new()
        .post(format!("{}/ingest/flexops", guarded.address))
        .header(
            "X-FlexOps-Signature",
            hmac_sha256_hex(FLEXOPS_SECRET, &body),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    eventually("the refused job dead-lettered", || async {
        let dead: Value = reqwest::Client::new()
            .get(format!("{}/v1/dead-letters", guarded.address))
            .header("X-API-Key", API_KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        dead["data"].as_array().unwrap().len() == 1
            && dead["data"][0]["reason"]
                .as_str()
                .unwrap()
                .contains("refused")
    })
    .await;
    assert!(
        sink.received().is_empty(),
        "the forbidden target was never contacted"
    );
    let _ = sub;
}

#[tokio::test]
async fn consumer_groups_come_back_after_redis_loses_its_data() {
    let app = spawn_app().await;
    let sink = Sink::start().await;
    subscribe(&app, &sink, json!({})).await;
    ingest(&app, "e1").await;
    sink.wait_for(1, WAIT).await;

    let _: () = Store::on(app.conn().await).run("FLUSHALL", "SYNC").await;
    subscribe(&app, &sink, json!({})).await;
    ingest(&app, "e2").await;
    sink.wait_for(2, WAIT).await;
}

#[tokio::test]
async fn worker_and_ingest_roles_split_the_work() {
    let app =
        spawn_app_with(|toml| toml.replace("workers = 2", "workers = 2\nrole = \"ingest\"")).await;
    let sink = Sink::start().await;
    subscribe(&app, &sink, json!({})).await;
    ingest(&app, "e1").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        sink.received().is_empty(),
        "an ingest-only process delivers nothing"
    );

    let worker = app
        .spawn_second_with(|toml| toml.replace("role = \"ingest\"", "role = \"worker\""))
        .await;
    sink.wait_for(1, WAIT).await;
    let client = reqwest::Client::new();
    let health = client
        .get(format!("{}/healthz", worker.address))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let api = client
        .get(format!("{}/v1/subscriptions", worker.address))
        .header("X-API-Key", API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 404, "a worker serves no API");
}

#[tokio::test]
async fn every_event_reaches_every_subscriber_at_least_once_across_processes() {
    let app = spawn_app().await;
    let (a, b) = (Sink::start().await, Sink::start().await);
    subscribe(&app, &a, json!({})).await;
    subscribe(&app, &b, json!({})).await;
    let _second = app.spawn_second().await;
    let mut ids = HashSet::new();
    for i in 0..100 {
        ids.insert(ingest(&app, &format!("e{i}")).await);
    }
    for sink in [&a, &b] {
        let received = sink.wait_for_distinct(100, WAIT).await;
        let got: HashSet<String> = received
            .iter()
            .map(|r| r.webhook_id().to_string())
            .collect();
        assert_eq!(got, ids);
    }
}

#[tokio::test]
async fn a_subscription_failing_for_too_long_is_disabled() {
    let app = spawn_app_with(|toml| {
        toml.replace("[delivery]", "[delivery]\ndisable_after_failing_secs = 1")
    })
    .await;
    let sink = Sink::start().await;
    sink.answer(Answer::status(500));
    let sub = subscribe(&app, &sink, json!({})).await;
    let id = sub["id"].as_str().unwrap();
    ingest(&app, "e1").await;
    eventually("the failing subscription disabled", || async {
        let s: Value = app.get_json(&format!("/v1/subscriptions/{id}")).await;
        s["enabled"] == false
    })
    .await;
    let s: Value = app.get_json(&format!("/v1/subscriptions/{id}")).await;
    assert!(
        s["disabledReason"]
            .as_str()
            .unwrap()
            .contains("failing without a success"),
        "{s}"
    );
    assert!(
        sink.received().len() >= 2,
        "it was retried before being disabled"
    );
}

#[tokio::test]
async fn re_enabling_a_subscription_forgets_its_failure_streak() {
    let app = spawn_app_with(|toml| {
        toml.replace("[delivery]", "[delivery]\ndisable_after_failing_secs = 1")
    })
    .await;
    let sink = Sink::start().await;
    sink.answer(Answer::status(500));
    let sub = subscribe(&app, &sink, json!({})).await;
    let id = sub["id"].as_str().unwrap();
    let get = || async {
        app.call(Method::GET, &format!("/v1/subscriptions/{id}"))
            .await
            .json::<Value>()
            .await
            .unwrap()
    };
    ingest(&app, "e1").await;
    eventually("the failing subscription disabled", || async {
        get().await["enabled"] == false
    })
    .await;
    // Its owner fixes the endpoint and enables it again; the endpoint still fails once.
    sink.then([Answer::status(500)]);
    sink.answer(Answer::status(200));
    let response = app
        .call_json(
            Method::PATCH,
            &format!("/v1/subscriptions/{id}"),
            &json!({"enabled": true}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let before = sink.received().len();
    let e2 = ingest(&app, "e2").await;
    eventually("e2 delivered after one failure", || async {
        sink.received()[before..]
            .iter()
            .any(|r| r.webhook_id() == e2 && r.status == 200)
    })
    .await;
    let statuses: Vec<u16> = sink.received()[before..]
        .iter()
        .filter(|r| r.webhook_id() == e2)
        .map(|r| r.status)
        .collect();
    assert_eq!(
        statuses,
        [500, 200],
        "one failure, then the retry succeeded"
    );
    let s = get().await;
    assert_eq!(
        s["enabled"], true,
        "the first failure after re-enabling did not disable it: {s}"
    );
}

#[tokio::test]
async fn shutdown_finishes_deliveries_in_flight() {
    let app = spawn_app().await;
    let sink = Sink::start().await;
    sink.answer(Answer {
        status: 200,
        retry_after: None,
        delay: Duration::from_millis(700),
    });
    let sub = subscribe(&app, &sink, json!({})).await;
    ingest(&app, "e1").await;
    sink.wait_for(1, WAIT).await; // the delivery is now in flight
    app.stop().await; // what SIGTERM does: HTTP stops, then delivery drains
    let mut redis_store = Store::on(app.conn().await);
    let attempts = store::registry().attempts(sub["id"].as_str().unwrap());
    let log = redis_store.entries(&attempts).await;
    assert_eq!(
        log.len(),
        1,
        "the in-flight attempt was settled before the process stopped"
    );
    assert_eq!(
        pending_jobs(&mut redis_store.conn).await,
        0,
        "nothing left pending"
    );
}

#[tokio::test]
async fn jobs_of_a_deleted_subscription_and_unreadable_jobs_are_discarded() {
    let app = spawn_app().await;
    let sink = Sink::start().await;
    sink.answer(Answer::status(500));
    let sub = subscribe(&app, &sink, json!({})).await;
    ingest(&app, "e1").await;
    sink.wait_for(1, WAIT).await; // the job is now waiting for its retry
    let path = format!("/v1/subscriptions/{}", sub["id"].as_str().unwrap());
    assert_eq!(app.call(Method::DELETE, &path).await.status(), 204);

    let mut redis_store = Store::on(app.conn().await);
    let deliveries = store::partition(0).deliveries();
    redis_store
        .append(&deliveries, "*", &[("job", "not a job")])
        .await;
    let queued = || async {
        let mut conn = app.conn().await;
        let deliveries = count_all(&mut conn, "XLEN", "deliveries").await;
        let retries = count_all(&mut conn, "ZCARD", "retry").await;
        deliveries + retries
    };
    eventually("both jobs discarded", || async { queued().await == 0 }).await;
    let dead = redis_store.count_all("XLEN", "dead").await;
    assert_eq!(
        dead, 0,
        "nothing to redrive for a subscription that no longer exists"
    );
    let attempts_after = sink.received().len();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        sink.received().len(),
        attempts_after,
        "no attempt after the deletion was settled"
    );
}

#[tokio::test]
async fn an_enqueue_with_a_stale_snapshot_leaves_fan_out_to_the_router() {
    let app = spawn_app().await;
    let sink = Sink::start().await;
    subscribe(&app, &sink, json!({})).await;
    // Every partition now holds a version no snapshot has: no enqueue may fan out by itself.
    let mut redis_store = Store::on(app.conn().await);
    for n in 0..TEST_PARTITIONS {
        let copy = store::partition(n).subscriptions_version();
        let _: () = redis_store.run("SET", (copy, 1_000_000)).await;
    }
    let ids: HashSet<String> = {
        let mut ids = HashSet::new();
        for n in 0..12 {
            ids.insert(ingest(&app, &format!("stale-{n}")).await);
        }
        ids
    };
    let received = sink.wait_for_distinct(ids.len(), WAIT).await;
    let delivered: HashSet<String> = received.iter().map(|r| r.webhook_id().into()).collect();
    assert_eq!(delivered, ids, "the router fanned every one out");
    assert_eq!(
        app.stream_len("{test}:routing").await,
        0,
        "and retired them"
    );
}

#[tokio::test]
async fn an_enqueue_with_a_current_snapshot_fans_out_by_itself() {
    let app =
        spawn_app_with(|toml| toml.replace("workers = 2", "workers = 2\nrole = \"ingest\"")).await;
    let sink = Sink::start().await;
    subscribe(&app, &sink, json!({})).await;
    subscribe(&app, &sink, json!({"events": ["order.*"]})).await;
    for n in 0..6 {
        ingest(&app, &format!("fresh-{n}")).await;
    }
    let mut conn = app.conn().await;
    // No router runs here (ingest only): the jobs are there, one per matching subscription, and
    // the events were stored once each.
    assert_eq!(count_all(&mut conn, "XLEN", "routing").await, 0);
    assert_eq!(count_all(&mut conn, "XLEN", "deliveries").await, 6);
    assert_eq!(count_all(&mut conn, "XLEN", "events").await, 6);
}
