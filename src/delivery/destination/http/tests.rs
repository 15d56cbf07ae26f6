//! Unit tests of the HTTP destination.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;

use super::*;

/// A real HTTP/1.1 server on 127.0.0.1 that answers every request with a canned response
/// (or never answers), recording what it received.
struct TestServer {
    port: u16,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl TestServer {
    async fn start(response: Option<String>) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("local address").port();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (counted, recorded) = (connections.clone(), requests.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                let (response, recorded) = (response.clone(), recorded.clone());
                tokio::spawn(answer(stream, response, recorded));
            }
        });
        TestServer {
            port,
            connections,
            requests,
        }
    }

    async fn answering(response: &str) -> TestServer {
        TestServer::start(Some(response.to_string())).await
    }

    fn url(&self, host: &str) -> String {
        format!("http://{host}:{}/hook", self.port)
    }

    async fn requests(&self) -> Vec<String> {
        self.requests.lock().await.clone()
    }
}

async fn answer(
    mut stream: TcpStream,
    response: Option<String>,
    recorded: Arc<Mutex<Vec<String>>>,
) {
    let request = read_request(&mut stream).await;
    recorded.lock().await.push(request);
    match response {
        Some(response) => {
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
        None => tokio::time::sleep(Duration::from_secs(60)).await,
    }
}

/// The request head and its `Content-Length` body, as text.
async fn read_request(stream: &mut TcpStream) -> String {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&buffer).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                return text;
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return String::from_utf8_lossy(&buffer).to_string(),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

fn response(status: &str, extra_headers: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{extra_headers}\r\n{body}",
        body.len()
    )
}

fn config(allow_private_targets: bool) -> HttpConfig {
    HttpConfig {
        timeout: Duration::from_secs(5),
        allow_private_targets,
        user_agent: "shiprelay-test/1".to_string(),
        max_excerpt_bytes: 64,
        max_idle_per_host: 4,
    }
}

fn sender(config: HttpConfig) -> HttpDestination {
    HttpDestination::new(config).expect("a client")
}

fn no_headers() -> Vec<(String, String)> {
    Vec::new()
}

#[tokio::test]
async fn a_200_is_delivered_with_the_body_and_headers() {
    let server = TestServer::answering(&response("200 OK", "", "thanks")).await;
    let headers = vec![
        ("webhook-id".to_string(), "evt_1".to_string()),
        ("X-Custom".to_string(), "yes".to_string()),
    ];
    let attempt = sender(config(true))
        .send(
            &server.url("127.0.0.1"),
            "application/json",
            &headers,
            br#"{"a":1}"#.to_vec(),
        )
        .await;
    assert_eq!(
        attempt.outcome,
        AttemptOutcome::Status {
            code: 200,
            retry_after: None
        }
    );
    assert_eq!(attempt.response_excerpt.as_deref(), Some("thanks"));
    assert!(attempt.latency > Duration::ZERO);
    let requests = server.requests().await;
    assert_eq!(requests.len(), 1);
    let request = requests[0].to_ascii_lowercase();
    assert!(request.starts_with("post /hook http/1.1\r\n"), "{request}");
    for expected in [
        "content-type: application/json\r\n",
        "webhook-id: evt_1\r\n",
        "x-custom: yes\r\n",
        "user-agent: shiprelay-test/1\r\n",
    ] {
        assert!(request.contains(expected), "{expected} in {request}");
    }
    assert!(request.ends_with("\r\n\r\n{\"a\":1}"), "{request}");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = TestServer::start(None).await;
    let location = format!("Location: {}\r\n", server.url("127.0.0.1"));
    let redirecting = TestServer::answering(&response("302 Found", &location, "")).await;
    let attempt = sender(config(true))
        .send(
            &redirecting.url("127.0.0.1"),
            "application/json",
            &no_headers(),
            Vec::new(),
        )
        .await;
    assert_eq!(attempt.outcome.status_code(), Some(302));
    assert_eq!(server.connections.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let server = TestServer::start(None).await;
    let timeout = Duration::from_millis(300);
    let started = Instant::now();
    let attempt = sender(HttpConfig {
        timeout,
        ..config(true)
    })
    .send(
        &server.url("127.0.0.1"),
        "application/json",
        &no_headers(),
        Vec::new(),
    )
    .await;
    assert_eq!(attempt.outcome, AttemptOutcome::Timeout);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(attempt.latency >= timeout, "{:?}", attempt.latency);
}

#[tokio::test]
async fn a_closed_port_is_a_connect_failure() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("local address").port();
    drop(listener);
    let attempt = sender(config(true))
        .send(
            &format!("http://127.0.0.1:{port}/"),
            "application/json",
            &no_headers(),
            Vec::new(),
        )
        .await;
    let AttemptOutcome::Connect(message) = &attempt.outcome else {
        panic!("{:?}", attempt.outcome);
    };
    assert!(!message.contains("127.0.0.1"), "{message}");
    assert!(message.len() <= MAX_MESSAGE_CHARS + 3, "{message}");
}

