//! Upgrade in place: a Redis holding the layout before partitions (everything under `{test}`, as
//! the previous version wrote it: events with group `route`, jobs carrying their events in
//! `deliveries` with group `deliver`, retries, dead letters), with work routed, pending with an
//! old consumer and never read. Every piece of pending work ends delivered or still dead-lettered.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;
use crate::sink::Sink;
use crate::store::{self, Store};

const WAIT: Duration = Duration::from_secs(30);

/// What the old layout holds, by event id.
struct OldWork {
    subscription: String,
    /// Delivered from the old layout: unrouted events, jobs (new and pending), a due retry.
    deliverable: HashSet<String>,
    /// Routed by the old version already (its jobs are elsewhere): not routed again.
    routed: String,
    /// Dead-lettered, and stays so.
    dead: String,
}

/// An ingest-only relay (nothing drains yet) with a subscription, and the old layout written
/// beside it with entries two minutes old (so that, once drained, it counts as idle).
async fn relay_with_old_layout(sink: &Sink) -> (TestApp, OldWork) {
    let app =
        spawn_app_with(|toml| toml.replace("workers = 2", "workers = 2\nrole = \"ingest\"")).await;
    let subscription = app
        .create_subscription(json!({"url": sink.url, "events": ["*"]}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let template: Value = {
        let body = br#"{"id":"template","type":"tracking.updated","data":{"trackingNumber":"1Z999AA10123456784","carrier":"ups"}}"#;
        let response = app.ingest_flexops(body).await;
        assert_eq!(response.status(), 200);
        app.stored_events().await.remove(0)
    };
    let event = |id: &str, subject: &str| {
        let mut event = template.clone();
        event["id"] = json!(id);
        event["subject"] = json!(subject);
        event
    };
    let job = |id: &str, attempt: u32| {
        let event = event(id, &format!("ups:{id}"));
        json!({
            "event_id": id, "subscription_id": subscription, "attempt": attempt,
            "first_attempt_at": if attempt > 1 { json!(event["time"]) } else { Value::Null },
            "subject": event["subject"], "event_time": event["time"],
            "received_at": event["data"]["provider"]["received_at"].clone(),
            "event": event.to_string(),
        })
        .to_string()
    };
    let mut old = Store::on(app.redis.conn().await);
    let legacy = |name: &str| store::registry().legacy(name);
    let old_ms = chrono::Utc::now().timestamp_millis() - 120_000;
    old.create_group(&legacy("events"), "route").await;
    old.create_group(&legacy("deliveries"), "deliver").await;
    for (n, id) in ["evt_old_routed", "evt_old_pending", "evt_old_unread"]
        .iter()
        .enumerate()
    {
        let body = event(id, &format!("ups:{id}")).to_string();
        let fields = [("id", *id), ("type", "tracking.updated"), ("event", &body)];
        old.append(&legacy("events"), &format!("{old_ms}-{n}"), &fields)
            .await;
    }
    for (n, id) in ["evt_old_job", "evt_old_job_pending"].iter().enumerate() {
        let entry = format!("{old_ms}-{n}");
        old.append(&legacy("deliveries"), &entry, &[("job", &job(id, 1))])
            .await;
    }
    let retry = job("evt_old_retry", 2);
    let _: i64 = old.run("ZADD", (legacy("retry"), old_ms, retry)).await;
    let dead = [
        ("job", job("evt_old_dead", 4)),
        ("reason", "HTTP 500".to_string()),
        ("failed_at", old_ms.to_string()),
    ];
    let dead: Vec<(&str, &str)> = dead.iter().map(|(f, v)| (*f, v.as_str())).collect();
    old.append(&legacy("dead"), &format!("{old_ms}-0"), &dead)
        .await;
    // The old router routed the first event and holds the second; an old worker holds a job.
    let read = |group, count, stream| {
        (
            "GROUP",
            group,
            "old-process",
            "COUNT",
            count,
            "STREAMS",
            stream,
            ">",
        )
    };
    let _: redis::Value = old
        .run("XREADGROUP", read("route", 2, legacy("events")))
        .await;
    let first = format!("{old_ms}-0");
    let _: i64 = old.run("XACK", (legacy("events"), "route", first)).await;
    let _: redis::Value = (old)
        .run("XREADGROUP", read("deliver", 1, legacy("deliveries")))
        .await;
    let deliverable = [
        "evt_old_pending",
        "evt_old_unread",
        "evt_old_job",
        "evt_old_job_pending",
        "evt_old_retry",
    ]
    .map(String::from)
    .into_iter()
    .collect();
    (
        app,
        OldWork {
            subscription,
            deliverable,
            routed: "evt_old_routed".into(),
            dead: "evt_old_dead".into(),
        },
    )
}

async fn legacy_keys_left(app: &TestApp) -> usize {
    let names = ["events", "deliveries", "retry", "dead"];
    let keys: Vec<String> = names.iter().map(|n| store::registry().legacy(n)).collect();
    Store::on(app.redis.conn().await).run("EXISTS", keys).await
}

/// Every deliverable old event reaches the sink; the routed one does not come again; the dead
/// letter is listed (in a partition now) and not delivered; the old keys are gone.
async fn check_drained(app: &TestApp, sink: &Sink, old: &OldWork) {
    let received = sink
        .wait_for_distinct(old.deliverable.len() + 1, WAIT)
        .await;
    let got: HashSet<String> = received
        .iter()
        .map(|r| r.webhook_id().to_string())
        .collect();
    for id in &old.deliverable {
        assert!(got.contains(id), "{id} was not delivered: {got:?}");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got: HashSet<String> = sink
        .received()
        .iter()
        .map(|r| r.webhook_id().to_string())
        .collect();
    assert!(
        !got.contains(&old.routed),
        "an event the old version routed was routed again"
    );
    assert!(!got.contains(&old.dead), "a dead letter was delivered");
    let page: Value = app
        .api(
            reqwest::Method::GET,
            &format!("/v1/dead-letters?subscriptionId={}", old.subscription),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let dead: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["event"]["id"].as_str())
        .collect();
    assert_eq!(dead, vec![old.dead.as_str()], "{page}");
    eventually("the old keys are removed", || async {
        legacy_keys_left(app).await == 0
    })
    .await;
}

#[tokio::test]
async fn a_delivering_process_drains_the_layout_before_partitions() {
    let sink = Sink::start().await;
    let (app, old) = relay_with_old_layout(&sink).await;
    let _deliverer = app
        .spawn_second_with(|toml| toml.replace("role = \"ingest\"", ""))
        .await;
    check_drained(&app, &sink, &old).await;
    // A rolling upgrade: a process of the previous version still ingests, after the old keys
    // were removed. Its event is moved too.
    let straggler = app.stored_events().await.remove(0);
    let mut straggler = straggler.clone();
    straggler["id"] = json!("evt_old_straggler");
    let straggler = straggler.to_string();
    let fields = [
        ("id", "evt_old_straggler"),
        ("type", "tracking.updated"),
        ("event", &straggler),
    ];
    (Store::on(app.redis.conn().await))
        .append(&store::registry().legacy("events"), "*", &fields)
        .await;
    eventually("the straggler's event is delivered", || async {
        sink.received()
            .iter()
            .any(|r| r.webhook_id() == "evt_old_straggler")
    })
    .await;
}

#[tokio::test]
async fn shiprelay_migrate_moves_it_by_hand() {
    let sink = Sink::start().await;
    let (app, old) = relay_with_old_layout(&sink).await;
    // The old worker's job is held until it has been idle for the visibility timeout (6 s).
    tokio::time::sleep(Duration::from_millis(6500)).await;
    let path = std::env::temp_dir().join(format!("shiprelay-migrate-{}.toml", app.redis.port));
    std::fs::write(&path, app.toml()).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_shiprelay"))
        .args(["migrate", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{printed} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        printed.contains(
            "moved 2 unrouted event(s), 2 job(s), 1 retry(ies), 1 dead letter(s) into 4 partitions"
        ),
        "{printed}"
    );
    assert!(
        printed.contains("the layout before partitions is gone"),
        "{printed}"
    );
    let _deliverer = app
        .spawn_second_with(|toml| toml.replace("role = \"ingest\"", ""))
        .await;
    check_drained(&app, &sink, &old).await;
}
