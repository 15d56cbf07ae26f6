//! The label values a process knows at start, exported at zero before anything happens: every
//! configured source with every ingest outcome and event type, every delivery outcome (in total
//! and for `_other`, so the per-tenant families exist too), every queue, every partition, every
//! subscription state, every Redis error area. A counter or gauge appears in `/metrics` only once
//! a series of it exists: without these, a fresh relay's rates are "no data" instead of 0.

use super::{
    AGED_QUEUES, DELIVERY_OUTCOMES, IngestOutcome, Metrics, OTHER_TENANT, QUEUES,
    REDIS_ERROR_AREAS, SUBSCRIPTION_STATES, UNKNOWN_SOURCE,
};
use crate::event::EventType;

/// What a process knows about its label values at start.
#[derive(Debug, Clone, Copy)]
pub struct Known<'a> {
    /// The configured source ids.
    pub sources: &'a [String],
    /// `redis.partitions`.
    pub partitions: usize,
    /// `metrics.max_tenant_labels`.
    pub max_tenant_labels: usize,
}

/// The queues each partition reports (the quarantine is not partitioned).
pub const PARTITION_QUEUES: [&str; 4] = [QUEUES[0], QUEUES[1], QUEUES[2], QUEUES[3]];

impl Metrics {
    pub(super) fn export_known(&self, known: &Known<'_>) {
        for source in known.sources {
            let source = source.as_str();
            self.ingest_duration.with_label_values(&[source]);
            for outcome in IngestOutcome::ALL {
                // A configured source is never "not found": that is counted as `unknown`.
                if outcome != IngestOutcome::NotFound {
                    self.ingest_requests
                        .with_label_values(&[source, outcome.label()]);
                }
            }
            for event_type in EventType::ALL {
                self.events
                    .with_label_values(&[source, event_type.as_str()]);
            }
        }
        self.ingest_requests
            .with_label_values(&[UNKNOWN_SOURCE, IngestOutcome::NotFound.label()]);
        for outcome in DELIVERY_OUTCOMES {
            self.delivery_attempts.with_label_values(&[outcome]);
            self.tenant_delivery_attempts
                .with_label_values(&[OTHER_TENANT, outcome]);
        }
        self.tenant_delivery_lag.with_label_values(&[OTHER_TENANT]);
        for queue in QUEUES {
            self.queue_depth.with_label_values(&[queue]);
        }
        for queue in AGED_QUEUES {
            self.queue_oldest_age.with_label_values(&[queue]);
        }
        for partition in 0..known.partitions {
            let partition = partition.to_string();
            let partition = partition.as_str();
            // 0 until the start-up probe (before the first request is served) says otherwise.
            self.partition_up.with_label_values(&[partition]);
            for queue in PARTITION_QUEUES {
                self.partition_depth.with_label_values(&[partition, queue]);
            }
            for queue in AGED_QUEUES {
                self.partition_oldest_age
                    .with_label_values(&[partition, queue]);
            }
        }
        for state in SUBSCRIPTION_STATES {
            self.subscriptions.with_label_values(&[state]);
        }
        for area in REDIS_ERROR_AREAS {
            self.redis_errors.with_label_values(&[area]);
        }
        self.unreadable_records.with_label_values(&["subscription"]);
        for reason in ["rate_limit", "in_flight_cap"] {
            for place in ["here", "parked"] {
                self.delivery_waits.with_label_values(&[reason, place]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<&str> {
        text.lines().filter(|l| !l.starts_with('#')).collect()
    }

    #[test]
    fn a_fresh_process_exports_its_known_series_at_zero() {
        let sources = ["flexops".to_string(), "shop".to_string()];
        let metrics = Metrics::for_process(&Known {
            sources: &sources,
            partitions: 2,
            max_tenant_labels: 10,
        });
        let text = metrics.render();
        let lines = lines(&text);
        for expected in [
            r#"shiprelay_ingest_requests_total{outcome="accepted",source="flexops"} 0"#,
            r#"shiprelay_ingest_requests_total{outcome="unauthorized",source="shop"} 0"#,
            r#"shiprelay_ingest_requests_total{outcome="not_found",source="unknown"} 0"#,
            r#"shiprelay_ingest_duration_seconds_count{source="shop"} 0"#,
            r#"shiprelay_events_total{source="shop",type="provider.unmapped"} 0"#,
            r#"shiprelay_delivery_attempts_total{outcome="delivered"} 0"#,
            r#"shiprelay_delivery_attempts_total{outcome="refused"} 0"#,
            r#"shiprelay_tenant_delivery_attempts_total{outcome="dead",tenant="_other"} 0"#,
            r#"shiprelay_tenant_delivery_lag_seconds_count{tenant="_other"} 0"#,
            r#"shiprelay_queue_depth{queue="quarantine"} 0"#,
            r#"shiprelay_queue_oldest_age_seconds{queue="deliveries"} 0"#,
            r#"shiprelay_partition_queue_depth{partition="1",queue="retry_scheduled"} 0"#,
            r#"shiprelay_partition_oldest_age_seconds{partition="1",queue="events"} 0"#,
            r#"shiprelay_partition_up{partition="1"} 0"#,
            r#"shiprelay_subscriptions{state="disabled"} 0"#,
            r#"shiprelay_redis_errors_total{op="http"} 0"#,
            "shiprelay_delivery_lag_seconds_count 0",
        ] {
            assert!(lines.contains(&expected), "missing {expected}:\n{text}");
        }
        // Not a source's outcome, and no partition past the configured ones.
        assert!(!text.contains(r#"outcome="not_found",source="flexops""#));
        assert!(!text.contains(r#"partition="2""#));
    }

    #[test]
    fn tenants_are_counted_in_total_and_by_label_up_to_the_cap() {
        let metrics = Metrics::for_process(&Known {
            sources: &[],
            partitions: 0,
            max_tenant_labels: 1,
        });
        metrics.count_delivery("delivered", Some("acme"));
        metrics.count_delivery("delivered", Some("bolt"));
        metrics.count_delivery("dead", None);
        metrics.observe_lag(0.2, "bolt");
        let text = metrics.render();
        let lines = lines(&text);
        for expected in [
            r#"shiprelay_delivery_attempts_total{outcome="delivered"} 2"#,
            r#"shiprelay_delivery_attempts_total{outcome="dead"} 1"#,
            r#"shiprelay_tenant_delivery_attempts_total{outcome="delivered",tenant="acme"} 1"#,
            r#"shiprelay_tenant_delivery_attempts_total{outcome="delivered",tenant="_other"} 1"#,
            r#"shiprelay_tenant_delivery_attempts_total{outcome="dead",tenant="_other"} 1"#,
            r#"shiprelay_tenant_delivery_lag_seconds_count{tenant="_other"} 1"#,
            "shiprelay_delivery_lag_seconds_count 1",
        ] {
            assert!(lines.contains(&expected), "missing {expected}:\n{text}");
        }
        assert!(!text.contains(r#"tenant="bolt""#));
    }
}
