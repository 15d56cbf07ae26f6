//! Order per subject: an ordered subscription gets each subject's events one at a time, in the
//! order shiprelay accepted them, however often its endpoint fails; an unordered one on the same
//! events is not held back; a dead-lettered head lets its lane move on. `scripts/test` runs these
//! on a Redis Cluster too.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::sink::{Answer, Sink};

fn tracking_event(id: &str, tracking: &str, status: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": id, "type": "tracking.updated", "createdAt": "2026-03-10T14:30:00Z",
        "data": {"trackingNumber": tracking, "carrier": "ups", "status": status}
    }))
    .unwrap()
}

/// Ingests one FlexOps tracking event; returns our event id.
async fn ingest(app: &TestApp, id: &str, tracking: &str) -> String {
    let body = tracking_event(id, tracking, "in_transit");
    let response = app.ingest_flexops(&body).await;
    assert_eq!(response.status(), 200, "{id}");
    let answer: Value = response.json().await.unwrap();
    answer["events"][0].as_str().unwrap().to_string()
}

async fn subscribe(app: &TestApp, sink: &Sink, extra: Value) -> String {
    app.subscribe_to(&sink.url, extra).await
}

async fn get(app: &TestApp, path: &str) -> Value {
    app.get_json(path).await
}

#[tokio::test]
async fn each_subjects_events_arrive_in_accepted_order_through_random_failures() {
    const SUBJECTS: usize = 200;
    const PER_SUBJECT: usize = 20;
    let app = spawn_app_with(|toml| {
        toml.replace(
            "per_subscription_in_flight = 4",
            "per_subscription_in_flight = 16",
        )
    })
    .await;
    let flaky = Sink::start().await;
    flaky.fail_randomly(0.3);
    let steady = Sink::start().await;
    let ordered = subscribe(&app, &flaky, json!({"ordering": "subject"})).await;
    subscribe(&app, &steady, json!({})).await;
    // Each subject's events are posted one after another (so their accepted order is known),
    // the subjects all at once.
    let posts = (0..SUBJECTS).map(|s| {
        let app = &app;
        async move {
            let tracking = format!("1ZORDER{s:05}");
            let mut accepted = Vec::new();
            for n in 0..PER_SUBJECT {
                accepted.push(ingest(app, &format!("ord-{s}-{n}"), &tracking).await);
            }
            (format!("ups:{tracking}"), accepted)
        }
    });
    let accepted: HashMap<String, Vec<String>> = futures_util::future::join_all(posts)
        .await
        .into_iter()
        .collect();
    let total = SUBJECTS * PER_SUBJECT;
    steady
        .wait_for_distinct(total, Duration::from_secs(120))
        .await;
    // Every event ends delivered or dead-lettered (four attempts, each failing 30 %).
    let dead_letters = || async {
        let page = get(&app, "/v1/dead-letters?pageSize=100").await;
        page["data"].as_array().unwrap().len()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(180);
    loop {
        let delivered = flaky.first_successes().len();
        let dead = dead_letters().await;
        if delivered + dead >= total {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{delivered} delivered + {dead} dead of {total}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let position: HashMap<&str, (&str, usize)> = accepted
        .iter()
        .flat_map(|(subject, ids)| {
            ids.iter()
                .enumerate()
                .map(move |(i, id)| (id.as_str(), (subject.as_str(), i)))
        })
        .collect();
    let mut last: HashMap<&str, usize> = HashMap::new();
    let successes = flaky.first_successes();
    for receipt in &successes {
        let (subject, index) = position[receipt.webhook_id()];
        if let Some(&before) = last.get(subject) {
            assert!(
                index > before,
                "{subject}: event #{index} succeeded after #{before}"
            );
        }
        last.insert(subject, index);
    }
    assert!(
        successes.len() > total * 9 / 10,
        "most events were delivered: {}",
        successes.len()
    );
    let failed = flaky.received().iter().filter(|r| r.status == 503).count();
    assert!(failed > total / 5, "the endpoint did fail: {failed}");
    // Nothing waits any more.
    let sub = get(&app, &format!("/v1/subscriptions/{ordered}")).await;
    assert_eq!(sub["backlog"]["ordered"], 0, "{sub}");
    assert_eq!(sub["ordering"], "subject");
}

#[tokio::test]
async fn a_dead_lettered_head_lets_its_lane_move_on_and_says_how_many_passed_it() {
    // One attempt each: the first failure dead-letters.
    let app = spawn_app_with(|toml| toml.replace("max_attempts = 4", "max_attempts = 1")).await;
    let sink = Sink::start().await;
    // The first event's attempt takes a while, then fails.
    sink.then([Answer {
        delay: Duration::from_millis(1500),
        ..Answer::status(500)
    }]);
    let id = subscribe(&app, &sink, json!({"ordering": "subject"})).await;
    let first = ingest(&app, "head-1", "1ZHEAD").await;
    sink.wait_for(1, Duration::from_secs(10)).await;
    let second = ingest(&app, "head-2", "1ZHEAD").await;
    let third = ingest(&app, "head-3", "1ZHEAD").await;
    // Another subject is not held back meanwhile.
    let other = ingest(&app, "other-1", "1ZOTHER").await;
    let received = sink.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(received[1].webhook_id(), other);
    let sub = get(&app, &format!("/v1/subscriptions/{id}")).await;
    assert_eq!(
        sub["backlog"]["ordered"], 2,
        "two wait behind the head: {sub}"
    );
    assert!(sub["backlog"]["oldestWaitingSeconds"].as_f64().unwrap() >= 0.0);
    let received = sink.wait_for(4, Duration::from_secs(20)).await;
    let order: Vec<&str> = received.iter().map(|r| r.webhook_id()).collect();
    assert_eq!(order, [first.as_str(), &other, &second, &third]);
    let dead = get(&app, "/v1/dead-letters").await;
    let letters = dead["data"].as_array().unwrap();
    assert_eq!(letters.len(), 1, "{dead}");
    assert_eq!(letters[0]["eventId"], first);
    assert_eq!(letters[0]["passedBy"], 2, "{dead}");
    let sub = get(&app, &format!("/v1/subscriptions/{id}")).await;
    assert_eq!(sub["backlog"]["ordered"], 0, "{sub}");
    assert_eq!(sub["backlog"]["oldestWaitingSeconds"], Value::Null, "{sub}");
    // Redriven, it joins the tail of its lane: after the events that passed it.
    let response = app
        .call_json(
            Method::POST,
            "/v1/dead-letters/redrive",
            &json!({"ids": [letters[0]["id"]]}),
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let received = sink.wait_for(5, Duration::from_secs(20)).await;
    assert_eq!(received[4].webhook_id(), first);
    assert_eq!(received[4].status, 200);
}

#[tokio::test]
async fn replayed_events_join_the_tail_of_their_lane_in_their_original_order() {
    let app = spawn_app().await;
    let sink = Sink::start().await;
    let id = subscribe(&app, &sink, json!({"ordering": "subject"})).await;
    let first = ingest(&app, "replay-1", "1ZREPLAY").await;
    let second = ingest(&app, "replay-2", "1ZREPLAY").await;
    sink.wait_for(2, Duration::from_secs(10)).await;
    // Hold the lane with a slow head (inside the 1 s delivery timeout), then replay all three
    // behind it.
    sink.then([Answer {
        delay: Duration::from_millis(600),
        ..Answer::status(200)
    }]);
    let third = ingest(&app, "replay-3", "1ZREPLAY").await;
    sink.wait_for(3, Duration::from_secs(10)).await;
    let since = (chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc3339();
    let response = app
        .call_json(
            Method::POST,
            &format!("/v1/subscriptions/{id}/replay"),
            &json!({"since": since}),
        )
        .await;
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    let received = sink.wait_for(6, Duration::from_secs(20)).await;
    let order: Vec<&str> = received.iter().map(|r| r.webhook_id()).collect();
    assert_eq!(
        order,
        [first.as_str(), &second, &third, &first, &second, &third]
    );
}
