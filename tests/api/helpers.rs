//! Test harness: a real `redis-server` per test on a free port, the application built exactly as
//! `main` builds it, and signing helpers that compute provider signatures independently of the
//! code under test.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use shiprelay::config::Config;
use shiprelay::startup::Application;

use crate::store::Store;

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind an ephemeral port")
        .local_addr()
        .unwrap()
        .port()
}

/// A private redis-server, killed when dropped.
pub struct TestRedis {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl TestRedis {
    pub fn start() -> TestRedis {
        // A free port can be taken between the probe and redis-server's bind: then redis-server
        // exits, and we try another port rather than talk to someone else's server.
        for _ in 0..5 {
            let port = free_port();
            let dir = std::env::temp_dir().join(format!(
                "shiprelay-test-redis-{port}-{}",
                std::process::id()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            let mut redis = TestRedis {
                port,
                dir,
                child: None,
            };
            if redis.try_start() {
                return redis;
            }
        }
        panic!("could not start redis-server on a free port");
    }

    /// Starts (again) on the same port; panics when it does not come up.
    pub fn restart(&mut self) {
        assert!(
            self.try_start(),
            "redis-server did not restart on port {}",
            self.port
        );
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts redis-server with AOF (so a restart after a kill keeps the data); false when it
    /// exits (port taken) or does not answer.
    fn try_start(&mut self) -> bool {
        let mut child =
            Command::new(std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into()))
                .args([
                    "--port",
                    &self.port.to_string(),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                ])
                .args(["--appendonly", "yes", "--appendfsync", "always"])
                .arg("--dir")
                .arg(&self.dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server must be installed (scripts/test installs it)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                return false;
            }
            if let Ok(client) = redis::Client::open(self.url())
                && let Ok(mut conn) = client.get_connection()
                && redis::cmd("PING").query::<String>(&mut conn).is_ok()
            {
                self.child = Some(child);
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }

    /// SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub async fn conn(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .expect("connect to the test redis")
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub const FLEXPORT_SECRET: &str = "s3cr3t";
pub const LOGISTICS_TOKEN: &str = "logistics-token-0123456789abcdef";
pub const FLEXOPS_SECRET: &str = "whsec_your_signing_secret";
pub const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const STRIPE_SECRET: &str = "stripe-secret";
pub const SHOP_SECRET: &str = "shop-secret";
pub const API_KEY: &str = "test-api-key-0123456789";
/// Partitions of the test config: more than one, so that every read merges partitions.
pub const TEST_PARTITIONS: usize = 4;

// The api suite reaches these through `helpers::*`; the other binaries sharing this file do not.
#[allow(unused_imports)]
pub use crate::store::{count_all, part_key, pending_jobs};

/// Waits (30 s at most) until `check` holds.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The keys `key` stands for: `{test}:events` (and deliveries, retry, dead) is every partition's.
pub const API_KEY_2: &str = "second-api-key-0123456789";

/// One source of every kind and generic scheme, with the secrets above.
pub fn test_config_toml(redis_url: &str) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
max_body_bytes = 65536
workers = 2
[redis]
url = "{redis_url}"
prefix = "test"
partitions = {TEST_PARTITIONS}
command_timeout_ms = 1000
connect_timeout_ms = 500
retry_after_secs = 7
[api]
keys = ["{API_KEY}", "{API_KEY_2}"]
max_body_bytes = 16384
# Tests drive one key fast; the rate limit has a test of its own.
requests_per_second_per_key = 1000
[delivery]
allow_private_targets = true
timeout_secs = 1
visibility_timeout_secs = 6
retry_base_ms = 100
retry_cap_secs = 1
max_attempts = 4
concurrency = 16
per_subscription_in_flight = 4
[metrics]
listen = ""
public = true
sample_interval_secs = 1
[log]
level = "warn"

[[sources]]
id = "flexport"
kind = "flexport_v1"
secrets = ["newer-secret", "{FLEXPORT_SECRET}"]

[[sources]]
id = "flexport-v2"
kind = "flexport_v2"
secrets = ["{FLEXPORT_SECRET}"]

[[sources]]
id = "logistics"
kind = "flexport_logistics"
token_header = "X-Relay-Token"
basic_username = "flexport"
secrets = ["{LOGISTICS_TOKEN}"]

[[sources]]
id = "flexops"
kind = "flexops"
secrets = ["{FLEXOPS_SECRET}"]

[[sources]]
id = "standard"
kind = "generic"
scheme = "standard-webhooks"
secrets = ["{STANDARD_SECRET}"]
id_pointer = "/id"
type_pointer = "/type"
subject_pointer = "/subject"
time_pointer = "/time"

[[sources]]
id = "stripe-like"
kind = "generic"
scheme = "stripe"
secrets = ["{STRIPE_SECRET}"]
id_pointer = "/id"
type_pointer = "/type"

[[sources]]
id = "shop"
kind = "generic"
scheme = "hmac"
signature_header = "X-Shopify-Hmac-Sha256"
encoding = "base64"
secrets = ["{SHOP_SECRET}"]
type_pointer = "/type"
"#
    )
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// The test's Redis; with `SHIPRELAY_TEST_REDIS=cluster` the app runs on `cluster` instead
    /// (this one then stands by unused, for the tests that kill or restart it, which that run
    /// leaves out).
    pub redis: TestRedis,
    pub cluster: Option<crate::cluster_harness::TestCluster>,
    handle: ServerHandle,
    running: std::sync::Mutex<Option<tokio::task::JoinHandle<std::io::Result<()>>>>,
    toml: String,
}

/// Another shiprelay process (in-process here) sharing a TestApp's Redis.
pub struct SecondApp {
    pub address: String,
    handle: ServerHandle,
}

impl Drop for SecondApp {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|toml| toml).await
}

/// Spawns the app with the test config, after `edit` had its way with the TOML.
pub async fn spawn_app_with(edit: impl FnOnce(String) -> String) -> TestApp {
    if crate::backend::on_cluster() {
        let cluster = crate::cluster_harness::TestCluster::start(3, 0);
        let redis = TestRedis::start();
        let toml = edit(crate::backend::on_the_cluster(
            &test_config_toml(&redis.url()),
            &cluster,
        ));
        let (address, handle, running) = start(&toml).await;
        return TestApp {
            address,
            client: reqwest::Client::new(),
            redis,
            cluster: Some(cluster),
            handle,
            running: std::sync::Mutex::new(Some(running)),
            toml,
        };
    }
    spawn_app_on_with(TestRedis::start(), edit).await
}

/// The app on a Redis the test prepared (e.g. with an earlier version's data).
pub async fn spawn_app_on(redis: TestRedis) -> TestApp {
    spawn_app_on_with(redis, |toml| toml).await
}

pub async fn spawn_app_on_with(redis: TestRedis, edit: impl FnOnce(String) -> String) -> TestApp {
    let toml = edit(test_config_toml(&redis.url()));
    let (address, handle, running) = start(&toml).await;
    TestApp {
        address,
        client: reqwest::Client::new(),
        redis,
        cluster: None,
        handle,
        running: std::sync::Mutex::new(Some(running)),
        toml,
    }
}

pub type Running = tokio::task::JoinHandle<std::io::Result<()>>;

/// Builds and runs the application from this config; its address, handle and task.
pub async fn start(toml: &str) -> (String, ServerHandle, Running) {
    let config = Config::from_toml(toml, Vec::new()).expect("valid test config");
    let application = Application::build(config)
        .await
        .expect("build the application");
    let address = format!("http://127.0.0.1:{}", application.port());
    let handle = application.handle();
    let running = tokio::spawn(application.run_until_stopped());
    (address, handle, running)
}

impl TestApp {
    /// Starts another application on the same Redis, as a second process or a restart would.
    pub async fn spawn_second(&self) -> SecondApp {
        self.spawn_second_with(|toml| toml).await
    }

