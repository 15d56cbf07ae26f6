//! Drives signed FlexOps webhooks at a fixed concurrency for a fixed time.
//! Progress on stderr every second; a JSON summary on stdout.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use shiprelay_bench::{Args, flexops_body, flexops_body_for, new_histogram, q_ms, sign_hex};

const USAGE: &str = "loadgen --url URL --secret S [--concurrency 16] [--duration 10] [--unique]
                    [--rate R] [--warmup 1] [--label NAME] [--subjects N]
  --unique       distinct event ids (nothing is deduplicated); without it every request repeats one id
  --rate R       total requests/s, spread over the senders (latency corrected for coordinated
                 omission); default: as fast as answers come back (closed loop)
  --warmup S     seconds of load before measuring (not counted)
  --subjects N   the events are about N shipments (tracking numbers), taken in turn; default: one
                 shipment per event id";

struct Worker {
    hist: hdrhistogram::Histogram<u64>,
    statuses: BTreeMap<String, u64>,
}

#[tokio::main]
async fn main() {
    let args = Args::parse(USAGE, &["unique"]);
    let url = args.req("url");
    let secret = Arc::new(args.req("secret").into_bytes());
    let concurrency: usize = args.num("concurrency", 16usize).max(1);
    let duration = Duration::from_secs_f64(args.num("duration", 10.0));
    let warmup = Duration::from_secs_f64(args.num("warmup", 1.0));
    let rate: f64 = args.num("rate", 0.0);
    let unique = args.flag("unique");
    let subjects: u64 = args.num("subjects", 0u64);
    let label = args
        .opt("label")
        .unwrap_or_else(|| format!("c={concurrency}"));
    let run = format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client");

    let started = Instant::now();
    let measure_from = started + warmup;
    let deadline = measure_from + duration;
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));

    let progress = {
        let (done, failed, label) = (done.clone(), failed.clone(), label.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            let mut last = 0;
            loop {
                tick.tick().await;
                let now = done.load(Ordering::Relaxed);
                let t = started.elapsed().as_secs_f64();
                let total = (warmup + duration).as_secs_f64();
                eprint!(
                    "\r  loadgen {label}: {t:4.0}/{total:.0} s  {:7} req/s  {now:9} sent  {} errors   ",
                    now - last,
                    failed.load(Ordering::Relaxed)
                );
                last = now;
            }
        })
    };

    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let (client, url, secret, run) = (client.clone(), url.clone(), secret.clone(), run.clone());
        let (done, failed) = (done.clone(), failed.clone());
        let interval = (rate > 0.0).then(|| Duration::from_secs_f64(concurrency as f64 / rate));
        tasks.push(tokio::spawn(async move {
            let mut me = Worker {
                hist: new_histogram(),
                statuses: BTreeMap::new(),
            };
            let mut seq: u64 = 0;
            // Fixed rate: start times are scheduled, and a late request is measured from its
            // scheduled time (no coordinated omission).
            let mut next = Instant::now()
                + interval
                    .map(|i| i.mul_f64(w as f64 / concurrency as f64))
                    .unwrap_or_default();
            loop {
                if interval.is_some() {
                    tokio::time::sleep_until(next.into()).await;
                }
                let scheduled = if interval.is_some() {
                    next
                } else {
                    Instant::now()
                };
                if scheduled >= deadline {
                    break;
                }
                let id = if unique {
                    format!("bench-{run}-{w}-{seq}")
                } else {
                    format!("bench-{run}")
                };
                let body = if subjects > 0 {
                    flexops_body_for(&id, (seq * concurrency as u64 + w as u64) % subjects)
                } else {
                    flexops_body(&id)
                };
                seq += 1;
                let sig = sign_hex(&secret, body.as_bytes());
                let result = client
                    .post(&url)
                    .header("Content-Type", "application/json")
                    .header("X-FlexOps-Signature", sig)
                    .body(body)
                    .send()
                    .await;
                let status = match result {
                    Ok(resp) => {
                        let s = resp.status();
                        let _ = resp.bytes().await;
                        s.as_u16().to_string()
                    }
                    Err(e) if e.is_timeout() => "timeout".to_string(),
                    Err(_) => "connect".to_string(),
                };
                let end = Instant::now();
                done.fetch_add(1, Ordering::Relaxed);
                if status != "200" {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
                if scheduled >= measure_from {
                    let us = end.duration_since(scheduled).as_micros().max(1) as u64;
                    let _ = me.hist.record(us.min(60_000_000));
                    *me.statuses.entry(status).or_default() += 1;
                }
                if let Some(i) = interval {
                    next += i;
                }
            }
            me
        }));
    }

    let mut hist = new_histogram();
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    for t in tasks {
        let w = t.await.expect("worker");
        hist.add(&w.hist).expect("same bounds");
        for (k, v) in w.statuses {
            *statuses.entry(k).or_default() += v;
        }
    }
    progress.abort();
    eprintln!();
    let requests: u64 = statuses.values().sum();
    let ok = statuses.get("200").copied().unwrap_or(0);
    let errors: BTreeMap<_, _> = statuses.iter().filter(|(k, _)| *k != "200").collect();
    let secs = duration.as_secs_f64();
    let summary = serde_json::json!({
        "label": label,
        "url": url,
        "concurrency": concurrency,
        "duration_s": secs,
        "target_rate": rate,
        "requests": requests,
        "ok": ok,
        "errors": errors,
        "rps": (ok as f64 / secs * 10.0).round() / 10.0,
        "p50_ms": q_ms(&hist, 0.50),
        "p99_ms": q_ms(&hist, 0.99),
        "p999_ms": q_ms(&hist, 0.999),
        "max_ms": q_ms(&hist, 1.0),
    });
    println!("{summary}");
}
