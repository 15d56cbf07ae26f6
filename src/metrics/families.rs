//! Every metric family: its name, help text, labels and buckets, registered in one registry.

use std::sync::Arc;

use prometheus::core::Collector;
use prometheus::{
    GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry,
};

use super::{Metrics, TenantLabels};

const LAG_BUCKETS: [f64; 13] = [
    0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 60.0, 300.0, 1800.0, 3600.0, 21600.0, 86400.0,
];

fn counter(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric")
}

fn gauge(name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric")
}

fn float_gauge(name: &str, help: &str, labels: &[&str]) -> GaugeVec {
    GaugeVec::new(Opts::new(name, help), labels).expect("valid metric")
}

fn histogram_opts(name: &str, help: &str, buckets: &[f64]) -> HistogramOpts {
    HistogramOpts::new(name, help).buckets(buckets.to_vec())
}

/// Creates and registers every family (with no series yet: `Metrics::export_known` adds those).
pub(super) fn register(tenants: TenantLabels) -> Metrics {
    let ingest_requests = counter(
        "shiprelay_ingest_requests_total",
        "Webhook requests received from providers, by source and outcome.",
        &["source", "outcome"],
    );
    let ingest_duration = HistogramVec::new(
        histogram_opts(
            "shiprelay_ingest_duration_seconds",
            "Time to verify, normalise and store one webhook request.",
            &[
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ],
        ),
        &["source"],
    )
    .expect("valid metric");
    let events = counter(
        "shiprelay_events_total",
        "Normalised events accepted into the events stream, by source and type.",
        &["source", "type"],
    );
    let delivery_attempts = counter(
        "shiprelay_delivery_attempts_total",
        "Delivery attempts by what came of them: delivered, retry, dead, disabled, refused.",
        &["outcome"],
    );
    let tenant_delivery_attempts = counter(
        "shiprelay_tenant_delivery_attempts_total",
        "Delivery attempts by the tenant of their subscription and what came of them; tenants past metrics.max_tenant_labels (and attempts whose subscription is gone) count as _other.",
        &["tenant", "outcome"],
    );
    let delivery_duration = Histogram::with_opts(histogram_opts(
        "shiprelay_delivery_duration_seconds",
        "Duration of one HTTP delivery attempt.",
        &[
            0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0,
        ],
    ))
    .expect("valid metric");
    let delivery_lag = Histogram::with_opts(histogram_opts(
        "shiprelay_delivery_lag_seconds",
        "Time from receiving an event to delivering it to a subscriber.",
        &LAG_BUCKETS,
    ))
    .expect("valid metric");
    let tenant_delivery_lag = HistogramVec::new(
        histogram_opts(
            "shiprelay_tenant_delivery_lag_seconds",
            "Time from receiving an event to delivering it, by the tenant of the subscription; tenants past metrics.max_tenant_labels count as _other.",
            &LAG_BUCKETS,
        ),
        &["tenant"],
    )
    .expect("valid metric");
    let queue_depth = gauge(
        "shiprelay_queue_depth",
        "Work waiting, by queue: events_unrouted, deliveries_pending, retry_scheduled, dead, quarantine.",
        &["queue"],
    );
    let queue_oldest_age = float_gauge(
        "shiprelay_queue_oldest_age_seconds",
        "Age of the oldest unfinished entry (events not yet fanned out, delivery jobs not yet settled); 0 when none.",
        &["queue"],
    );
    let partition_depth = gauge(
        "shiprelay_partition_queue_depth",
        "Work waiting in one partition, by queue: events_unrouted, deliveries_pending, retry_scheduled, dead.",
        &["partition", "queue"],
    );
    let partition_oldest_age = float_gauge(
        "shiprelay_partition_oldest_age_seconds",
        "Age of the oldest unfinished entry in one partition (events, deliveries); 0 when none.",
        &["partition", "queue"],
    );
    let partition_up = gauge(
        "shiprelay_partition_up",
        "1 while the partition's Redis master takes writes (probed at start, by every sample and by readiness), else 0.",
        &["partition"],
    );
    let subscriptions = gauge(
        "shiprelay_subscriptions",
        "Subscriptions by state: enabled, disabled.",
        &["state"],
    );
    let redis_errors = counter(
        "shiprelay_redis_errors_total",
        "Failed Redis operations (errors and timeouts) by area: http, route, deliver, schedule, sample.",
        &["op"],
    );
    let unreadable_records = counter(
        "shiprelay_unreadable_records_total",
        "Stored records that could not be read (kind: subscription), counted at each reload that finds one; their jobs wait.",
        &["kind"],
    );
    let delivery_waits = counter(
        "shiprelay_delivery_waits_total",
        "Jobs that waited before their attempt, by reason (rate_limit: for their slot; in_flight_cap: for a place) and where (here: in the process, without a worker; parked: in Redis until due).",
        &["reason", "where"],
    );
    let registry = Registry::new();
    let mut names = Vec::new();
    for collector in [
        Box::new(ingest_requests.clone()) as Box<dyn Collector>,
        Box::new(ingest_duration.clone()),
        Box::new(events.clone()),
        Box::new(delivery_attempts.clone()),
        Box::new(tenant_delivery_attempts.clone()),
        Box::new(delivery_duration.clone()),
        Box::new(delivery_lag.clone()),
        Box::new(tenant_delivery_lag.clone()),
        Box::new(queue_depth.clone()),
        Box::new(queue_oldest_age.clone()),
        Box::new(partition_depth.clone()),
        Box::new(partition_oldest_age.clone()),
        Box::new(partition_up.clone()),
        Box::new(subscriptions.clone()),
        Box::new(redis_errors.clone()),
        Box::new(unreadable_records.clone()),
        Box::new(delivery_waits.clone()),
        Box::new(prometheus::process_collector::ProcessCollector::for_self()),
    ] {
        names.extend(collector.desc().iter().map(|d| d.fq_name.clone()));
        registry
            .register(collector)
            .expect("metric registered once");
    }
    Metrics {
        minutes: crate::metrics::minutes::MinuteCounts::default(),
        registry,
        names,
        tenants: Arc::new(tenants),
        ingest_requests,
        ingest_duration,
        events,
        delivery_attempts,
        tenant_delivery_attempts,
        delivery_duration,
        delivery_lag,
        tenant_delivery_lag,
        queue_depth,
        queue_oldest_age,
        partition_depth,
        partition_oldest_age,
        partition_up,
        subscriptions,
        redis_errors,
        unreadable_records,
        delivery_waits,
    }
}