#[tokio::test]
async fn the_excerpt_is_cut_at_the_limit() {
    let body = "x".repeat(1000);
    let server = TestServer::answering(&response("500 Internal Server Error", "", &body)).await;
    let attempt = sender(HttpConfig {
        max_excerpt_bytes: 16,
        ..config(true)
    })
    .send(
        &server.url("127.0.0.1"),
        "application/json",
        &no_headers(),
        Vec::new(),
    )
    .await;
    assert_eq!(attempt.outcome.status_code(), Some(500));
    assert_eq!(
        attempt.response_excerpt.as_deref(),
        Some("x".repeat(16).as_str())
    );
}

#[tokio::test]
async fn an_endless_body_is_not_waited_for() {
    // Promises a megabyte, sends 100 bytes and stalls: the excerpt needs only the first 64.
    let head = "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n";
    let server = TestServer::answering(&format!("{head}{}", "y".repeat(100))).await;
    let started = Instant::now();
    let attempt = sender(config(true))
        .send(
            &server.url("127.0.0.1"),
            "application/json",
            &no_headers(),
            Vec::new(),
        )
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(attempt.outcome.status_code(), Some(200));
    assert_eq!(attempt.response_excerpt.map(|e| e.len()), Some(64));
}

#[tokio::test]
async fn private_targets_are_refused_without_connecting() {
    let server = TestServer::answering(&response("200 OK", "", "")).await;
    let guarded = sender(config(false));
    for (host, message) in [
        ("127.0.0.1", "the target is a loopback address"),
        ("localhost", "the target resolves to a loopback address"),
    ] {
        let attempt = guarded
            .send(
                &server.url(host),
                "application/json",
                &no_headers(),
                Vec::new(),
            )
            .await;
        assert_eq!(
            attempt.outcome,
            AttemptOutcome::Refused(message.into()),
            "{host}"
        );
    }
    assert_eq!(server.connections.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn private_targets_are_delivered_when_allowed() {
    let server = TestServer::answering(&response("204 No Content", "", "")).await;
    let open = sender(config(true));
    for host in ["127.0.0.1", "localhost"] {
        let attempt = open
            .send(
                &server.url(host),
                "application/json",
                &no_headers(),
                Vec::new(),
            )
            .await;
        assert_eq!(attempt.outcome.status_code(), Some(204), "{host}");
    }
    assert_eq!(server.requests().await.len(), 2);
}

#[tokio::test]
async fn bad_input_is_an_outcome_not_a_panic() {
    let open = sender(config(true));
    let attempt = open
        .send("not a url", "application/json", &no_headers(), Vec::new())
        .await;
    assert!(
        matches!(attempt.outcome, AttemptOutcome::Other(_)),
        "{attempt:?}"
    );
    let bad_header = vec![("bad header".to_string(), "x".to_string())];
    let attempt = open
        .send(
            "http://127.0.0.1:9/",
            "application/json",
            &bad_header,
            Vec::new(),
        )
        .await;
    assert!(
        matches!(attempt.outcome, AttemptOutcome::Other(_)),
        "{attempt:?}"
    );
}

mod retry_after;
