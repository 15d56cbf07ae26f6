//! The real binary: `check-config` and graceful shutdown on SIGTERM.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::*;

const BINARY: &str = env!("CARGO_BIN_EXE_shiprelay");

fn write_config(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("shiprelay-{name}-{}.toml", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn check_config_accepts_the_example() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/shiprelay.example.toml");
    let output = Command::new(BINARY)
        .args(["check-config", "--config", example])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("valid") && stdout.contains("flexops (flexops)"),
        "{stdout}"
    );
}

#[test]
fn check_config_names_every_problem_and_fails() {
    let path = write_config(
        "broken",
        "[redis]\nurl = \"localhost\"\n[[sources]]\nid = \"a\"\nkind = \"flexport_v9\"\n[[sources]]\nid = \"a\"\nkind = \"flexops\"\n",
    );
    let output = Command::new(BINARY)
        .args(["check-config", "--config"])
        .arg(&path)
        .env_remove("SHIPRELAY_REDIS__URL")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for expected in [
        "redis.url: not a Redis URL",
        "sources[0].kind: unknown kind `flexport_v9`",
        "sources[0].secrets: at least one secret is required",
        "sources[1].id: duplicate source id `a`",
        "sources[1].secrets: at least one secret is required",
    ] {
        assert!(
            stderr.contains(expected),
            "missing `{expected}` in:\n{stderr}"
        );
    }
}

#[test]
fn check_config_applies_the_environment() {
    let path = write_config("env", "[[sources]]\nid = \"ops\"\nkind = \"flexops\"\n");
    let output = Command::new(BINARY)
        .args(["check-config", "--config"])
        .arg(&path)
        .env("SHIPRELAY_SOURCES__OPS__SECRETS", "whsec_from_env")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn check_config_reports_a_missing_file() {
    let output = Command::new(BINARY)
        .args(["check-config", "--config", "/no/such/file.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("cannot read config file /no/such/file.toml")
    );
}

/// A request still arriving when SIGTERM comes is finished and stored; new connections are refused;
/// the process exits cleanly.
#[tokio::test]
async fn sigterm_lets_in_flight_requests_finish() {
    let redis = TestRedis::start();
    let port = free_port();
    let config =
        test_config_toml(&redis.url()).replace("127.0.0.1:0", &format!("127.0.0.1:{port}"));
    let path = write_config("sigterm", &config);
    let mut child = Command::new(BINARY)
        .args(["serve", "--config"])
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Serving, not just bound: the listener is bound before the build's Redis checks finish.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !serves_health(port) {
        assert!(Instant::now() < deadline, "shiprelay did not start");
        std::thread::sleep(Duration::from_millis(50));
    }

    let body = br#"{"id":"evt_inflight","type":"tracking.updated","data":{"trackingNumber":"1Z999AA10123456784"}}"#;
    let signature = hmac_sha256_hex(FLEXOPS_SECRET, body);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let head = format!(
        "POST /ingest/flexops HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         X-FlexOps-Signature: {signature}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..20]).unwrap();
    std::thread::sleep(Duration::from_millis(300));

    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "no new connections after SIGTERM"
    );

    stream.write_all(&body[20..]).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("evt_"), "{response}");

    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "shiprelay did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");

    let mut conn = redis.conn().await;
    let stored = count_all(&mut conn, "XLEN", "events").await;
    assert_eq!(stored, 1);
}

/// Whether `GET /healthz` on the port answers 200.
fn serves_health(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    if stream.write_all(request).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}