    /// Another application on the same Redis with an edited config.
    pub async fn spawn_second_with(&self, edit: impl FnOnce(String) -> String) -> SecondApp {
        let (address, handle, _running) = start(&edit(self.toml.clone())).await;
        SecondApp { address, handle }
    }

    /// Stops this application as SIGTERM would: HTTP, then delivery (its Redis keeps running).
    pub async fn stop(&self) {
        self.handle.stop(true).await;
        let running = self.running.lock().unwrap().take();
        if let Some(running) = running {
            running.await.unwrap().unwrap();
        }
    }

    /// A connection to look into the Redis (or the cluster) this app runs on.
    pub async fn conn(&self) -> crate::backend::TestConn {
        match &self.cluster {
            Some(cluster) => cluster.conn().await,
            None => crate::backend::inspect(&shiprelay::config::RedisSettings {
                url: self.redis.url(),
                ..Default::default()
            }),
        }
    }

    /// The config this app runs with.
    pub fn toml(&self) -> &str {
        &self.toml
    }

    /// An authenticated API request.
    pub fn api(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.address))
            .header("X-API-Key", API_KEY)
    }

    pub async fn create_subscription(&self, body: Value) -> Value {
        let response = self
            .api(reqwest::Method::POST, "/v1/subscriptions")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }

