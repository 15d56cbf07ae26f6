//! A real HTTP subscriber for the tests: records every request and answers as scripted.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

/// One request as the subscriber saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
    pub at: Instant,
    /// What the sink answered.
    pub status: u16,
}

impl Received {
    pub fn webhook_id(&self) -> &str {
        &self.headers["webhook-id"]
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn header_map(&self) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        for (k, v) in &self.headers {
            map.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        map
    }
}

/// How the sink answers: queued one-off answers first, then the default.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<&'static str>,
    pub delay: Duration,
}

impl Answer {
    pub fn status(status: u16) -> Answer {
        Answer {
            status,
            retry_after: None,
            delay: Duration::ZERO,
        }
    }
}

#[derive(Default)]
struct State {
    received: Mutex<Vec<Received>>,
    queued: Mutex<VecDeque<Answer>>,
    default: Mutex<Option<Answer>>,
    /// The fraction of requests answered 503 at random (after any queued answers).
    failing: Mutex<f64>,
}

pub struct Sink {
    pub url: String,
    state: Arc<State>,
    handle: ServerHandle,
}

impl Sink {
    pub async fn start() -> Sink {
        let state = Arc::new(State::default());
        let shared = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::from(shared.clone()))
                // Subscribers take large events (actix's default would refuse past 256 KiB).
                .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
                .default_service(web::to(record))
        })
        .workers(2)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .unwrap();
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Sink {
            url: format!("http://127.0.0.1:{port}/hook"),
            state,
            handle,
        }
    }

    /// Answer every request like this from now on (after any queued answers).
    pub fn answer(&self, answer: Answer) {
        *self.state.default.lock().unwrap() = Some(answer);
    }

    /// Answer a random `fraction` of the requests 503 from now on (queued answers first).
    pub fn fail_randomly(&self, fraction: f64) {
        *self.state.failing.lock().unwrap() = fraction;
    }

    /// The first request of each webhook-id that was answered 2xx, in arrival order.
    pub fn first_successes(&self) -> Vec<Received> {
        let mut seen = std::collections::HashSet::new();
        self.received()
            .into_iter()
            .filter(|r| (200..300).contains(&r.status))
            .filter(|r| seen.insert(r.webhook_id().to_string()))
            .collect()
    }

    /// Answer the next requests like these, in order.
    pub fn then(&self, answers: impl IntoIterator<Item = Answer>) {
        self.state.queued.lock().unwrap().extend(answers);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// Waits until `n` requests have arrived (or panics after `limit`).
    pub async fn wait_for(&self, n: usize, limit: Duration) -> Vec<Received> {
        let deadline = Instant::now() + limit;
        loop {
            let received = self.received();
            if received.len() >= n {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "sink got {} of {n} requests within {limit:?}",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until `n` distinct webhook-ids have arrived.
    pub async fn wait_for_distinct(&self, n: usize, limit: Duration) -> Vec<Received> {
        let deadline = Instant::now() + limit;
        loop {
            let received = self.received();
            let distinct: std::collections::HashSet<_> = received
                .iter()
                .map(|r| r.webhook_id().to_string())
                .collect();
            if distinct.len() >= n {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "sink got {} of {n} distinct events within {limit:?}",
                distinct.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

async fn record(state: web::Data<State>, request: HttpRequest, body: web::Bytes) -> HttpResponse {
    let headers = request
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let at = Instant::now();
    let queued = state.queued.lock().unwrap().pop_front();
    let failing = *state.failing.lock().unwrap();
    let answer = queued
        .or_else(|| (failing > 0.0 && rand::random::<f64>() < failing).then(|| Answer::status(503)))
        .or_else(|| state.default.lock().unwrap().clone())
        .unwrap_or(Answer::status(200));
    state.received.lock().unwrap().push(Received {
        headers,
        body: body.to_vec(),
        at,
        status: answer.status,
    });
    if !answer.delay.is_zero() {
        tokio::time::sleep(answer.delay).await;
    }
    let mut response =
        HttpResponse::build(actix_web::http::StatusCode::from_u16(answer.status).unwrap());
    if let Some(retry_after) = answer.retry_after {
        response.insert_header(("Retry-After", retry_after));
    }
    response.body(format!("answered {}", answer.status))
}
