//! A subscriber that answers 200 at once, counts deliveries and measures ingest-to-delivery latency
//! from the CloudEvent body (`data.provider.received_at`).
//!   POST /hook (any path but /stats, /reset)  200
//!   GET  /stats   {"count", "distinct", "with_latency", "p50_ms", "p99_ms", "max_ms", "rate", "elapsed_s"}
//!   POST /reset   zero everything

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Instant;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use shiprelay_bench::{Args, new_histogram, q_ms};

const USAGE: &str = "sink --listen 127.0.0.1:9000 [--workers 1]";

struct Stats {
    count: u64,
    ids: HashSet<String>,
    hist: hdrhistogram::Histogram<u64>,
    first: Option<Instant>,
    last: Option<Instant>,
}

impl Stats {
    fn new() -> Stats {
        Stats {
            count: 0,
            ids: HashSet::new(),
            hist: new_histogram(),
            first: None,
            last: None,
        }
    }
}

fn received_at_us(body: &[u8]) -> Option<i64> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let at = v.pointer("/data/provider/received_at")?.as_str()?;
    let at = chrono::DateTime::parse_from_rfc3339(at).ok()?;
    Some(at.timestamp_micros())
}

async fn hook(req: HttpRequest, body: web::Bytes, stats: web::Data<Mutex<Stats>>) -> HttpResponse {
    let now_us = chrono::Utc::now().timestamp_micros();
    let latency = received_at_us(&body).map(|at| (now_us - at).max(1) as u64);
    let id = req
        .headers()
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let sub = req.path().to_string();
    let mut s = stats.lock().unwrap();
    let now = Instant::now();
    s.first.get_or_insert(now);
    s.last = Some(now);
    s.count += 1;
    if let Some(id) = id {
        // A delivery is one (subscription path, event id): fan-out to 10 paths is 10 distinct.
        s.ids.insert(format!("{sub} {id}"));
    }
    if let Some(us) = latency {
        let _ = s.hist.record(us.min(60_000_000));
    }
    HttpResponse::Ok().finish()
}

async fn stats(stats: web::Data<Mutex<Stats>>) -> HttpResponse {
    let s = stats.lock().unwrap();
    let elapsed = match (s.first, s.last) {
        (Some(a), Some(b)) => b.duration_since(a).as_secs_f64(),
        _ => 0.0,
    };
    let rate = if elapsed > 0.0 {
        s.count as f64 / elapsed
    } else {
        0.0
    };
    HttpResponse::Ok().json(serde_json::json!({
        "count": s.count,
        "distinct": s.ids.len(),
        "with_latency": s.hist.len(),
        "p50_ms": q_ms(&s.hist, 0.50),
        "p99_ms": q_ms(&s.hist, 0.99),
        "max_ms": q_ms(&s.hist, 1.0),
        "rate": (rate * 10.0).round() / 10.0,
        "elapsed_s": elapsed,
    }))
}

/// An endpoint that never answers (not counted): the stuck subscriber of the fairness scenario.
async fn stuck() -> HttpResponse {
    tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    HttpResponse::Ok().finish()
}

async fn reset(stats: web::Data<Mutex<Stats>>) -> HttpResponse {
    *stats.lock().unwrap() = Stats::new();
    HttpResponse::Ok().finish()
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse(USAGE, &[]);
    let listen = args
        .opt("listen")
        .unwrap_or_else(|| "127.0.0.1:9000".into());
    let workers: usize = args.num("workers", 1usize);
    let stats = web::Data::new(Mutex::new(Stats::new()));
    HttpServer::new(move || {
        App::new()
            .app_data(stats.clone())
            .app_data(web::PayloadConfig::new(4 * 1024 * 1024))
            .route("/stats", web::get().to(stats_handler))
            .route("/reset", web::post().to(reset))
            .route("/stuck", web::post().to(stuck))
            .default_service(web::post().to(hook))
    })
    .workers(workers)
    .backlog(1024)
    .bind(listen)?
    .run()
    .await
}

async fn stats_handler(s: web::Data<Mutex<Stats>>) -> HttpResponse {
    stats(s).await
}
