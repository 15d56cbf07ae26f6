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

/// A family's name, help text, labels and (for a histogram) buckets.
struct Family {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    buckets: &'static [f64],
}

const INGEST_REQUESTS: Family = Family {
    name: "shiprelay_ingest_requests_total",
    help: "Webhook requests received from providers, by source and outcome.",
    labels: &["source", "outcome"],
    buckets: &[],
};

const INGEST_DURATION: Family = Family {
    name: "shiprelay_ingest_duration_seconds",
    help: "Time to verify, normalise and store one webhook request.",
    labels: &["source"],
    buckets: &[
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    ],
};

const EVENTS: Family = Family {
    name: "shiprelay_events_total",
    help: "Normalised events accepted into the events stream, by source and type.",
    labels: &["source", "type"],
    buckets: &[],
};

const DELIVERY_ATTEMPTS: Family = Family {
    name: "shiprelay_delivery_attempts_total",
    help: "Delivery attempts by what came of them: delivered, retry, dead, disabled, refused.",
    labels: &["outcome"],
    buckets: &[],
};

const TENANT_DELIVERY_ATTEMPTS: Family = Family {
    name: "shiprelay_tenant_delivery_attempts_total",
    help: "Delivery attempts by the tenant of their subscription and what came of them; tenants past metrics.max_tenant_labels (and attempts whose subscription is gone) count as _other.",
    labels: &["tenant", "outcome"],
    buckets: &[],
};

const DELIVERY_DURATION: Family = Family {
    name: "shiprelay_delivery_duration_seconds",
    help: "Duration of one HTTP delivery attempt.",
    labels: &[],
    buckets: &[
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0,
    ],
};

const DELIVERY_LAG: Family = Family {
    name: "shiprelay_delivery_lag_seconds",
    help: "Time from receiving an event to delivering it to a subscriber.",
    labels: &[],
    buckets: &LAG_BUCKETS,
};

const TENANT_DELIVERY_LAG: Family = Family {
    name: "shiprelay_tenant_delivery_lag_seconds",
    help: "Time from receiving an event to delivering it, by the tenant of the subscription; tenants past metrics.max_tenant_labels count as _other.",
    labels: &["tenant"],
    buckets: &LAG_BUCKETS,
};

const QUEUE_DEPTH: Family = Family {
    name: "shiprelay_queue_depth",
    help: "Work waiting, by queue: events_unrouted, deliveries_pending, retry_scheduled, dead, quarantine.",
    labels: &["queue"],
    buckets: &[],
};

const QUEUE_OLDEST_AGE: Family = Family {
    name: "shiprelay_queue_oldest_age_seconds",
    help: "Age of the oldest unfinished entry (events not yet fanned out, delivery jobs not yet settled); 0 when none.",
    labels: &["queue"],
    buckets: &[],
};

const PARTITION_DEPTH: Family = Family {
    name: "shiprelay_partition_queue_depth",
    help: "Work waiting in one partition, by queue: events_unrouted, deliveries_pending, retry_scheduled, dead.",
    labels: &["partition", "queue"],
    buckets: &[],
};

const PARTITION_OLDEST_AGE: Family = Family {
    name: "shiprelay_partition_oldest_age_seconds",
    help: "Age of the oldest unfinished entry in one partition (events, deliveries); 0 when none.",
    labels: &["partition", "queue"],
    buckets: &[],
};

const PARTITION_UP: Family = Family {
    name: "shiprelay_partition_up",
    help: "1 while the partition's Redis master takes writes (probed at start, by every sample and by readiness), else 0.",
    labels: &["partition"],
    buckets: &[],
};

const SUBSCRIPTIONS: Family = Family {
    name: "shiprelay_subscriptions",
    help: "Subscriptions by state: enabled, disabled.",
    labels: &["state"],
    buckets: &[],
};

const REDIS_ERRORS: Family = Family {
    name: "shiprelay_redis_errors_total",
    help: "Failed Redis operations (errors and timeouts) by area: http, route, deliver, schedule, sample.",
    labels: &["op"],
    buckets: &[],
};

