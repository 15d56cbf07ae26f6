//! The relay on a real Redis Cluster (3 masters, with and without replicas): ingest, dedupe,
//! fan-out, retries, dead letters, redrive, replay, the API's merged pages, readiness and metrics
//! per partition, a master's failover with and without `wait_replicas`, and a process killed
//! mid-delivery.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use reqwest::Method;
use serde_json::{Value, json};

use crate::cluster_harness::TestCluster;
use crate::helpers::*;
use crate::sink::{Answer, Sink};

const WAIT: Duration = Duration::from_secs(30);

/// The test config on `cluster`, 8 partitions, after `edit`.
pub fn cluster_toml(cluster: &TestCluster, edit: impl FnOnce(String) -> String) -> String {
    let toml = test_config_toml("redis://127.0.0.1:1")
        .replace(
            "url = \"redis://127.0.0.1:1\"",
            &format!("mode = \"cluster\"\n{}", cluster.urls_toml()),
        )
        .replace(&format!("partitions = {TEST_PARTITIONS}"), "partitions = 8");
    edit(toml)
}

pub struct ClusterApp {
    pub address: String,
    pub client: reqwest::Client,
    handle: ServerHandle,
}

impl Drop for ClusterApp {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

impl ClusterApp {
    pub async fn start(toml: &str) -> ClusterApp {
        let (address, handle, _running) = start(toml).await;
        ClusterApp {
            address,
            client: reqwest::Client::new(),
            handle,
        }
    }

    pub fn api(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.address))
            .header("X-API-Key", API_KEY)
    }

    pub async fn json(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.api(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// A subscription of every event to `sink`.
    pub async fn subscribe(&self, sink: &Sink) -> Value {
        let (status, subscription) = self
            .json(
                Method::POST,
                "/v1/subscriptions",
                Some(json!({"url": sink.url, "events": ["*"]})),
            )
            .await;
        assert_eq!(status, 201, "{subscription}");
        subscription
    }

    /// A FlexOps tracking webhook for shipment `n` (its own subject, so they spread).
    pub async fn post_tracking(&self, n: usize) -> reqwest::Result<reqwest::Response> {
        post_tracking(&self.client, &self.address, n).await
    }
}

pub async fn post_tracking(
    client: &reqwest::Client,
    base: &str,
    n: usize,
) -> reqwest::Result<reqwest::Response> {
    let body = serde_json::to_vec(&json!({
        "id": format!("evt_{n}"), "type": "tracking.updated",
        "data": {"trackingNumber": format!("1Z999AA1{n:010}"), "carrier": "ups", "status": "in_transit"}
    }))
    .unwrap();
    client
        .post(format!("{base}/ingest/flexops"))
        .header(
            "X-FlexOps-Signature",
            hmac_sha256_hex(FLEXOPS_SECRET, &body),
        )
        .timeout(Duration::from_secs(5))
        .body(body)
        .send()
        .await
}

fn ids(page: &Value, field: &str) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e[field].as_str().unwrap().to_string())
        .collect()
}

/// Every item of a cursor-paged list, following `nextCursor`.
async fn all_pages(app: &ClusterApp, path: &str, field: &str) -> Vec<String> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}&cursor={c}"),
            None => path.to_string(),
        };
        let (status, page) = app.json(Method::GET, &url, None).await;
        assert_eq!(status, 200, "{page}");
        all.extend(ids(&page, field));
        match page["pagination"]["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return all,
        }
    }
}

