//! The one place metric names live. A `Metrics` value is created per application and passed
//! around (no global registry), so tests that run several apps in one process stay independent.
//!
//! Label values are bounded: sources are configured ids (an unknown path is counted as
//! `unknown`), types come from our vocabulary, outcomes from fixed lists.

use prometheus::{
    Encoder, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

/// `source` label for requests to a path no source is configured at.
pub const UNKNOWN_SOURCE: &str = "unknown";

/// The areas `shiprelay_redis_errors_total{op}` counts under.
pub const REDIS_ERROR_AREAS: [&str; 6] =
    ["http", "route", "deliver", "schedule", "upgrade", "sample"];

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// Every metric family name registered (including the process collector's).
    names: Vec<String>,
    /// `shiprelay_ingest_requests_total{source,outcome}`.
    pub ingest_requests: IntCounterVec,
    /// `shiprelay_ingest_duration_seconds{source}`.
    pub ingest_duration: HistogramVec,
    /// `shiprelay_events_total{source,type}`: events accepted into the stream.
    pub events: IntCounterVec,
    /// `shiprelay_delivery_attempts_total{outcome}`.
    pub delivery_attempts: IntCounterVec,
    /// `shiprelay_delivery_duration_seconds`: one HTTP attempt.
    pub delivery_duration: Histogram,
    /// `shiprelay_delivery_lag_seconds`: event received to delivered.
    pub delivery_lag: Histogram,
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
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let ingest_requests = IntCounterVec::new(
            Opts::new(
                "shiprelay_ingest_requests_total",
                "Webhook requests received from providers, by source and outcome.",
            ),
            &["source", "outcome"],
        )
        .expect("valid metric");
        let ingest_duration = HistogramVec::new(
            HistogramOpts::new(
                "shiprelay_ingest_duration_seconds",
                "Time to verify, normalise and store one webhook request.",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ]),
            &["source"],
        )
        .expect("valid metric");
        let events = IntCounterVec::new(
            Opts::new(
                "shiprelay_events_total",
                "Normalised events accepted into the events stream, by source and type.",
            ),
            &["source", "type"],
        )
        .expect("valid metric");
        let delivery_attempts = IntCounterVec::new(
            Opts::new(
                "shiprelay_delivery_attempts_total",
                "Delivery attempts by what came of them: delivered, retry, dead, disabled, refused.",
            ),
            &["outcome"],
        )
        .expect("valid metric");
        let delivery_duration = Histogram::with_opts(
            HistogramOpts::new(
                "shiprelay_delivery_duration_seconds",
                "Duration of one HTTP delivery attempt.",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0,
            ]),
        )
        .expect("valid metric");
        let delivery_lag = Histogram::with_opts(
            HistogramOpts::new(
                "shiprelay_delivery_lag_seconds",
                "Time from receiving an event to delivering it to a subscriber.",
            )
            .buckets(vec![
                0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 60.0, 300.0, 1800.0, 3600.0, 21600.0, 86400.0,
            ]),
        )
        .expect("valid metric");
        let queue_depth = IntGaugeVec::new(
            Opts::new(
                "shiprelay_queue_depth",
                "Work waiting, by queue: events_unrouted, deliveries_pending, retry_scheduled, dead, quarantine.",
            ),
            &["queue"],
        )
        .expect("valid metric");
        let queue_oldest_age = GaugeVec::new(
            Opts::new(
                "shiprelay_queue_oldest_age_seconds",
                "Age of the oldest unfinished entry (events not yet fanned out, delivery jobs not yet settled); 0 when none.",
            ),
            &["queue"],
        )
        .expect("valid metric");
        let partition_depth = IntGaugeVec::new(
            Opts::new(
                "shiprelay_partition_queue_depth",
                "Work waiting in one partition, by queue: events_unrouted, deliveries_pending, retry_scheduled, dead.",
            ),
            &["partition", "queue"],
        )
        .expect("valid metric");
        let partition_oldest_age = GaugeVec::new(
            Opts::new(
                "shiprelay_partition_oldest_age_seconds",
                "Age of the oldest unfinished entry in one partition (events, deliveries); 0 when none.",
            ),
            &["partition", "queue"],
        )
        .expect("valid metric");
        let partition_up = IntGaugeVec::new(
            Opts::new(
                "shiprelay_partition_up",
                "1 while the partition's Redis master takes writes (checked by readiness), else 0.",
            ),
            &["partition"],
        )
        .expect("valid metric");
        let subscriptions = IntGaugeVec::new(
            Opts::new(
                "shiprelay_subscriptions",
                "Subscriptions by state: enabled, disabled.",
            ),
            &["state"],
        )
        .expect("valid metric");
        let redis_errors = IntCounterVec::new(
            Opts::new(
                "shiprelay_redis_errors_total",
                "Failed Redis operations (errors and timeouts) by area: http, route, deliver, schedule, sample.",
            ),
            &["op"],
        )
        .expect("valid metric");
        // Exported at 0 from the first scrape, so `rate()` and alerts see a series, not "no data".
        for area in REDIS_ERROR_AREAS {
            redis_errors.with_label_values(&[area]);
        }
        let unreadable_records = IntCounterVec::new(
            Opts::new(
                "shiprelay_unreadable_records_total",
                "Stored records that could not be read (kind: subscription), counted at each reload that finds one; their jobs wait.",
            ),
            &["kind"],
        )
        .expect("valid metric");
        unreadable_records.with_label_values(&["subscription"]);
        let delivery_waits = IntCounterVec::new(
            Opts::new(
                "shiprelay_delivery_waits_total",
                "Jobs that waited before their attempt, by reason (rate_limit: for their slot; in_flight_cap: for a place) and where (here: in the process, without a worker; parked: in Redis until due).",
            ),
            &["reason", "where"],
        )
        .expect("valid metric");
        for reason in ["rate_limit", "in_flight_cap"] {
            for place in ["here", "parked"] {
                delivery_waits.with_label_values(&[reason, place]);
            }
        }
        let mut names = Vec::new();
        for collector in [
            Box::new(ingest_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(ingest_duration.clone()),
            Box::new(events.clone()),
            Box::new(delivery_attempts.clone()),
            Box::new(delivery_duration.clone()),
            Box::new(delivery_lag.clone()),
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
            registry,
            names,
            ingest_requests,
            ingest_duration,
            events,
            delivery_attempts,
            delivery_duration,
            delivery_lag,
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

    pub fn count_ingest(&self, source: &str, outcome: IngestOutcome) {
        self.ingest_requests
            .with_label_values(&[source, outcome.label()])
            .inc();
    }

    pub fn count_wait(&self, reason: &str, place: &str) {
        self.delivery_waits
            .with_label_values(&[reason, place])
            .inc();
    }

    pub fn count_delivery(&self, outcome: &str) {
        self.delivery_attempts.with_label_values(&[outcome]).inc();
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
