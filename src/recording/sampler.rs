//! Samples queue depths, oldest-entry ages, subscription counts and whether each partition takes
//! writes from Redis into gauges, every few seconds, in every process: Prometheus aggregates
//! replicas with `max`. Queue gauges come per partition (`shiprelay_partition_*`) and in total
//! (`shiprelay_queue_*`).

use std::time::Duration;

use crate::metrics::{Metrics, SUBSCRIPTION_STATES};
use crate::queue::{Queue, QueueError, QueueStats};
use crate::routing::snapshot::SubscriptionCache;
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
            match self.all_stats().await {
                Ok(stats) => self.record(&stats),
                Err(error) => tracing::debug!(%error, "queue sampling failed"),
            }
            if let Ok(subscriptions) = cache.current().await {
                let enabled = subscriptions.all.iter().filter(|s| s.enabled).count() as i64;
                let disabled = subscriptions.all.len() as i64 - enabled;
                let [enabled_label, disabled_label] = SUBSCRIPTION_STATES;
                let states = &self.metrics.subscriptions;
                states.with_label_values(&[enabled_label]).set(enabled);
                states.with_label_values(&[disabled_label]).set(disabled);
            }
            // Readiness probes say so too; this keeps the gauge true where nothing probes.
            let up = self.queue.partitions_up().await;
            self.metrics.set_partitions_up(&up);
            shutdown.sleep(self.interval).await;
        }
    }

    /// Each partition's stats, then the total (quarantine included).
    async fn all_stats(&self) -> Result<(Vec<QueueStats>, QueueStats), QueueError> {
        let parts = futures_util::future::try_join_all(
            self.queue
                .partitions()
                .map(|partition| async move { partition.stats().await }),
        )
        .await?;
        let mut total = QueueStats {
            quarantine: self.queue.quarantine_len().await?,
            ..QueueStats::default()
        };
        for part in &parts {
            total = total.plus(part);
        }
        Ok((parts, total))
    }

    fn record(&self, (parts, total): &(Vec<QueueStats>, QueueStats)) {
        for (index, part) in parts.iter().enumerate() {
            let label = index.to_string();
            let depth = &self.metrics.partition_depth;
            for (queue, value) in [
                ("events_unrouted", part.events_unrouted),
                ("deliveries_pending", part.deliveries_pending),
                ("retry_scheduled", part.retry_scheduled),
                ("dead", part.dead),
            ] {
                depth
                    .with_label_values(&[label.as_str(), queue])
                    .set(value as i64);
            }
            let ages = &self.metrics.partition_oldest_age;
            let now_ms = chrono::Utc::now().timestamp_millis().max(0) as u64;
            for (queue, oldest) in [
                ("events", part.events_oldest_ms),
                ("deliveries", part.deliveries_oldest_ms),
            ] {
                ages.with_label_values(&[label.as_str(), queue])
                    .set(oldest.map_or(0.0, |ms| now_ms.saturating_sub(ms) as f64 / 1000.0));
            }
        }
        self.record_total(total);
    }

    fn record_total(&self, stats: &QueueStats) {
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
