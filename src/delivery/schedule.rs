//! Time-driven work: due retries move back into the deliveries stream; the events stream is
//! trimmed to its retention (never past events the router has not finished with), dead letters and
//! quarantined payloads to theirs, and consumers of processes that are gone are removed.

use std::time::Duration;

use crate::queue::{Partition, Registry};
use crate::shutdown::Shutdown;

/// How often due retries are looked for: the precision of retry times.
const PUMP_INTERVAL: Duration = Duration::from_millis(200);
const PUMP_BATCH: usize = 500;
const TRIM_INTERVAL: Duration = Duration::from_secs(60);
/// How often the partition's copy of the subscriptions version is brought up to date (see
/// `queue/version.rs`).
const VERSION_COPY_INTERVAL: Duration = Duration::from_secs(1);

/// One partition's scheduler; the one of partition 0 also trims the (registry) quarantine.
pub struct Scheduler {
    pub queue: Partition,
    /// The subscriptions version to copy, and (partition 0) the quarantine to trim.
    pub registry: Registry,
    pub events_retention: Duration,
    pub dead_retention: Duration,
    pub quarantine_retention: Duration,
    pub idle_consumer: Duration,
}

impl Scheduler {
    pub async fn run(self, mut shutdown: Shutdown) {
        let mut last_trim: Option<tokio::time::Instant> = None;
        let mut last_copy: Option<tokio::time::Instant> = None;
        while !shutdown.is_stopping() {
            if last_copy.is_none_or(|t| t.elapsed() >= VERSION_COPY_INTERVAL) {
                last_copy = Some(tokio::time::Instant::now());
                match self.registry.subscriptions_version().await {
                    Ok(version) => {
                        if let Err(error) = self.queue.copy_version(version).await {
                            tracing::warn!(%error, "copying the subscriptions version failed");
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "reading the subscriptions version failed")
                    }
                }
            }
            let now_ms = chrono::Utc::now().timestamp_millis();
            match self.queue.pump_due(now_ms, PUMP_BATCH).await {
                Ok(moved) if moved == PUMP_BATCH => continue, // more are due: no pause
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "retry pump failed; retrying shortly"),
            }
            if last_trim.is_none_or(|t| t.elapsed() >= TRIM_INTERVAL) {
                last_trim = Some(tokio::time::Instant::now());
                let cutoff = now_ms - self.events_retention.as_millis() as i64;
                if let Err(error) = self.queue.trim_events(cutoff).await {
                    tracing::warn!(%error, "events trimming failed");
                }
                let before = |retention: Duration| now_ms - retention.as_millis() as i64;
                if let Err(error) = self.queue.trim_dead(before(self.dead_retention)).await {
                    tracing::warn!(%error, "dead-letter trimming failed");
                }
                let quarantine = before(self.quarantine_retention);
                if self.queue.index == 0
                    && let Err(error) = self.registry.trim_quarantine(quarantine).await
                {
                    tracing::warn!(%error, "quarantine trimming failed");
                }
                let idle_ms = self.idle_consumer.as_millis() as u64;
                if let Err(error) = self.queue.remove_idle_consumers(idle_ms).await {
                    tracing::warn!(%error, "removing idle consumers failed");
                }
            }
            shutdown.sleep(PUMP_INTERVAL).await;
        }
    }
}
