//! Malformed HTTP, as a hostile or broken client sends it: bodies that stop or trickle
//! (slowloris), request heads that never finish, header blocks too large, bytes that are not
//! UTF-8. Each gets a 4xx (a problem document where a handler answers), never a 5xx; the
//! connection is closed where it cannot carry another request; the server keeps serving.

use std::time::Duration;

use tokio::io::AsyncWriteExt;

use crate::helpers::*;
use crate::raw_http::{RawConnection, exchange};

const EVENTS: &str = "{test}:events";

/// The test config with one-second header and body timeouts.
fn with_short_timeouts(toml: String) -> String {
    toml.replace(
        "workers = 2\n",
        "workers = 2\nheader_timeout_secs = 1\nbody_timeout_secs = 1\n",
    )
}

fn head(method: &str, path: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: shiprelay.test\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// Keeps sending one byte of chunked body every 100 ms (for up to 20 s) and asserts that the
/// server answers with this problem, then closes the connection while the client is still sending
/// (rather than reading the rest of the body to its end).
async fn assert_cut_off_mid_body(mut connection: RawConnection, status: u16, slug: &str) {
    let mut writer = connection.take_writer();
    let trickle = tokio::spawn(async move {
        for _ in 0..200 {
            if writer.write_all(b"1\r\n \r\n").await.is_err() {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        writer.write_all(b"0\r\n\r\n").await.is_ok()
    });
    let response = connection
        .response()
        .await
        .expect("an answer, not a hang-up");
    response.assert_problem(status, slug);
    assert!(connection.closed_by_server().await);
    assert!(
        !trickle.await.unwrap(),
        "the server kept reading the body after answering"
    );
}

async fn still_serving(app: &TestApp) {
    let response = app.get_anonymously("/healthz").await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_408_and_its_connection_closed() {
    let app = spawn_app_with(with_short_timeouts).await;
    let mut connection = RawConnection::open(&app.address).await;
    let mut request = head(
        "POST",
        "/ingest/flexops",
        &[
            ("Content-Type", "application/json"),
            ("Content-Length", "400"),
            ("X-Correlation-ID", "stalled-body"),
        ],
    );
    request.extend_from_slice(br#"{"id": "evt_stalled", "type": "#);
    connection.send(&request).await.unwrap();

    let response = connection
        .response()
        .await
        .expect("an answer, not a hang-up");
    let problem = response.assert_problem(408, "request-timeout");
    assert!(problem["detail"].as_str().unwrap().contains("1 s"));
    assert_eq!(response.header("x-correlation-id"), Some("stalled-body"));
    assert_eq!(response.header("connection"), Some("close"));
    assert!(connection.closed_by_server().await);

    let timeouts = r#"shiprelay_ingest_requests_total{outcome="timeout",source="flexops"}"#;
    assert_eq!(app.metric(timeouts).await, 1.0);
    assert_eq!(app.stream_len(EVENTS).await, 0);
    still_serving(&app).await;
}

#[tokio::test]
async fn a_body_that_keeps_trickling_is_cut_off_at_the_body_timeout() {
    let app = spawn_app_with(with_short_timeouts).await;
    let mut connection = RawConnection::open(&app.address).await;
    let request = head(
        "POST",
        "/v1/subscriptions",
        &[
            ("X-API-Key", API_KEY),
            ("Content-Type", "application/json"),
            ("Transfer-Encoding", "chunked"),
        ],
    );
    connection.send(&request).await.unwrap();
    // One byte every 100 ms for 20 s: never idle for long, so only a deadline on the whole body
    // stops it. Without one, the body would end and be answered 400 (it is not JSON).
    assert_cut_off_mid_body(connection, 408, "request-timeout").await;
    still_serving(&app).await;
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_413_and_its_connection_closed() {
    let app = spawn_app().await; // max_body_bytes = 65536, body timeout 30 s
    let mut connection = RawConnection::open(&app.address).await;
    let mut request = head(
        "POST",
        "/ingest/flexops",
        &[
            ("Transfer-Encoding", "chunked"),
            ("X-FlexOps-Signature", "00"),
        ],
    );
    request.extend_from_slice(format!("11000\r\n{}\r\n", " ".repeat(0x11000)).as_bytes());
    connection.send(&request).await.unwrap();
    // The client goes on sending: the rest is not read (and discarded) to its end, the
    // connection is closed once the 413 is out.
    assert_cut_off_mid_body(connection, 413, "payload-too-large").await;
    let too_large = r#"shiprelay_ingest_requests_total{outcome="too_large",source="flexops"}"#;
    assert_eq!(app.metric(too_large).await, 1.0);
    still_serving(&app).await;
}

#[tokio::test]
async fn a_request_head_that_never_finishes_is_dropped_after_the_header_timeout() {
    let app = spawn_app_with(with_short_timeouts).await;
    let mut connection = RawConnection::open(&app.address).await;
    let started = std::time::Instant::now();
    connection
        .send(b"POST /ingest/flexops HTTP/1.1\r\nHost: shiprelay.test\r\nX-Slow: ")
        .await
        .unwrap();
    // actix-web answers a head that is not complete in time with a bare 408 (no problem body:
    // no handler has run) and closes.
    if let Some(response) = connection.response().await {
        assert_eq!(response.status, 408);
    }
    assert!(connection.closed_by_server().await);
    // The configured second applied, not actix-web's default of five.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    still_serving(&app).await;
}

#[tokio::test]
async fn header_blocks_too_large_are_refused_with_a_4xx_and_the_server_keeps_serving() {
    let app = spawn_app().await;
    let huge_value = "a".repeat(128 * 1024);
    let one_huge = head("GET", "/healthz", &[("X-Huge", &huge_value)]);
    let many: Vec<(String, String)> = (0..500)
        .map(|i| (format!("X-Header-{i}"), "v".into()))
        .collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let too_many = head("GET", "/healthz", &many);
    let long_path = format!("/v1/subscriptions/{}", "x".repeat(256 * 1024));
    let long_line = head("GET", &long_path, &[("X-API-Key", API_KEY)]);

    for request in [one_huge, too_many, long_line] {
        let response = exchange(&app.address, &request).await;
        if let Some(response) = response {
            assert!(
                (400..500).contains(&response.status),
                "{} for an oversized head",
                response.status
            );
        }
        still_serving(&app).await;
    }
}

#[tokio::test]
async fn bytes_that_are_not_utf8_are_4xx_never_5xx() {
    let app = spawn_app().await;
    let address = app.address.as_str();

    // A signature header of raw non-UTF-8 bytes does not authenticate.
    let body = br#"{"id": "evt_1", "type": "tracking.updated"}"#;
    let mut request = b"POST /ingest/flexops HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nX-FlexOps-Signature: \xff\xfe\xfd\r\nContent-Length: ".to_vec();
    request.extend_from_slice(format!("{}\r\n\r\n", body.len()).as_bytes());
    request.extend_from_slice(body);
    let response = exchange(address, &request).await.unwrap();
    response.assert_problem(401, "unauthorized");

    // A correlation id that is not text is replaced by a fresh one.
    let request = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Correlation-ID: \xc3\x28bad\r\n\r\n";
    let response = exchange(address, request).await.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.header("x-correlation-id").unwrap().len(), 36);

    // An API key that is not text is not a key.
    let request = b"GET /v1/subscriptions HTTP/1.1\r\nHost: t\r\nX-API-Key: \xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\r\n\r\n";
    let response = exchange(address, request).await.unwrap();
    response.assert_problem(401, "unauthorized");

    // Invalid UTF-8 inside a JSON string of the subscriber API is a 400 naming the body.
    let body = b"{\"url\": \"http://127.0.0.1:9/\xff\xfe\", \"events\": [\"*\"]}";
    let response = app
        .api(reqwest::Method::POST, "/v1/subscriptions")
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_problem(response, 400, "bad-request").await;

    // Path segments that are not UTF-8, percent-encoded or raw.
    for path in [
        &b"/v1/subscriptions/%FF%FE"[..],
        &b"/v1/subscriptions/\xff\xfe"[..],
    ] {
        let mut request = b"GET ".to_vec();
        request.extend_from_slice(path);
        request.extend_from_slice(
            format!(" HTTP/1.1\r\nHost: t\r\nX-API-Key: {API_KEY}\r\n\r\n").as_bytes(),
        );
        let response = exchange(address, &request).await;
        if let Some(response) = response {
            assert!(
                (400..500).contains(&response.status),
                "{} for {:?}",
                response.status,
                String::from_utf8_lossy(path)
            );
        }
    }

    // A correctly signed body that is not UTF-8 is verified, then quarantined: 200, nothing
    // lost, never retried by the provider.
    let body = b"{\"id\": \"evt_\xff\", \"type\": \"tracking.updated\"}";
    let response = app.ingest_flexops(body).await;
    assert_eq!(response.status(), 200);
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(answer["accepted"], 0);
    assert!(answer["quarantined"].is_string(), "{answer}");
    assert_eq!(app.stream_len(EVENTS).await, 0);

    still_serving(&app).await;
    let listed = app.call(reqwest::Method::GET, "/v1/subscriptions").await;
    assert_eq!(listed.status(), 200);
}

/// The real binary under a barrage of every kind above at once: no 5xx, it keeps serving, and its
/// peak memory stays bounded (each connection's buffers are capped by the limits, not by what
/// the client sends).
#[tokio::test]
async fn a_barrage_of_malformed_requests_gets_no_5xx_and_bounded_memory() {
    const CONNECTIONS: usize = 800;
    const AT_ONCE: usize = 200;
    const PEAK_RSS_LIMIT_KB: u64 = 150 * 1024;
    let redis = TestRedis::start();
    let port = free_port();
    let config = with_short_timeouts(test_config_toml(&redis.url()))
        .replace("127.0.0.1:0", &format!("127.0.0.1:{port}"));
    let path = std::env::temp_dir().join(format!("shiprelay-barrage-{}.toml", std::process::id()));
    std::fs::write(&path, config).unwrap();
    let process = crate::crash::start(&path, "all", port);
    let address = format!("http://127.0.0.1:{port}");

    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(AT_ONCE));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..CONNECTIONS {
        let (address, gate) = (address.clone(), gate.clone());
        tasks.spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            let mut connection = RawConnection::open(&address).await;
            match i % 4 {
                0 => {
                    let huge = "h".repeat(200 * 1024);
                    let _ = connection
                        .send(&head("GET", "/healthz", &[("X-Huge", &huge)]))
                        .await;
                }
                1 => {
                    let mut request =
                        head("POST", "/ingest/flexops", &[("Content-Length", "60000")]);
                    request.extend(std::iter::repeat_n(b' ', 30_000));
                    let _ = connection.send(&request).await;
                }
                2 => {
                    let request = head(
                        "POST",
                        "/ingest/flexops",
                        &[("Transfer-Encoding", "chunked")],
                    );
                    let _ = connection.send(&request).await;
                    let chunk = format!("4000\r\n{}\r\n", " ".repeat(0x4000));
                    for _ in 0..64 {
                        if connection.send(chunk.as_bytes()).await.is_err() {
                            break;
                        }
                    }
                }
                _ => {
                    let _ = connection
                        .send(b"\xff\xfe GARBAGE /\x00 HTTP/9.9\r\n\r\n")
                        .await;
                }
            }
            (i % 4, connection.response().await.map(|r| r.status))
        });
    }
    let mut statuses = std::collections::BTreeMap::new();
    while let Some(answer) = tasks.join_next().await {
        *statuses.entry(answer.unwrap()).or_insert(0) += 1;
    }
    assert!(
        statuses
            .keys()
            .filter_map(|(_, status)| *status)
            .all(|s| (400..500).contains(&s)),
        "statuses: {statuses:?}"
    );
    // Each kind is answered as such (some connections may be reset before reading the answer):
    // a header block too large, a body that stopped, a body over the limit, a garbage request.
    for (kind, expected) in [(0, 431), (1, 408), (2, 413), (3, 400)] {
        assert!(
            statuses.contains_key(&(kind, Some(expected))),
            "kind {kind} never answered {expected}: {statuses:?}"
        );
    }

    let status = std::fs::read_to_string(format!("/proc/{}/status", process.id())).unwrap();
    let peak_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    let healthz = reqwest::get(format!("{address}/healthz")).await.unwrap();
    drop(process);
    std::fs::remove_file(&path).ok();
    assert_eq!(healthz.status(), 200);
    assert!(
        peak_kb < PEAK_RSS_LIMIT_KB,
        "peak RSS {peak_kb} kB under {CONNECTIONS} malformed connections"
    );
}
