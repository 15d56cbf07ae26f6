//! `redis.wait_replicas`: a 200 goes out only once a replica holds the write, so a failover to
//! that replica loses no acknowledged event. Real redis-servers: a master and a replica of it.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::*;

/// A redis-server replicating `master_port`, killed when dropped.
struct Replica {
    port: u16,
    child: Option<Child>,
    dir: std::path::PathBuf,
}

impl Replica {
    fn start(master_port: u16) -> Replica {
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("shiprelay-replica-{port}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut replica = Replica {
            port,
            child: None,
            dir,
        };
        replica.spawn(master_port);
        replica
    }

    fn spawn(&mut self, master_port: u16) {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args(["--replicaof", "127.0.0.1", &master_port.to_string()])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        while !self.info().contains("master_link_status:up") {
            assert!(
                Instant::now() < deadline,
                "the replica did not sync: {}",
                self.info()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn connection(&self) -> Option<redis::Connection> {
        redis::Client::open(format!("redis://127.0.0.1:{}", self.port))
            .ok()?
            .get_connection()
            .ok()
    }

    fn info(&self) -> String {
        self.connection()
            .and_then(|mut c| {
                redis::cmd("INFO")
                    .arg("replication")
                    .query::<String>(&mut c)
                    .ok()
            })
            .unwrap_or_default()
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The event ids (ours) the replica holds.
    fn stored_ids(&self) -> Vec<String> {
        let mut conn = self.connection().unwrap();
        let mut ids = Vec::new();
        for n in 0..TEST_PARTITIONS {
            let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
                .arg(part_key(n, "events"))
                .arg("-")
                .arg("+")
                .query(&mut conn)
                .unwrap();
            ids.extend(reply.ids.iter().filter_map(|e| {
                let event: Value = serde_json::from_str(&e.get::<String>("event")?).ok()?;
                Some(event["id"].as_str()?.to_string())
            }));
        }
        ids
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn waiting_for_one_replica(toml: String) -> String {
    toml.replace(
        "retry_after_secs = 7",
        "retry_after_secs = 7\nwait_replicas = 1\nwait_timeout_ms = 200",
    )
}

fn event(id: &str) -> Vec<u8> {
    format!(r#"{{"id":"{id}","type":"tracking.updated","data":{{"trackingNumber":"1Z999AA10123456784"}}}}"#).into_bytes()
}

#[tokio::test]
async fn a_200_means_a_replica_has_it_and_no_replica_means_503_then_the_resend_is_200() {
    let app = spawn_app_with(waiting_for_one_replica).await;
    let mut replica = Replica::start(app.redis.port);
    let body = event("evt_repl_1");
    let response = app.ingest_flexops(&body).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(
        replica.stored_ids(),
        vec![answer["events"][0].as_str().unwrap().to_string()]
    );

    replica.kill();
    let body = event("evt_repl_2");
    let refused = app.ingest_flexops(&body).await;
    assert_eq!(refused.headers()["retry-after"], "7");
    assert_problem(refused, 503, "unavailable").await;

    replica.spawn(app.redis.port);
    let resent = app.ingest_flexops(&body).await;
    assert_eq!(resent.status(), 200);
    assert_eq!(
        resent.headers()["idempotent-replayed"],
        "true",
        "stored the first time, acknowledged now"
    );
    assert_eq!(replica.stored_ids().len(), 2);
}

#[tokio::test]
async fn a_master_killed_while_webhooks_arrive_loses_no_event_answered_200() {
    let mut app = spawn_app_with(waiting_for_one_replica).await;
    let replica = Replica::start(app.redis.port);
    let app_address = app.address.clone();
    let client = app.client.clone();
    let senders: Vec<_> = (0..4)
        .map(|sender| {
            let (client, address) = (client.clone(), app_address.clone());
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for i in 0..80 {
                    let body = event(&format!("evt_fail_{sender}_{i}"));
                    let response = client
                        .post(format!("{address}/ingest/flexops"))
                        .header("content-type", "application/json")
                        .header(
                            "X-FlexOps-Signature",
                            hmac_sha256_hex(FLEXOPS_SECRET, &body),
                        )
                        .body(body)
                        .send()
                        .await;
                    if let Ok(response) = response
                        && response.status() == 200
                    {
                        let answer: Value = response.json().await.unwrap();
                        acknowledged.push(answer["events"][0].as_str().unwrap().to_string());
                    }
                }
                acknowledged
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.redis.kill();
    let mut acknowledged = Vec::new();
    for sender in senders {
        acknowledged.extend(sender.await.unwrap());
    }
    assert!(
        acknowledged.len() >= 10,
        "some were acknowledged before the kill: {}",
        acknowledged.len()
    );
    // The replica takes over: everything answered 200 is there.
    let mut conn = replica.connection().unwrap();
    let _: () = redis::cmd("REPLICAOF")
        .arg("NO")
        .arg("ONE")
        .query(&mut conn)
        .unwrap();
    let held = replica.stored_ids();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !held.contains(id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged events lost: {lost:?}",
        lost.len(),
        acknowledged.len()
    );
}