const UNREADABLE_RECORDS: Family = Family {
    name: "shiprelay_unreadable_records_total",
    help: "Stored records that could not be read (kind: subscription), counted at each reload that finds one; their jobs wait.",
    labels: &["kind"],
    buckets: &[],
};

const DELIVERY_WAITS: Family = Family {
    name: "shiprelay_delivery_waits_total",
    help: "Jobs that waited before their attempt, by reason (rate_limit: for their slot; in_flight_cap: for a place) and where (here: in the process, without a worker; parked: in Redis until due).",
    labels: &["reason", "where"],
    buckets: &[],
};

/// The registry, and every family name in it, as families are added.
struct Families {
    registry: Registry,
    names: Vec<String>,
}

impl Families {
    fn add<C: Collector + Clone + 'static>(&mut self, collector: C) -> C {
        self.register(Box::new(collector.clone()));
        collector
    }

    fn register(&mut self, collector: Box<dyn Collector>) {
        self.names
            .extend(collector.desc().iter().map(|d| d.fq_name.clone()));
        self.registry
            .register(collector)
            .expect("metric registered once");
    }

    fn counter(&mut self, f: &Family) -> IntCounterVec {
        self.add(IntCounterVec::new(Opts::new(f.name, f.help), f.labels).expect("valid metric"))
    }

    fn gauge(&mut self, f: &Family) -> IntGaugeVec {
        self.add(IntGaugeVec::new(Opts::new(f.name, f.help), f.labels).expect("valid metric"))
    }

    fn float_gauge(&mut self, f: &Family) -> GaugeVec {
        self.add(GaugeVec::new(Opts::new(f.name, f.help), f.labels).expect("valid metric"))
    }

    fn histogram(&mut self, f: &Family) -> Histogram {
        self.add(Histogram::with_opts(histogram_opts(f)).expect("valid metric"))
    }

    fn histogram_vec(&mut self, f: &Family) -> HistogramVec {
        self.add(HistogramVec::new(histogram_opts(f), f.labels).expect("valid metric"))
    }
}

fn histogram_opts(f: &Family) -> HistogramOpts {
    HistogramOpts::new(f.name, f.help).buckets(f.buckets.to_vec())
}

/// Creates and registers every family (with no series yet: `Metrics::export_known` adds those).
pub(super) fn register(tenants: TenantLabels) -> Metrics {
    let mut f = Families {
        registry: Registry::new(),
        names: Vec::new(),
    };
    let ingest_requests = f.counter(&INGEST_REQUESTS);
    let ingest_duration = f.histogram_vec(&INGEST_DURATION);
    let events = f.counter(&EVENTS);
    let delivery_attempts = f.counter(&DELIVERY_ATTEMPTS);
    let tenant_delivery_attempts = f.counter(&TENANT_DELIVERY_ATTEMPTS);
    let delivery_duration = f.histogram(&DELIVERY_DURATION);
    let delivery_lag = f.histogram(&DELIVERY_LAG);
    let tenant_delivery_lag = f.histogram_vec(&TENANT_DELIVERY_LAG);
    let queue_depth = f.gauge(&QUEUE_DEPTH);
    let queue_oldest_age = f.float_gauge(&QUEUE_OLDEST_AGE);
    let partition_depth = f.gauge(&PARTITION_DEPTH);
    let partition_oldest_age = f.float_gauge(&PARTITION_OLDEST_AGE);
    let partition_up = f.gauge(&PARTITION_UP);
    let subscriptions = f.gauge(&SUBSCRIPTIONS);
    let redis_errors = f.counter(&REDIS_ERRORS);
    let unreadable_records = f.counter(&UNREADABLE_RECORDS);
    let delivery_waits = f.counter(&DELIVERY_WAITS);
    f.register(Box::new(
        prometheus::process_collector::ProcessCollector::for_self(),
    ));
    Metrics {
        minutes: crate::metrics::minutes::MinuteCounts::default(),
        registry: f.registry,
        names: f.names,
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
