//! The one place metric names live. A `Metrics` value is created per application and passed
//! around (no global registry), so tests that run several apps in one process stay independent.
//!
//! Label values are bounded: sources are configured ids (an unknown path is counted as
//! `unknown`), types come from our vocabulary, outcomes from fixed lists, tenants are capped
//! (`metrics.max_tenant_labels`, the rest count as `_other`).
//!
//! Every series a dashboard panel or an alert reads exists from the first scrape: each family is
//! exported at zero for every label value known at start (see `known.rs`), so `rate()` shows 0,
//! not "no data", and `absent()`-style rules do not fire on a relay that has simply been idle.

mod families;
mod known;
pub mod minutes;
pub mod tenant_labels;

use std::sync::Arc;

use prometheus::{
    Encoder, GaugeVec, Histogram, HistogramVec, IntCounterVec, IntGaugeVec, Registry, TextEncoder,
};

pub use known::Known;
pub use tenant_labels::{OTHER as OTHER_TENANT, TenantLabels};

/// `source` label for requests to a path no source is configured at.
pub const UNKNOWN_SOURCE: &str = "unknown";

/// The areas `shiprelay_redis_errors_total{op}` counts under.
pub const REDIS_ERROR_AREAS: [&str; 6] =
    ["http", "route", "deliver", "schedule", "upgrade", "sample"];

/// What can come of a delivery attempt, as `shiprelay_delivery_attempts_total{outcome}` counts it.
pub const DELIVERY_OUTCOMES: [&str; 5] = ["delivered", "retry", "dead", "disabled", "refused"];

/// The `queue` values of `shiprelay_queue_depth` (the partition depths have all but quarantine).
pub const QUEUES: [&str; 5] = [
    "events_unrouted",
    "deliveries_pending",
    "retry_scheduled",
    "dead",
    "quarantine",
];

/// The `queue` values of the oldest-age gauges.
pub const AGED_QUEUES: [&str; 2] = ["events", "deliveries"];

/// The `state` values of `shiprelay_subscriptions`.
pub const SUBSCRIPTION_STATES: [&str; 2] = ["enabled", "disabled"];

pub use crate::config::DEFAULT_MAX_TENANT_LABELS;

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// Every metric family name registered (including the process collector's).
    names: Vec<String>,
    /// Which tenants have a `tenant` label of their own.
    tenants: Arc<TenantLabels>,
    /// `shiprelay_ingest_requests_total{source,outcome}`.
    pub ingest_requests: IntCounterVec,
    /// `shiprelay_ingest_duration_seconds{source}`.
    pub ingest_duration: HistogramVec,
    /// `shiprelay_events_total{source,type}`: events accepted into the stream.
    pub events: IntCounterVec,
    /// `shiprelay_delivery_attempts_total{outcome}`.
    pub delivery_attempts: IntCounterVec,
    /// `shiprelay_tenant_delivery_attempts_total{tenant,outcome}`: the same, by tenant.
    pub tenant_delivery_attempts: IntCounterVec,
    /// `shiprelay_delivery_duration_seconds`: one HTTP attempt.
    pub delivery_duration: Histogram,
    /// `shiprelay_delivery_lag_seconds`: event received to delivered.
    pub delivery_lag: Histogram,
    /// `shiprelay_tenant_delivery_lag_seconds{tenant}`: the same, by tenant.
    pub tenant_delivery_lag: HistogramVec,
    /// `shiprelay_queue_depth{queue}`, sampled from Redis.
    pub queue_depth: IntGaugeVec,
    /// `shiprelay_queue_oldest_age_seconds{queue}`, sampled from Redis.
    pub queue_oldest_age: GaugeVec,
    /// `shiprelay_partition_queue_depth{partition,queue}`, sampled from Redis.
    pub partition_depth: IntGaugeVec,
    /// `shiprelay_partition_oldest_age_seconds{partition,queue}`, sampled from Redis.
    pub partition_oldest_age: GaugeVec,
    /// `shiprelay_partition_up{partition}`: 1 while the partition's master takes writes.
    pub partition_up: IntGaugeVec,
    /// `shiprelay_subscriptions{state}`, sampled from Redis.
    pub subscriptions: IntGaugeVec,
    /// `shiprelay_redis_errors_total{op}`: failed Redis operations by area.
    pub redis_errors: IntCounterVec,
    /// `shiprelay_unreadable_records_total{kind}`: stored records that cannot be read.
    pub unreadable_records: IntCounterVec,
    /// `shiprelay_delivery_waits_total{reason,where}`: jobs that waited for their rate limit's
    /// slot or their in-flight cap's turn, here or parked in Redis.
    pub delivery_waits: IntCounterVec,
    /// The same ingest and delivery counts per minute, for `GET /v1/stats` (flushed to Redis by
    /// `recording::flush`; Prometheus keeps the history of the rest).
    pub minutes: crate::metrics::minutes::MinuteCounts,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// How an ingest request ended, as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestOutcome {
    Accepted,
    Duplicate,
    Unauthorized,
    TooLarge,
    Timeout,
    Quarantined,
    Unavailable,
    NotFound,
    BadRequest,
}

