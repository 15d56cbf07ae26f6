//! The Grafana dashboard (`dashboards/shiprelay.json`) queries only metrics shiprelay exports, and has
//! the shape provisioning needs. Plain file checks: no Redis, no Grafana.

use std::collections::{BTreeSet, HashSet};

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// Every metric shiprelay exports, as `/metrics` names it (plus Prometheus' own `up`).
/// To be replaced by the `# TYPE` lines of a live `/metrics`.
const EXPORTED: &[(&str, Kind)] = &[
    ("shiprelay_ingest_requests_total", Kind::Counter),
    ("shiprelay_ingest_duration_seconds", Kind::Histogram),
    ("shiprelay_events_total", Kind::Counter),
    ("shiprelay_delivery_attempts_total", Kind::Counter),
    ("shiprelay_delivery_duration_seconds", Kind::Histogram),
    ("shiprelay_delivery_lag_seconds", Kind::Histogram),
    ("shiprelay_tenant_delivery_attempts_total", Kind::Counter),
    ("shiprelay_tenant_delivery_lag_seconds", Kind::Histogram),
    ("shiprelay_delivery_waits_total", Kind::Counter),
    ("shiprelay_queue_depth", Kind::Gauge),
    ("shiprelay_queue_oldest_age_seconds", Kind::Gauge),
    ("shiprelay_partition_queue_depth", Kind::Gauge),
    ("shiprelay_partition_up", Kind::Gauge),
    ("shiprelay_subscriptions", Kind::Gauge),
    ("shiprelay_redis_errors_total", Kind::Counter),
    ("process_cpu_seconds_total", Kind::Counter),
    ("process_resident_memory_bytes", Kind::Gauge),
    ("process_open_fds", Kind::Gauge),
    ("process_start_time_seconds", Kind::Gauge),
    ("up", Kind::Gauge),
];

const HISTOGRAM_SUFFIXES: &[&str] = &["_bucket", "_sum", "_count"];

const ROWS: &[&str] = &["Ingest", "Queues", "Delivery", "Process"];