    /// A subscription to `url` for every event, with `extra` fields; returns its id.
    pub async fn subscribe_to(&self, url: &str, extra: Value) -> String {
        let mut body = serde_json::json!({"url": url, "events": ["*"]});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        self.create_subscription(body).await["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// `method path` with the API key.
    pub async fn call(&self, method: reqwest::Method, path: &str) -> reqwest::Response {
        self.api(method, path).send().await.unwrap()
    }

    /// `method path` with the API key and a JSON body.
    pub async fn call_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &impl serde::Serialize,
    ) -> reqwest::Response {
        self.api(method, path).json(body).send().await.unwrap()
    }

    /// A signed FlexOps webhook.
    pub async fn ingest_flexops(&self, body: &[u8]) -> reqwest::Response {
        self.post_ingest("flexops", body, &flexops_headers(body))
            .await
    }

    /// `GET path` without an API key (operations routes, or to see a 401).
    pub async fn get_anonymously(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .unwrap()
    }

    /// `GET path` on the API, as JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        self.api(reqwest::Method::GET, path)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn post_ingest(
        &self,
        source: &str,
        body: &[u8],
        headers: &[(&str, String)],
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}/ingest/{source}", self.address))
            .header("content-type", "application/json")
            .body(body.to_vec());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request.send().await.expect("request reaches the server")
    }

    /// Every entry of `{test}:events`, as the CloudEvent JSON of its `event` field.
    pub async fn stored_events(&self) -> Vec<Value> {
        self.stream_fields("{test}:events")
            .await
            .into_iter()
            .map(|fields| serde_json::from_slice(&fields["event"]).expect("event field is JSON"))
            .collect()
    }

    /// Every entry of a stream (of every partition's, for `{test}:events` and the like, in
    /// stream-id order), as field -> raw bytes.
    pub async fn stream_fields(&self, key: &str) -> Vec<crate::store::Fields> {
        Store::on(self.conn().await).stream_fields(key).await
    }

    pub async fn stream_len(&self, key: &str) -> usize {
        Store::on(self.conn().await).stream_len(key).await
    }

    /// The `/metrics` exposition of the process at `address` (this app's or a second one's).
    pub async fn metrics_text(&self, address: &str) -> String {
        self.client
            .get(format!("{address}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The value of one sample in the `/metrics` exposition, 0 when absent.
    pub async fn metric(&self, name_and_labels: &str) -> f64 {
        let text = self.metrics_text(&self.address).await;
        text.lines()
            .find_map(|line| {
                line.strip_prefix(name_and_labels)?
                    .strip_prefix(' ')?
                    .parse()
                    .ok()
            })
            .unwrap_or(0.0)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        // Stop accepting; the runtime ends with the test anyway.
        drop(handle.stop(false));
    }
}

pub fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("fixture {full}: {e}"))
}

pub fn hmac_sha1_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

pub fn hmac_sha256(secret: &str, body: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

pub fn hmac_sha256_hex(secret: &str, body: &[u8]) -> String {
    hex::encode(hmac_sha256(secret, body))
}

pub fn hmac_sha256_base64(secret: &str, body: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(hmac_sha256(secret, body))
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Standard Webhooks headers, signed by the `standardwebhooks` crate (an independent implementation).
pub fn standard_webhooks_headers(
    secret: &str,
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> Vec<(&'static str, String)> {
    let signature = standardwebhooks::Webhook::new(secret)
        .unwrap()
        .sign(msg_id, timestamp, body)
        .unwrap();
    vec![
        ("webhook-id", msg_id.to_string()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signature),
    ]
}

pub fn flexport_v1_headers(body: &[u8]) -> Vec<(&'static str, String)> {
    vec![(
        "X-Hub-Signature",
        format!("sha1={}", hmac_sha1_hex(FLEXPORT_SECRET, body)),
    )]
}

pub fn flexops_headers(body: &[u8]) -> Vec<(&'static str, String)> {
    vec![("X-FlexOps-Signature", hmac_sha256_hex(FLEXOPS_SECRET, body))]
}

pub async fn assert_problem(response: reqwest::Response, status: u16, slug: &str) -> Value {
    assert_eq!(response.status().as_u16(), status);
    assert!(
        response.headers().contains_key("x-correlation-id"),
        "every response carries X-Correlation-ID"
    );
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], format!("urn:shiprelay:problem:{slug}"));
    assert_eq!(body["status"], status);
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    body
}
