//! Crash safety with the real binary: a process killed with SIGKILL in the middle of thousands of
//! deliveries loses nothing; a new process reclaims its work after the visibility timeout.

use std::collections::{HashMap, HashSet};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::*;
use crate::sink::Sink;

const BINARY: &str = env!("CARGO_BIN_EXE_shiprelay");
const EVENTS: usize = 1500;
const IN_FLIGHT: usize = 16;

/// A shiprelay process run from the binary; killed when dropped, so a failing test leaves none
/// behind.
pub struct Process(Child);

impl std::ops::Deref for Process {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Process {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the real binary with this config and role, and waits until it listens.
pub fn start(config: &std::path::Path, role: &str, port: u16) -> Process {
    let process = Process(
        Command::new(BINARY)
            .args(["serve", "--role", role, "--config"])
            .arg(config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "shiprelay did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    process
}

#[tokio::test]
async fn sigkill_in_the_middle_of_deliveries_loses_nothing() {
    let redis = TestRedis::start();
    sigkill_mid_delivery(test_config_toml(&redis.url())).await;
}

#[tokio::test]
async fn sigkill_in_the_middle_of_deliveries_loses_nothing_on_a_cluster() {
    let cluster = crate::cluster_harness::TestCluster::start(3, 0);
    sigkill_mid_delivery(crate::cluster::cluster_toml(&cluster, |t| t)).await;
}

/// Ingests, starts delivering, SIGKILLs the deliverer part-way and checks that a successor
/// delivers every accepted event, repeating at most what was in flight.
async fn sigkill_mid_delivery(config: String) {
    let sinks = [Sink::start().await, Sink::start().await];
    let port = free_port();
    let config = config
        .replace("127.0.0.1:0", &format!("127.0.0.1:{port}"))
        .replace("concurrency = 16", &format!("concurrency = {IN_FLIGHT}"))
        .replace(
            "per_subscription_in_flight = 4",
            &format!("per_subscription_in_flight = {IN_FLIGHT}"),
        );
    let path = std::env::temp_dir().join(format!(
        "shiprelay-crash-{}-{port}.toml",
        std::process::id()
    ));
    std::fs::write(&path, config).unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();

    // Ingest everything first with an ingest-only process, so the kill hits delivery alone.
    let mut ingest = start(&path, "ingest", port);
    for sink in &sinks {
        let response = client
            .post(format!("{base}/v1/subscriptions"))
            .header("X-API-Key", API_KEY)
            .json(&json!({"url": sink.url, "events": ["*"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    let accepted = Arc::new(tokio::sync::Mutex::new(HashSet::new()));
    let mut tasks = tokio::task::JoinSet::new();
    let gate = Arc::new(tokio::sync::Semaphore::new(32));
    for i in 0..EVENTS {
        let (client, base, accepted, gate) =
            (client.clone(), base.clone(), accepted.clone(), gate.clone());
        tasks.spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            let body = serde_json::to_vec(&json!({
                "id": format!("evt_{i}"), "type": "tracking.updated",
                // One shipment each, so the events spread over the partitions.
                "data": {"trackingNumber": format!("1Z999AA1{i:010}"), "carrier": "ups", "status": "in_transit"}
            }))
            .unwrap();
            let response = client
                .post(format!("{base}/ingest/flexops"))
                .header("X-FlexOps-Signature", hmac_sha256_hex(FLEXOPS_SECRET, &body))
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            let answer: Value = response.json().await.unwrap();
            accepted.lock().await.insert(answer["events"][0].as_str().unwrap().to_string());
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let accepted = accepted.lock().await.clone();
    assert_eq!(accepted.len(), EVENTS);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(ingest.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    ingest.wait().unwrap();

    // Deliver, and kill the deliverer hard part-way.
    let mut worker = start(&path, "all", port);
    let halfway = EVENTS * sinks.len() / 3;
    let deadline = Instant::now() + Duration::from_secs(60);
    while sinks.iter().map(|s| s.received().len()).sum::<usize>() < halfway {
        assert!(Instant::now() < deadline, "deliveries did not get going");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    worker.kill().unwrap(); // SIGKILL
    worker.wait().unwrap();
    let at_kill: usize = sinks.iter().map(|s| s.received().len()).sum();
    assert!(
        at_kill < EVENTS * sinks.len(),
        "the kill came before the end ({at_kill})"
    );

    let mut successor = start(&path, "all", port);
    let mut duplicates = 0;
    for sink in &sinks {
        let received = sink
            .wait_for_distinct(EVENTS, Duration::from_secs(90))
            .await;
        let mut counts: HashMap<String, usize> = HashMap::new();
        for request in &received {
            *counts.entry(request.webhook_id().to_string()).or_default() += 1;
        }
        let ids: HashSet<String> = counts.keys().cloned().collect();
        assert_eq!(
            ids, accepted,
            "every accepted event reached this subscriber"
        );
        duplicates += counts.values().map(|n| n - 1).sum::<usize>();
    }
    assert!(
        duplicates <= IN_FLIGHT,
        "{duplicates} duplicates: at most the {IN_FLIGHT} deliveries in flight at the kill may repeat"
    );
    successor.kill().unwrap();
    successor.wait().unwrap();
}