fn dashboard() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/dashboards/shiprelay.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every panel, rows included, and the panels nested in (collapsed) rows.
fn all_panels(dashboard: &Value) -> Vec<&Value> {
    fn walk<'a>(panels: &'a Value, out: &mut Vec<&'a Value>) {
        for panel in panels.as_array().into_iter().flatten() {
            out.push(panel);
            if let Some(nested) = panel.get("panels") {
                walk(nested, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(&dashboard["panels"], &mut out);
    out
}

fn title(panel: &Value) -> String {
    panel["title"].as_str().unwrap_or("<untitled>").to_string()
}

fn targets(panel: &Value) -> &[Value] {
    panel
        .get("targets")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The metric names a PromQL expression refers to: identifiers (`[a-zA-Z_:][a-zA-Z0-9_:]*`) starting
/// with `shiprelay_` or `process_`, or equal to `up`. String literals (label values, regexes) are
/// skipped, as are numbers and durations (`0.99`, `5m`) and `$variables`.
fn metric_names(expr: &str) -> Vec<String> {
    let chars: Vec<char> = expr.chars().collect();
    let is_start = |c: char| c.is_ascii_alphabetic() || c == '_' || c == ':';
    let is_part = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    let mut names = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '\'' || c == '`' {
            // A string literal: skip to its unescaped closing quote.
            i += 1;
            while i < chars.len() && chars[i] != c {
                if chars[i] == '\\' && c != '`' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
        } else if c.is_ascii_digit() || c == '$' {
            // A number, a duration or a Grafana variable: not a metric.
            i += 1;
            while i < chars.len() && (is_part(chars[i]) || chars[i] == '.') {
                i += 1;
            }
        } else if is_start(c) {
            let start = i;
            while i < chars.len() && is_part(chars[i]) {
                i += 1;
            }
            let ident: String = chars[start..i].iter().collect();
            if ident.starts_with("shiprelay_") || ident.starts_with("process_") || ident == "up" {
                names.push(ident);
            }
        } else {
            i += 1;
        }
    }
    names
}

/// The exported metric a series name belongs to: itself, or for a histogram's `_bucket`, `_sum`
/// and `_count` series the histogram. A histogram's bare name is no series, and a suffix on
/// anything but a histogram is no series either.
fn exported_metric(series: &str) -> Option<&'static str> {
    for &(name, kind) in EXPORTED {
        if kind != Kind::Histogram && series == name {
            return Some(name);
        }
        if kind == Kind::Histogram
            && HISTOGRAM_SUFFIXES
                .iter()
                .any(|suffix| series.strip_suffix(suffix) == Some(name))
        {
            return Some(name);
        }
    }
    None
}

/// The PromQL of every panel target and of every query variable.
fn expressions(dashboard: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for panel in all_panels(dashboard) {
        for target in targets(panel) {
            if let Some(expr) = target.get("expr").and_then(Value::as_str) {
                out.push((format!("panel {:?}", title(panel)), expr.to_string()));
            }
        }
    }
    for var in dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if var["type"] != "query" {
            continue;
        }
        let name = format!("variable {}", var["name"]);
        for query in [&var["query"], &var["query"]["query"], &var["definition"]] {
            if let Some(text) = query.as_str() {
                out.push((name.clone(), text.to_string()));
            }
        }
    }
    out
}

#[test]
fn the_extractor_finds_metric_names_and_nothing_else() {
    assert_eq!(
        metric_names(
            r#"histogram_quantile(0.99, sum by (le) (rate(shiprelay_ingest_duration_seconds_bucket{job=~"$job", queue="shiprelay_not_a_metric"}[5m])))"#
        ),
        ["shiprelay_ingest_duration_seconds_bucket"]
    );
    assert_eq!(
        metric_names(r#"time() - process_start_time_seconds{x='a\'b'} + up * 2e3 + $__range"#),
        ["process_start_time_seconds", "up"]
    );
    assert_eq!(
        exported_metric("shiprelay_delivery_lag_seconds_count"),
        Some("shiprelay_delivery_lag_seconds")
    );
    assert_eq!(exported_metric("shiprelay_delivery_lag_seconds"), None);
    assert_eq!(exported_metric("shiprelay_events_total_count"), None);
    assert_eq!(exported_metric("shiprelay_event_total"), None);
}

#[test]
fn the_dashboard_queries_only_exported_metrics() {
    let dashboard = dashboard();
    let expressions = expressions(&dashboard);
    assert!(
        expressions.len() >= 20,
        "only {} expressions found",
        expressions.len()
    );
    let mut unknown = Vec::new();
    let mut used = BTreeSet::new();
    for (place, expr) in &expressions {
        let names = metric_names(expr);
        if place.starts_with("panel") && names.is_empty() {
            unknown.push(format!("{place}: no shiprelay metric in {expr:?}"));
        }
        for name in names {
            match exported_metric(&name) {
                Some(metric) => {
                    used.insert(metric);
                }
                None => unknown.push(format!("{place}: {name} is not exported")),
            }
        }
    }
    assert!(unknown.is_empty(), "{}", unknown.join("\n"));
    // Every exported metric has a panel.
    let unused: Vec<_> = EXPORTED
        .iter()
        .map(|&(name, _)| name)
        .filter(|name| !used.contains(name))
        .collect();
    assert!(unused.is_empty(), "no panel shows {unused:?}");
}

#[test]
fn the_dashboard_has_the_four_rows() {
    let dashboard = dashboard();
    let rows: Vec<String> = all_panels(&dashboard)
        .into_iter()
        .filter(|panel| panel["type"] == "row")
        .map(title)
        .collect();
    assert_eq!(rows, ROWS);
    // Collapsed rows keep their panels inside; make sure the walk sees them.
    for row in dashboard["panels"].as_array().unwrap() {
        if row["type"] == "row" && row["collapsed"] == true {
            assert!(
                !targets_of_nested(row).is_empty(),
                "collapsed row {:?} is empty",
                title(row)
            );
        }
    }
}

fn targets_of_nested(row: &Value) -> Vec<&Value> {
    row["panels"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(targets)
        .collect()
}

#[test]
fn every_panel_uses_the_datasource_variable() {
    let dashboard = dashboard();
    let expected = serde_json::json!({"type": "prometheus", "uid": "${datasource}"});
    let mut wrong = Vec::new();
    for panel in all_panels(&dashboard) {
        if panel["datasource"] != expected {
            wrong.push(format!("panel {:?}: {}", title(panel), panel["datasource"]));
        }
        for target in targets(panel) {
            if target.get("datasource").is_some_and(|ds| *ds != expected) {
                wrong.push(format!(
                    "target {} of {:?}: {}",
                    target["refId"],
                    title(panel),
                    target["datasource"]
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    let variables = dashboard["templating"]["list"].as_array().unwrap();
    assert!(
        variables.iter().any(|var| var["name"] == "datasource"
            && var["type"] == "datasource"
            && var["query"] == "prometheus"),
        "no datasource variable of type datasource for prometheus"
    );
    assert!(
        dashboard.get("__inputs").is_none(),
        "__inputs prevents provisioning"
    );
    assert_eq!(dashboard["uid"], "shiprelay");
    assert_eq!(dashboard["title"], "shiprelay");
}

#[test]
fn every_graph_has_a_query_and_ids_are_unique() {
    let dashboard = dashboard();
    let mut ids = HashSet::new();
    for panel in all_panels(&dashboard) {
        let kind = panel["type"].as_str().unwrap_or_default();
        if kind == "timeseries" || kind == "stat" {
            assert!(
                targets(panel)
                    .iter()
                    .any(|t| t["expr"].as_str().is_some_and(|e| !e.trim().is_empty())),
                "panel {:?} has no query",
                title(panel)
            );
        }
        let id = panel["id"]
            .as_u64()
            .unwrap_or_else(|| panic!("panel {:?} has no numeric id", title(panel)));
        assert!(
            ids.insert(id),
            "panel id {id} is used twice (again by {:?})",
            title(panel)
        );
    }
}

/// Everything in the list above (what the dashboard may query) is really registered by shiprelay
/// (or is Prometheus' own `up`), so the list cannot drift from the code.
#[test]
fn the_exported_list_is_what_shiprelay_registers() {
    let metrics = shiprelay::metrics::Metrics::new();
    let registered = metrics.family_names();
    for (name, _) in EXPORTED {
        assert!(
            *name == "up" || registered.iter().any(|r| r == name),
            "{name} is listed but shiprelay does not export it"
        );
    }
}
