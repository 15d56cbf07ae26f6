//! The delivery ceiling: the least a delivery worker must do. XREADGROUP jobs from a stream, POST
//! each one's body to the sink with one pooled reqwest client, XACK, with `--concurrency` requests
//! in flight (shiprelay's delivery.concurrency). No signing, no logging, no retries, no routing.
//! `--prefill N --body-file F` first appends N entries whose field `event` is F's content.
//! Prints progress to stderr and a JSON summary (deliveries, seconds, deliveries/s) to stdout.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use shiprelay_bench::Args;

const USAGE: &str = "ceiling-deliver --redis URL --url SINK_URL [--stream ceiling:deliveries]
                     [--concurrency 64] [--prefill N --body-file FILE] [--batch 4] [--timeout 60]
                     [--prefill-only]   append the entries, then exit";

#[tokio::main]
async fn main() {
    let args = Args::parse(USAGE, &["prefill-only"]);
    let stream = args
        .opt("stream")
        .unwrap_or_else(|| "ceiling:deliveries".into());
    let url = args.req("url");
    let concurrency: usize = args.num("concurrency", 64usize).max(1);
    let batch: usize = args.num("batch", 4usize).max(1);
    let prefill: u64 = args.num("prefill", 0u64);
    let timeout = Duration::from_secs_f64(args.num("timeout", 60.0));
    let client = redis::Client::open(args.req("redis")).expect("redis url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");

    if prefill > 0 {
        let body = std::fs::read(args.req("body-file")).expect("body file");
        let mut left = prefill;
        while left > 0 {
            let n = left.min(1000);
            let mut pipe = redis::pipe();
            for _ in 0..n {
                pipe.cmd("XADD")
                    .arg(&stream)
                    .arg("*")
                    .arg("event")
                    .arg(&body)
                    .ignore();
            }
            let () = pipe.query_async(&mut conn).await.expect("prefill");
            left -= n;
        }
    }
    if args.flag("prefill-only") {
        eprintln!("  prefilled {prefill} entries into {stream}");
        return;
    }
    let _: redis::RedisResult<()> = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(&stream)
        .arg("deliver")
        .arg("0")
        .arg("MKSTREAM")
        .query_async(&mut conn)
        .await;
    let total: u64 = redis::cmd("XLEN")
        .arg(&stream)
        .query_async(&mut conn)
        .await
        .expect("xlen");

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(15))
        .build()
        .expect("http client");
    let delivered = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let progress = {
        let delivered = delivered.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            let mut last = 0;
            loop {
                tick.tick().await;
                let now = delivered.load(Ordering::Relaxed);
                eprint!(
                    "\r  ceiling-deliver: {:4.0} s  {:7} deliveries/s  {now:9}/{total}   ",
                    started.elapsed().as_secs_f64(),
                    now - last
                );
                last = now;
            }
        })
    };

    // `concurrency` consumers, each with one request in flight at a time: the same bound on
    // in-flight deliveries as shiprelay's worker pool.
    let mut tasks = Vec::new();
    for c in 0..concurrency {
        let (mut conn, http, url, stream) =
            (conn.clone(), http.clone(), url.clone(), stream.clone());
        let (delivered, failed) = (delivered.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            let consumer = format!("c{c}");
            loop {
                if delivered.load(Ordering::Relaxed) + failed.load(Ordering::Relaxed) >= total
                    || started.elapsed() > timeout
                {
                    break;
                }
                let reply: redis::streams::StreamReadReply = match redis::cmd("XREADGROUP")
                    .arg("GROUP")
                    .arg("deliver")
                    .arg(&consumer)
                    .arg("COUNT")
                    .arg(batch)
                    .arg("STREAMS")
                    .arg(&stream)
                    .arg(">")
                    .query_async(&mut conn)
                    .await
                {
                    Ok(r) => r,
                    Err(_) => continue,
                };
                // No BLOCK: a blocking read would stall every command multiplexed on the
                // connection. An empty stream is polled every 5 ms instead.
                if reply.keys.iter().all(|k| k.ids.is_empty()) {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                for key in reply.keys {
                    for entry in key.ids {
                        let body: Vec<u8> = entry.get("event").unwrap_or_default();
                        let ok = http
                            .post(&url)
                            .header("Content-Type", "application/json")
                            .body(body)
                            .send()
                            .await
                            .map(|r| r.status().is_success())
                            .unwrap_or(false);
                        let _: redis::RedisResult<()> = redis::cmd("XACK")
                            .arg(&stream)
                            .arg("deliver")
                            .arg(&entry.id)
                            .query_async(&mut conn)
                            .await;
                        if ok { &delivered } else { &failed }.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    progress.abort();
    eprintln!();
    let secs = started.elapsed().as_secs_f64();
    let n = delivered.load(Ordering::Relaxed);
    println!(
        "{}",
        serde_json::json!({
            "deliveries": n,
            "failed": failed.load(Ordering::Relaxed),
            "seconds": (secs * 1000.0).round() / 1000.0,
            "rate": (n as f64 / secs * 10.0).round() / 10.0,
            "concurrency": concurrency,
        })
    );
}
