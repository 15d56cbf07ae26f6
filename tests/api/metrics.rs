//! `/metrics` end to end: a known mix of ingest outcomes and deliveries, then the counters, the
//! depths sampled from Redis, and the process metrics as Prometheus reads them; a relay that has
//! done nothing already exports every series the dashboard and the alerts read; deliveries by
//! tenant, with the tenant label capped.

use std::time::Duration;

use serde_json::json;

use crate::helpers::*;
use crate::sink::{Answer, Sink};

async fn metric_eventually(app: &TestApp, sample: &str, expected: f64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let value = app.metric(sample).await;
        if value == expected {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{sample} is {value}, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn flexops(id: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"id": id, "type": "tracking.updated",
        "data": {"trackingNumber": "1Z999AA10123456784", "carrier": "ups", "status": "in_transit"}}))
    .unwrap()
}

#[tokio::test]
async fn counters_depths_and_process_metrics_reflect_what_happened() {
    let app = spawn_app().await;
    let sink = Sink::start().await;
    sink.then([Answer::status(500)]);
    app.create_subscription(json!({"url": sink.url, "events": ["*"]}))
        .await;
    let disabled = app
        .create_subscription(json!({"url": sink.url, "events": ["order.*"]}))
        .await;
    app.api(
        reqwest::Method::PATCH,
        &format!("/v1/subscriptions/{}", disabled["id"].as_str().unwrap()),
    )
    .json(&json!({"enabled": false}))
    .send()
    .await
    .unwrap();

    for id in ["e1", "e2", "e1"] {
        let body = flexops(id);
        app.ingest_flexops(&body).await;
    }
    app.post_ingest("flexops", b"{}", &[("X-FlexOps-Signature", "00".into())])
        .await;
    app.post_ingest("flexops", b"not json", &flexops_headers(b"not json"))
        .await;
    app.post_ingest("nowhere", b"{}", &[]).await;
    sink.wait_for(3, Duration::from_secs(20)).await; // e1 fails once, then e1 and e2 succeed

    let ingest = |outcome: &str, source: &str| {
        format!(r#"shiprelay_ingest_requests_total{{outcome="{outcome}",source="{source}"}}"#)
    };
    for (outcome, source, count) in [
        ("accepted", "flexops", 2.0),
        ("duplicate", "flexops", 1.0),
        ("unauthorized", "flexops", 1.0),
        ("quarantined", "flexops", 1.0),
        ("not_found", "unknown", 1.0),
    ] {
        assert_eq!(
            app.metric(&ingest(outcome, source)).await,
            count,
            "{outcome}"
        );
    }
    assert_eq!(
        app.metric(r#"shiprelay_events_total{source="flexops",type="tracking.updated"}"#)
            .await,
        2.0
    );
    metric_eventually(
        &app,
        r#"shiprelay_delivery_attempts_total{outcome="delivered"}"#,
        2.0,
    )
    .await;
    assert_eq!(
        app.metric(r#"shiprelay_delivery_attempts_total{outcome="retry"}"#)
            .await,
        1.0
    );
    assert_eq!(
        app.metric("shiprelay_delivery_lag_seconds_count").await,
        2.0
    );
    assert_eq!(
        app.metric("shiprelay_delivery_duration_seconds_count")
            .await,
        3.0
    );
    assert_eq!(
        app.metric(r#"shiprelay_ingest_duration_seconds_count{source="flexops"}"#)
            .await,
        5.0
    );

    // Sampled from Redis every second.
    metric_eventually(&app, r#"shiprelay_queue_depth{queue="quarantine"}"#, 1.0).await;
    for queue in [
        "events_unrouted",
        "deliveries_pending",
        "retry_scheduled",
        "dead",
    ] {
        metric_eventually(
            &app,
            &format!(r#"shiprelay_queue_depth{{queue="{queue}"}}"#),
            0.0,
        )
        .await;
    }
    metric_eventually(
        &app,
        r#"shiprelay_queue_oldest_age_seconds{queue="events"}"#,
        0.0,
    )
    .await;
    metric_eventually(&app, r#"shiprelay_subscriptions{state="enabled"}"#, 1.0).await;
    metric_eventually(&app, r#"shiprelay_subscriptions{state="disabled"}"#, 1.0).await;
    assert!(app.metric("process_resident_memory_bytes").await > 1_000_000.0);
    assert!(app.metric("process_start_time_seconds").await > 1_600_000_000.0);

    let text = app.metrics_text(&app.address).await;
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/target/metrics-sample.prom");
    // scripts/check-deploy runs `promtool check metrics` on it. `target/` is absent when the
    // build goes to another CARGO_TARGET_DIR.
    std::fs::create_dir_all(std::path::Path::new(sample).parent().unwrap()).unwrap();
    std::fs::write(sample, &text).unwrap();
}

#[tokio::test]
async fn backlogs_and_redis_errors_are_visible() {
    let mut app = spawn_app_with(|toml| {
        toml.replace("role = \"all\"", "")
            .replace("workers = 2", "workers = 2\nrole = \"ingest\"")
    })
    .await;
    let sink = Sink::start().await;
    app.create_subscription(json!({"url": sink.url, "events": ["*"]}))
        .await;
    for id in ["e1", "e2", "e3"] {
        let body = flexops(id);
        app.ingest_flexops(&body).await;
    }
    // The enqueue fanned the events out itself; nobody delivers in an ingest-only deployment:
    // the backlog of jobs and its age show, in total and in the partitions that hold them.
    metric_eventually(
        &app,
        r#"shiprelay_queue_depth{queue="deliveries_pending"}"#,
        3.0,
    )
    .await;
    assert_eq!(
        app.metric(r#"shiprelay_queue_depth{queue="events_unrouted"}"#)
            .await,
        0.0
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        app.metric(r#"shiprelay_queue_oldest_age_seconds{queue="deliveries"}"#)
            .await
            >= 1.0
    );
    let mut in_partitions = 0.0;
    for partition in 0..TEST_PARTITIONS {
        in_partitions += app
            .metric(&format!(
                r#"shiprelay_partition_queue_depth{{partition="{partition}",queue="deliveries_pending"}}"#
            ))
            .await;
    }
    assert_eq!(in_partitions, 3.0);

    app.redis.kill();
    let body = flexops("e4");
    app.ingest_flexops(&body).await;
    assert!(
        app.metric(r#"shiprelay_redis_errors_total{op="http"}"#)
            .await
            >= 1.0
    );
}

#[tokio::test]
async fn metrics_can_move_to_their_own_port() {
    let port = free_port();
    let app = spawn_app_with(|toml| {
        toml.replace(
            "listen = \"\"\npublic = true\n",
            &format!("listen = \"127.0.0.1:{port}\"\n"),
        )
    })
    .await;
    let own = app
        .client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    let text = own.text().await.unwrap();
    // Labelled families appear with their first sample; these exist before any traffic.
    assert!(
        text.contains("# HELP shiprelay_delivery_duration_seconds"),
        "{text}"
    );
    assert!(
        text.contains("# HELP process_resident_memory_bytes"),
        "{text}"
    );
    let main = app.get_anonymously("/metrics").await;
    assert_problem(main, 404, "not-found").await;
}

/// A restart finds its consumer groups already there (BUSYGROUP): that is not a Redis failure, and
/// `/metrics` must not count it as one. Every area's counter is exported, at zero.
#[tokio::test]
async fn a_restart_on_existing_groups_counts_no_redis_error() {
    let app = spawn_app().await;
    app.stop().await;
    let restarted = app.spawn_second().await;
    // Let the delivery runtime create (find) its groups and run a first sample.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let text = app.metrics_text(&restarted.address).await;
    for area in ["http", "route", "deliver", "schedule", "upgrade", "sample"] {
        let sample = format!("shiprelay_redis_errors_total{{op=\"{area}\"}} 0");
        assert!(
            text.lines().any(|line| line == sample),
            "missing `{sample}` in:\n{text}"
        );
    }
}

/// The PromQL of every dashboard target and query variable, and of every alert's `expr`, with
/// where it comes from.
fn dashboard_and_alert_expressions() -> Vec<(String, String)> {
    fn walk(value: &serde_json::Value, place: &str, out: &mut Vec<(String, String)>) {
        match value {
            serde_json::Value::Object(map) => {
                let title = map.get("title").and_then(|t| t.as_str()).unwrap_or(place);
                for (key, value) in map {
                    match (key.as_str(), value.as_str()) {
                        ("expr" | "definition", Some(expr)) => {
                            out.push((format!("dashboard {title:?}"), expr.to_string()))
                        }
                        ("query", Some(expr)) if expr.contains('(') => {
                            out.push((format!("dashboard {title:?}"), expr.to_string()))
                        }
                        _ => walk(value, title, out),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, place, out)),
            _ => {}
        }
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let dashboard = std::fs::read_to_string(format!("{root}/dashboards/shiprelay.json")).unwrap();
    let mut out = Vec::new();
    walk(&serde_json::from_str(&dashboard).unwrap(), "", &mut out);
    // alerts.yml: `expr: <one line>` or `expr: |` followed by more indented lines.
    let alerts = std::fs::read_to_string(format!("{root}/deploy/prometheus/alerts.yml")).unwrap();
    let lines: Vec<&str> = alerts.lines().collect();
    let mut alert = String::new();
    for (i, line) in lines.iter().enumerate() {
        let indent = line.len() - line.trim_start().len();
        if let Some(name) = line.trim().strip_prefix("- alert:") {
            alert = name.trim().to_string();
        }
        let Some(rest) = line.trim().strip_prefix("expr:") else {
            continue;
        };
        let mut expr = rest.trim().to_string();
        if expr == "|" || expr == ">" {
            expr = lines[i + 1..]
                .iter()
                .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > indent)
                .map(|l| l.trim())
                .collect::<Vec<_>>()
                .join(" ");
        }
        out.push((format!("alert {alert}"), expr));
    }
    out
}

/// The metric selectors of a PromQL expression: each `shiprelay_*` or `process_*` name, reduced to
/// its family (a histogram's `_bucket`, `_sum` and `_count` to the histogram, when `histograms`
/// says it is one), with the label values its `{...}` asks for (`=` and `=~` alternatives; the
/// dashboard's `$job` and `$instance` left out). String literals are not names.
fn selectors(expr: &str, histograms: &[String]) -> Vec<(String, Vec<(String, String)>)> {
    let chars: Vec<char> = expr.chars().collect();
    let is_part = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '\'' {
            i += 1;
            while i < chars.len() && chars[i] != c {
                i += 1;
            }
            i += 1;
            continue;
        }
        if !(c.is_ascii_alphabetic() || c == '_') || (i > 0 && is_part(chars[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && is_part(chars[i]) {
            i += 1;
        }
        let name: String = chars[start..i].iter().collect();
        if !(name.starts_with("shiprelay_") || name.starts_with("process_")) {
            continue;
        }
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| {
                let base = name.strip_suffix(suffix)?;
                histograms
                    .iter()
                    .any(|h| h == base)
                    .then(|| base.to_string())
            })
            .unwrap_or(name);
        let mut labels = Vec::new();
        if chars.get(i) == Some(&'{') {
            let end = i + chars[i..].iter().position(|&c| c == '}').unwrap();
            let inside: String = chars[i + 1..end].iter().collect();
            for matcher in inside.split(',') {
                let Some((label, value)) = matcher.split_once('=') else {
                    continue;
                };
                let (label, value) = (label.trim(), value.trim());
                if label.ends_with('!') {
                    continue; // `!=` names a value that need not exist (`!~` has no `=`)
                }
                let value = value.trim_start_matches('~').trim_matches('"');
                if value.contains('$') {
                    continue;
                }
                for alternative in value.split('|') {
                    labels.push((label.to_string(), alternative.to_string()));
                }
            }
            i = end + 1;
        }
        out.push((family, labels));
    }
    out
}

#[test]
fn the_selector_extractor_finds_families_and_label_values() {
    let histograms = ["shiprelay_delivery_lag_seconds".to_string()];
    assert_eq!(
        selectors(
            r#"sum(rate(shiprelay_delivery_lag_seconds_bucket{job=~"$job", queue=~"a|b"}[5m])) / up{x="shiprelay_no"} + shiprelay_events_total_count"#,
            &histograms
        ),
        [
            (
                "shiprelay_delivery_lag_seconds".to_string(),
                vec![
                    ("queue".to_string(), "a".to_string()),
                    ("queue".to_string(), "b".to_string())
                ]
            ),
            ("shiprelay_events_total_count".to_string(), vec![])
        ]
    );
}

/// A relay that has received nothing and delivered nothing: its first scrape after `/healthz`
/// already has a sample of every family a dashboard panel or an alert reads, with every label
/// value they name, and its counters are at zero (before, a fresh relay exported no delivery
/// attempts and no ingest requests: rates said "no data" and absence misled alerts).
#[tokio::test]
async fn a_fresh_relay_exports_every_series_the_dashboard_and_the_alerts_read() {
    let app = spawn_app().await;
    let health = app.get_anonymously("/healthz").await;
    assert_eq!(health.status(), 200);
    let text = app.metrics_text(&app.address).await;

    let histograms: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" histogram"))
        .map(str::to_string)
        .collect();
    // (series name, labels) of every sample.
    let samples: Vec<(&str, &str)> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let name_end = l.find(['{', ' ']).unwrap();
            let labels = l[name_end..]
                .split_once('}')
                .map_or("", |(labels, _)| labels);
            (&l[..name_end], labels)
        })
        .collect();
    let of_family = |family: &str, name: &str| {
        name == family
            || ["_bucket", "_sum", "_count"]
                .iter()
                .any(|suffix| name.strip_suffix(suffix) == Some(family))
    };

    let expressions = dashboard_and_alert_expressions();
    assert!(expressions.len() >= 40, "{expressions:#?}");
    let mut missing = Vec::new();
    let mut checked = std::collections::BTreeSet::new();
    for (place, expr) in &expressions {
        for (family, labels) in selectors(expr, &histograms) {
            checked.insert(family.clone());
            let family_samples: Vec<&str> = samples
                .iter()
                .filter(|(name, _)| of_family(&family, name))
                .map(|(_, labels)| *labels)
                .collect();
            if family_samples.is_empty() {
                missing.push(format!("{place}: no sample of {family}"));
            }
            for (label, value) in labels {
                let wanted = format!("{label}=\"{value}\"");
                if !family_samples.iter().any(|l| l.contains(&wanted)) {
                    missing.push(format!("{place}: no {family}{{{wanted}}}"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "{}\n\n{text}", missing.join("\n"));
    for family in [
        "shiprelay_delivery_attempts_total",
        "shiprelay_ingest_requests_total",
        "shiprelay_tenant_delivery_attempts_total",
        "shiprelay_unreadable_records_total",
        "shiprelay_partition_up",
    ] {
        assert!(checked.contains(family), "nothing reads {family}?");
    }

    let lines: Vec<&str> = text.lines().collect();
    let mut zeros = vec![
        r#"shiprelay_delivery_attempts_total{outcome="delivered"} 0"#.to_string(),
        r#"shiprelay_delivery_attempts_total{outcome="disabled"} 0"#.to_string(),
        r#"shiprelay_redis_errors_total{op="http"} 0"#.to_string(),
        r#"shiprelay_ingest_requests_total{outcome="not_found",source="unknown"} 0"#.to_string(),
        r#"shiprelay_tenant_delivery_attempts_total{outcome="delivered",tenant="_other"} 0"#
            .to_string(),
        "shiprelay_delivery_lag_seconds_count 0".to_string(),
        r#"shiprelay_queue_depth{queue="quarantine"} 0"#.to_string(),
        r#"shiprelay_subscriptions{state="disabled"} 0"#.to_string(),
    ];
    for source in [
        "flexport",
        "flexport-v2",
        "logistics",
        "flexops",
        "standard",
        "stripe-like",
        "shop",
    ] {
        for outcome in ["accepted", "unauthorized", "quarantined", "unavailable"] {
            zeros.push(format!(
                r#"shiprelay_ingest_requests_total{{outcome="{outcome}",source="{source}"}} 0"#
            ));
        }
        zeros.push(format!(
            r#"shiprelay_ingest_duration_seconds_count{{source="{source}"}} 0"#
        ));
        zeros.push(format!(
            r#"shiprelay_events_total{{source="{source}",type="tracking.updated"}} 0"#
        ));
    }
    for sample in &zeros {
        assert!(
            lines.contains(&sample.as_str()),
            "missing `{sample}` in:\n{text}"
        );
    }
    // Probed before the first request was served: every partition is up, not 0 until a probe.
    for partition in 0..TEST_PARTITIONS {
        let up = format!(r#"shiprelay_partition_up{{partition="{partition}"}} 1"#);
        assert!(lines.contains(&up.as_str()), "missing `{up}` in:\n{text}");
    }
}

/// Deliveries and lag by tenant: with `metrics.max_tenant_labels = 1`, the first tenant delivered
/// to gets its label, the other one is counted as `_other`; the totals count both.
#[tokio::test]
async fn deliveries_are_counted_by_tenant_up_to_the_cap() {
    let app = spawn_app_with(|toml| {
        toml.replace(
            "sample_interval_secs = 1",
            "sample_interval_secs = 1\nmax_tenant_labels = 1",
        )
    })
    .await;
    let sink = Sink::start().await;
    let created = app
        .call_json(
            reqwest::Method::POST,
            "/v1/tenants",
            &json!({"id": "acme", "name": "Acme", "allowedSources": ["flexops"]}),
        )
        .await;
    assert_eq!(created.status(), 201);
    app.create_subscription(json!({"url": sink.url, "events": ["*"]}))
        .await;
    app.create_subscription(json!({"url": sink.url, "events": ["*"], "tenant": "acme"}))
        .await;
    let body = flexops("t1");
    app.ingest_flexops(&body).await;
    sink.wait_for(2, Duration::from_secs(20)).await;
    metric_eventually(
        &app,
        r#"shiprelay_delivery_attempts_total{outcome="delivered"}"#,
        2.0,
    )
    .await;

    let tenant = |name: &str| {
        format!(
            r#"shiprelay_tenant_delivery_attempts_total{{outcome="delivered",tenant="{name}"}}"#
        )
    };
    assert_eq!(app.metric(&tenant("_other")).await, 1.0);
    let own = app.metric(&tenant("default")).await + app.metric(&tenant("acme")).await;
    assert_eq!(own, 1.0, "one of the two tenants has its own label");
    let text = app.metrics_text(&app.address).await;
    assert!(
        !(text.contains(r#"tenant="default""#) && text.contains(r#"tenant="acme""#)),
        "only one tenant may have a label of its own:\n{text}"
    );
    assert_eq!(
        app.metric(r#"shiprelay_tenant_delivery_lag_seconds_count{tenant="_other"}"#)
            .await,
        1.0
    );
    assert_eq!(
        app.metric("shiprelay_delivery_lag_seconds_count").await,
        2.0
    );
}
