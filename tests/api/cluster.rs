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
        .replace(
            &format!("partitions = {TEST_PARTITIONS}"),
            "partitions = 8",
        );
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
        .header("X-FlexOps-Signature", hmac_sha256_hex(FLEXOPS_SECRET, &body))
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
    let (status, _) = app
        .json(
            Method::POST,
            "/v1/subscriptions",
            Some(json!({"url": sink.url, "events": ["*"]})),
        )
        .await;
    assert_eq!(status, 201);
    let (status, broken) = app
        .json(
            Method::POST,
            "/v1/subscriptions",
            Some(json!({"url": failing.url, "events": ["*"]})),
        )
        .await;
    assert_eq!(status, 201);

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
    assert!(ready["partitions"].as_object().unwrap().values().all(|v| v == "up"));
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