impl IngestOutcome {
    pub const ALL: [IngestOutcome; 9] = [
        IngestOutcome::Accepted,
        IngestOutcome::Duplicate,
        IngestOutcome::Unauthorized,
        IngestOutcome::TooLarge,
        IngestOutcome::Timeout,
        IngestOutcome::Quarantined,
        IngestOutcome::Unavailable,
        IngestOutcome::NotFound,
        IngestOutcome::BadRequest,
    ];

    pub fn label(self) -> &'static str {
        match self {
            IngestOutcome::Accepted => "accepted",
            IngestOutcome::Duplicate => "duplicate",
            IngestOutcome::Unauthorized => "unauthorized",
            IngestOutcome::TooLarge => "too_large",
            IngestOutcome::Timeout => "timeout",
            IngestOutcome::Quarantined => "quarantined",
            IngestOutcome::Unavailable => "unavailable",
            IngestOutcome::NotFound => "not_found",
            IngestOutcome::BadRequest => "bad_request",
        }
    }
}

impl Metrics {
    /// Metrics that know no source and no partition yet (tests, tools); the tenant cap is the
    /// default.
    pub fn new() -> Metrics {
        Metrics::for_process(&Known {
            sources: &[],
            partitions: 0,
            max_tenant_labels: DEFAULT_MAX_TENANT_LABELS,
        })
    }

    /// This process's metrics, every series `known` names exported at zero from the start.
    pub fn for_process(known: &Known<'_>) -> Metrics {
        let metrics = families::register(TenantLabels::new(known.max_tenant_labels));
        metrics.export_known(known);
        metrics
    }

    pub fn count_ingest(&self, source: &str, outcome: IngestOutcome) {
        self.ingest_requests
            .with_label_values(&[source, outcome.label()])
            .inc();
        self.minutes.ingest(now_ms(), source, outcome.label());
    }

    pub fn count_wait(&self, reason: &str, place: &str) {
        self.delivery_waits
            .with_label_values(&[reason, place])
            .inc();
    }

    /// One attempt's `outcome` (one of [`DELIVERY_OUTCOMES`]), in total and for the tenant of
    /// its subscription (`None`: the subscription is gone, counted under `_other`).
    pub fn count_delivery(&self, outcome: &str, tenant: Option<&str>) {
        self.delivery_attempts.with_label_values(&[outcome]).inc();
        self.minutes.delivery(now_ms(), tenant, outcome);
        let tenant = self.tenants.label(tenant);
        self.tenant_delivery_attempts
            .with_label_values(&[tenant.as_str(), outcome])
            .inc();
    }

    /// The lag of one delivered event, in total and for its subscription's tenant.
    pub fn observe_lag(&self, seconds: f64, tenant: &str) {
        self.delivery_lag.observe(seconds);
        self.minutes
            .lag(now_ms(), tenant, (seconds * 1000.0) as i64);
        let tenant = self.tenants.label(Some(tenant));
        self.tenant_delivery_lag
            .with_label_values(&[tenant.as_str()])
            .observe(seconds);
    }

    /// Which partitions took a write just now (by partition number).
    pub fn set_partitions_up(&self, up: &[bool]) {
        for (index, &up) in up.iter().enumerate() {
            self.partition_up
                .with_label_values(&[index.to_string().as_str()])
                .set(i64::from(up));
        }
    }

    /// The name of every metric family this process exports, whether it has samples yet or not.
    pub fn family_names(&self) -> &[String] {
        &self.names
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buffer)
            .expect("text encoding cannot fail");
        String::from_utf8(buffer).expect("text exposition is UTF-8")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
