//! Samples queue depths, oldest-entry ages and subscription counts from Redis into gauges, every
//! few seconds, in every process: Prometheus aggregates replicas with `max`.

use std::time::Duration;

use crate::delivery::cache::SubscriptionCache;
use crate::metrics::Metrics;
use crate::queue::{Queue, QueueStats};
use crate::shutdown::Shutdown;

pub const INTERVAL: Duration = Duration::from_secs(5);

pub struct Sampler {
    pub queue: Queue,
    pub metrics: Metrics,
    pub interval: Duration,
}

impl Sampler {
    pub async fn run(self, mut shutdown: Shutdown) {
        let cache = SubscriptionCache::new(self.queue.clone());
        while !shutdown.is_stopping() {
            match self.queue.stats().await {
                Ok(stats) => self.record(&stats),
                Err(error) => tracing::debug!(%error, "queue sampling failed"),
            }
            if let Ok(subscriptions) = cache.current().await {
                let enabled = subscriptions.all.iter().filter(|s| s.enabled).count() as i64;
                let disabled = subscriptions.all.len() as i64 - enabled;
                self.metrics
                    .subscriptions
                    .with_label_values(&["enabled"])
                    .set(enabled);
                self.metrics
                    .subscriptions
                    .with_label_values(&["disabled"])
                    .set(disabled);
            }
            shutdown.sleep(self.interval).await;
        }
    }

    fn record(&self, stats: &QueueStats) {
        let depth = &self.metrics.queue_depth;
        depth
            .with_label_values(&["events_unrouted"])
            .set(stats.events_unrouted as i64);
        depth
            .with_label_values(&["deliveries_pending"])
            .set(stats.deliveries_pending as i64);
        depth
            .with_label_values(&["retry_scheduled"])
            .set(stats.retry_scheduled as i64);
        depth.with_label_values(&["dead"]).set(stats.dead as i64);
        depth
            .with_label_values(&["quarantine"])
            .set(stats.quarantine as i64);
        let now_ms = chrono::Utc::now().timestamp_millis().max(0) as u64;
        let age = |oldest: Option<u64>| {
            oldest.map_or(0.0, |ms| now_ms.saturating_sub(ms) as f64 / 1000.0)
        };
        let ages = &self.metrics.queue_oldest_age;
        ages.with_label_values(&["events"])
            .set(age(stats.events_oldest_ms));
        ages.with_label_values(&["deliveries"])
            .set(age(stats.deliveries_oldest_ms));
    }
}
