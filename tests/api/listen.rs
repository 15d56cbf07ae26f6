//! `shiprelay listen`, the real binary, receiving deliveries from a real shiprelay.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::json;

use crate::helpers::*;

const BINARY: &str = env!("CARGO_BIN_EXE_shiprelay");

/// A running `shiprelay listen`, its printed lines arriving on a channel; killed when dropped.
struct Listener {
    child: Child,
    lines: mpsc::Receiver<String>,
    url: String,
}

impl Listener {
    fn start(secret: &str, extra: &[&str]) -> Listener {
        let port = free_port();
        let mut child = Command::new(BINARY)
            .args(["listen", "--port", &port.to_string()])
            .args(extra)
            .env("SHIPRELAY_LISTEN_SECRET", secret)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let lines = forward_lines(child.stdout.take().unwrap());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "listen did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Listener {
            child,
            lines,
            url: format!("http://127.0.0.1:{port}/any/path"),
        }
    }

    /// The next printed line, waiting without blocking the runtime (the app runs on it too).
    async fn next_line(&self) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            match self.lines.try_recv() {
                Ok(line) => return line,
                Err(mpsc::TryRecvError::Empty) if std::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(20)).await
                }
                Err(error) => panic!("listen printed no line for the delivery: {error}"),
            }
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn forward_lines(stdout: ChildStdout) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

async fn send_flexops(app: &TestApp, id: &str) -> String {
    let body = format!(
        r#"{{"id":"{id}","type":"tracking.updated","data":{{"trackingNumber":"1Z999AA10123456784","carrier":"ups","status":"in_transit"}}}}"#
    );
    let response = app.ingest_flexops(body.as_bytes()).await;
    assert_eq!(response.status(), 200);
    let answer: serde_json::Value = response.json().await.unwrap();
    answer["events"][0].as_str().unwrap().to_string()
}

#[tokio::test]
async fn listen_reports_a_real_delivery_verified() {
    let app = spawn_app().await;
    let placeholder = Listener::start(STANDARD_SECRET, &[]);
    let subscription = app
        .create_subscription(json!({"url": placeholder.url, "events": ["*"]}))
        .await;
    drop(placeholder);
    // The listener a developer starts with the secret the create answer showed them.
    let secret = subscription["secret"].as_str().unwrap();
    let listener = Listener::start(secret, &["--body"]);
    let url = listener.url.clone();
    let patched = app
        .api(
            reqwest::Method::PATCH,
            &format!("/v1/subscriptions/{}", subscription["id"].as_str().unwrap()),
        )
        .json(&json!({"url": url}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);

    let event_id = send_flexops(&app, "evt_listen_ok").await;
    assert_eq!(
        listener.next_line().await,
        format!("{event_id} tracking.updated ups:1Z999AA10123456784 verified")
    );
    // --body: the CloudEvent follows, formatted.
    assert_eq!(listener.next_line().await, "{");
    let body: Vec<String> =
        std::iter::from_fn(|| listener.lines.recv_timeout(Duration::from_secs(2)).ok())
            .take_while(|line| line != "}")
            .collect();
    assert!(
        body.iter()
            .any(|line| line.contains(&format!("\"id\": \"{event_id}\""))),
        "{body:?}"
    );
}

#[tokio::test]
async fn listen_reports_another_secret_not_verified_and_can_exit_on_it() {
    let app = spawn_app().await;
    // The subscription signs with its own secret; the listener was given another one.
    let listener = Listener::start(STANDARD_SECRET, &["--fail-on-bad-signature"]);
    app.create_subscription(json!({"url": listener.url, "events": ["*"]}))
        .await;
    let event_id = send_flexops(&app, "evt_listen_bad").await;
    assert_eq!(
        listener.next_line().await,
        format!(
            "{event_id} tracking.updated ups:1Z999AA10123456784 NOT verified: the \
             webhook-signature header does not match any configured secret"
        )
    );
    let mut listener = listener;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = listener.child.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "listen did not exit");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(1));
}

#[test]
fn listen_refuses_to_start_without_a_usable_secret() {
    let output = Command::new(BINARY)
        .args(["listen", "--port", "0"])
        .env_remove("SHIPRELAY_LISTEN_SECRET")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no secret"));
    let output = Command::new(BINARY)
        .args(["listen", "--port", "0", "--secret", "not base64!"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("whsec_"));
}