#[tokio::test]
async fn everything_works_the_same_on_a_cluster() {
    const EVENTS: usize = 40;
    let cluster = TestCluster::start(3, 0);
    let app = ClusterApp::start(&cluster_toml(&cluster, |t| t)).await;
    let sink = Sink::start().await;
    let failing = Sink::start().await;
    failing.answer(Answer::status(500));
    app.subscribe(&sink).await;
    let broken = app.subscribe(&failing).await;

    let mut accepted = HashSet::new();
    for n in 0..EVENTS {
        let response = app.post_tracking(n).await.unwrap();
        assert_eq!(response.status(), 200);
        let answer: Value = response.json().await.unwrap();
        accepted.insert(answer["events"][0].as_str().unwrap().to_string());
    }
    // A provider's retry is a duplicate, wherever its partition lives.
    let again = app.post_tracking(7).await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert!(accepted.contains(again["events"][0].as_str().unwrap()));

    let received = sink.wait_for_distinct(EVENTS, WAIT).await;
    let delivered: HashSet<String> = received.iter().map(|r| r.webhook_id().into()).collect();
    assert_eq!(delivered, accepted);
    // Every master holds some of the partitions' keys.
    for (port, keys) in cluster.keys_per_master() {
        assert!(keys > 0, "master {port} holds no keys");
    }

    // Pages merged from all partitions list every event once.
    let listed = all_pages(&app, "/v1/events?pageSize=7", "id").await;
    let listed_set: HashSet<String> = listed.iter().cloned().collect();
    assert_eq!(listed.len(), listed_set.len(), "no event listed twice");
    assert_eq!(listed_set, accepted);

    // The failing subscription's jobs are retried, then dead-lettered in their partitions.
    let broken_id = broken["id"].as_str().unwrap();
    let dead_path = format!("/v1/dead-letters?pageSize=9&subscriptionId={broken_id}");
    let deadline = Instant::now() + WAIT;
    let dead = loop {
        let dead = all_pages(&app, &dead_path, "id").await;
        if dead.len() == EVENTS {
            break dead;
        }
        assert!(Instant::now() < deadline, "{} dead letters", dead.len());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(dead.iter().collect::<HashSet<_>>().len(), EVENTS);
    failing.answer(Answer::status(200));
    let attempts_before = failing.received().len();
    let (status, redriven) = app
        .json(
            Method::POST,
            "/v1/dead-letters/redrive",
            Some(json!({"subscriptionId": broken_id})),
        )
        .await;
    assert_eq!(status, 200, "{redriven}");
    assert_eq!(redriven["redriven"], EVENTS, "{redriven}");
    let redelivered = failing.wait_for(attempts_before + EVENTS, WAIT).await;
    let ids: HashSet<String> = redelivered[attempts_before..]
        .iter()
        .map(|r| r.webhook_id().into())
        .collect();
    assert_eq!(ids, accepted, "every redriven job was delivered");
    assert!(all_pages(&app, &dead_path, "id").await.is_empty());

    // Replay of one event, found in whichever partition holds it.
    let event = accepted.iter().next().unwrap().clone();
    let before = sink.received().len();
    let (status, replayed) = app
        .json(
            Method::POST,
            &format!("/v1/events/{event}/replay"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 202, "{replayed}");
    let after = sink.wait_for(before + 1, WAIT).await;
    assert!(after[before..].iter().any(|r| r.webhook_id() == event));

    // Readiness and metrics per partition.
    let (status, ready) = app.json(Method::GET, "/readyz", None).await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["partitions"].as_object().unwrap().len(), 8, "{ready}");
    assert!(
        ready["partitions"]
            .as_object()
            .unwrap()
            .values()
            .all(|v| v == "up")
    );
    let metrics = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for partition in 0..8 {
        assert!(
            metrics.contains(&format!(
                "shiprelay_partition_queue_depth{{partition=\"{partition}\",queue=\"dead\"}}"
            )),
            "partition {partition} has no depth gauge"
        );
    }
}

/// What the senders saw: per shipment number, the event ids of a 200, or none.
type Answers = std::sync::Arc<std::sync::Mutex<Vec<(usize, Option<Vec<String>>)>>>;

/// Sends webhooks for shipments `from..` from `senders` tasks until `stop`, recording answers.
fn send_until(
    app: &ClusterApp,
    from: usize,
    senders: usize,
    stop: tokio::sync::watch::Receiver<bool>,
    answers: Answers,
) -> tokio::task::JoinSet<()> {
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(from));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..senders {
        let (client, base) = (app.client.clone(), app.address.clone());
        let (next, stop, answers) = (next.clone(), stop.clone(), answers.clone());
        tasks.spawn(async move {
            while !*stop.borrow() {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let ids = answered_ids(post_tracking(&client, &base, n).await).await;
                answers.lock().unwrap().push((n, ids));
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
    }
    tasks
}

async fn answered_ids(response: reqwest::Result<reqwest::Response>) -> Option<Vec<String>> {
    let response = response.ok()?;
    if response.status() != 200 {
        return None;
    }
    let answer: Value = response.json().await.ok()?;
    Some(
        answer["events"]
            .as_array()?
            .iter()
            .filter_map(|id| id.as_str().map(String::from))
            .collect(),
    )
}

/// Traffic, a master SIGKILLed in the middle of it, and traffic through the failover; returns
/// the answers.
async fn failover_under_traffic(
    cluster: &mut TestCluster,
    app: &ClusterApp,
    restart_victim: bool,
) -> Vec<(usize, Option<Vec<String>>)> {
    let answers: Answers = Default::default();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut senders = send_until(app, 0, 4, stopped, answers.clone());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let victim = cluster.masters()[0];
    cluster.kill(victim);
    let killed_at = answers.lock().unwrap().len();
    // Through the failover (node timeout 1.5 s plus the election) and a little beyond.
    cluster.wait_until_healthy(3, 0, Duration::from_secs(30));
    if restart_victim {
        // The crashed node comes back as the new master's replica: WAIT can be met again.
        cluster.restart(victim);
        cluster.wait_until_healthy(3, 1, Duration::from_secs(30));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let _ = stop.send(true);
    while senders.join_next().await.is_some() {}
    let answers = answers.lock().unwrap().clone();
    let during = &answers[killed_at..];
    assert!(
        during.iter().any(|(_, ids)| ids.is_some()),
        "the partitions of the other masters kept accepting"
    );
    answers
}

/// Resends every request not answered 200 until it is (as its provider would); the ids of all.
async fn resend_until_accepted(
    app: &ClusterApp,
    answers: &[(usize, Option<Vec<String>>)],
) -> HashSet<String> {
    let mut accepted = HashSet::new();
    for (n, ids) in answers {
        let ids = match ids {
            Some(ids) => ids.clone(),
            None => {
                let deadline = Instant::now() + WAIT;
                loop {
                    if let Some(ids) = answered_ids(app.post_tracking(*n).await).await {
                        break ids;
                    }
                    assert!(Instant::now() < deadline, "shipment {n} never accepted");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        };
        accepted.extend(ids);
    }
    accepted
}

async fn delivered_to(sink: &Sink, wanted: &HashSet<String>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got: HashSet<String> = sink
            .received()
            .iter()
            .map(|r| r.webhook_id().to_string())
            .collect();
        let missing = wanted.difference(&got).count();
        if missing == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{missing} of {} accepted webhooks were never delivered",
            wanted.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn wait_ready_everywhere(app: &ClusterApp) {
    let deadline = Instant::now() + WAIT;
    loop {
        let (status, ready) = app.json(Method::GET, "/readyz", None).await;
        let all_up = ready["partitions"]
            .as_object()
            .is_some_and(|p| p.len() == 8 && p.values().all(|v| v == "up"));
        if status == 200 && all_up {
            return;
        }
        assert!(Instant::now() < deadline, "not ready again: {ready}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn with_wait_replicas_a_master_killed_under_traffic_loses_no_acknowledged_webhook() {
    let mut cluster = TestCluster::start(3, 1);
    let app = ClusterApp::start(&cluster_toml(&cluster, |t| {
        t.replace(
            "retry_after_secs = 7",
            "retry_after_secs = 7\nwait_replicas = 1\nwait_timeout_ms = 300",
        )
    }))
    .await;
    let sink = Sink::start().await;
    app.subscribe(&sink).await;

    let answers = failover_under_traffic(&mut cluster, &app, true).await;
    let acknowledged: HashSet<String> = answers
        .iter()
        .filter_map(|(_, ids)| ids.clone())
        .flatten()
        .collect();
    assert!(!acknowledged.is_empty());
    // Every webhook answered 200 is delivered; those answered otherwise only need resending.
    delivered_to(&sink, &acknowledged).await;
    let all = resend_until_accepted(&app, &answers).await;
    delivered_to(&sink, &all).await;
    wait_ready_everywhere(&app).await;
}

#[tokio::test]
async fn without_wait_replicas_a_failover_is_survived_without_a_restart() {
    let mut cluster = TestCluster::start(3, 1);
    let app = ClusterApp::start(&cluster_toml(&cluster, |t| t)).await;
    let sink = Sink::start().await;
    app.subscribe(&sink).await;
    let answers = failover_under_traffic(&mut cluster, &app, false).await;
    wait_ready_everywhere(&app).await;
    // After the failover, webhooks of every partition are accepted and delivered again.
    let after: Vec<(usize, Option<Vec<String>>)> =
        (1_000_000..1_000_040).map(|n| (n, None)).collect();
    let accepted = resend_until_accepted(&app, &after).await;
    assert_eq!(accepted.len(), 40);
    delivered_to(&sink, &accepted).await;
    assert!(!answers.is_empty());
}

#[tokio::test]
async fn resharding_under_traffic_is_followed_without_a_restart() {
    let cluster = TestCluster::start(3, 0);
    let app = ClusterApp::start(&cluster_toml(&cluster, |t| t)).await;
    let sink = Sink::start().await;
    app.subscribe(&sink).await;
    let answers: Answers = Default::default();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut senders = send_until(&app, 0, 4, stopped, answers.clone());
    tokio::time::sleep(Duration::from_millis(500)).await;
    // 3,000 slots of the master that serves slot 0 (partition 0's among them) move to another,
    // keys and all, while webhooks arrive and are delivered.
    let masters = cluster.masters();
    let (from, to) = (masters[0], masters[1]);
    tokio::task::spawn_blocking(move || TestCluster::reshard(from, to, 3000))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = stop.send(true);
    while senders.join_next().await.is_some() {}
    let answers = answers.lock().unwrap().clone();
    let accepted = resend_until_accepted(&app, &answers).await;
    assert!(accepted.len() >= answers.len(), "every shipment accepted");
    delivered_to(&sink, &accepted).await;
    // The moved partitions take writes on their new master.
    wait_ready_everywhere(&app).await;
    let after: Vec<(usize, Option<Vec<String>>)> =
        (2_000_000..2_000_020).map(|n| (n, None)).collect();
    let accepted = resend_until_accepted(&app, &after).await;
    delivered_to(&sink, &accepted).await;
}
