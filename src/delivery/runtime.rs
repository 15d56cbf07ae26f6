//! Starts and stops the delivery tasks of one process: the router, the worker pool and the
//! scheduler (retry pump and events trimming). On shutdown they stop taking work, in-flight
//! deliveries get until the deadline, and whatever is left unfinished stays pending in Redis for
//! another process (or this one, restarted) to reclaim.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

use super::schedule::Scheduler;
use super::sender::{Sender, SenderConfig};
use super::worker::{Limits, Worker, WorkerSettings};
use crate::backoff::RetryPolicy;
use crate::config::{DeliverySettings, RedisSettings};
use crate::metrics::Metrics;
use crate::queue::Queue;
use crate::routing::route::Router;
use crate::routing::snapshot::SubscriptionCache;
use crate::shutdown::Shutdown;

pub struct DeliveryRuntime {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl DeliveryRuntime {
    pub fn start(
        queue: Queue,
        delivery: &DeliverySettings,
        redis: &RedisSettings,
        audit_len: usize,
        metrics: Metrics,
    ) -> anyhow::Result<DeliveryRuntime> {
        let (stop, shutdown) = Shutdown::channel();
        let errors = metrics.redis_errors.clone();
        let area = |name: &'static str| queue.counting_errors(errors.clone(), name);
        let consumer = consumer_name();
        let cache = SubscriptionCache::new(area("deliver"))
            .counting_unreadable(metrics.unreadable_records.clone());
        let visibility_timeout = Duration::from_secs(delivery.visibility_timeout_secs);
        let sender = Sender::new(SenderConfig {
            timeout: Duration::from_secs(delivery.timeout_secs),
            allow_private_targets: delivery.allow_private_targets,
            user_agent: format!("shiprelay/{} (+webhook relay)", env!("CARGO_PKG_VERSION")),
            max_excerpt_bytes: delivery.response_excerpt_bytes,
            max_idle_per_host: delivery.concurrency,
        })?;
        let settings = WorkerSettings {
            policy: RetryPolicy {
                base: Duration::from_millis(delivery.retry_base_ms),
                cap: Duration::from_secs(delivery.retry_cap_secs),
                max_attempts: delivery.max_attempts,
                max_age: Duration::from_secs(delivery.max_age_secs),
                max_retry_after: Duration::from_secs(delivery.max_retry_after_secs),
            },
            concurrency: delivery.concurrency,
            per_subscription_in_flight: delivery.per_subscription_in_flight,
            visibility_timeout,
            disable_after_failing: chrono::Duration::seconds(
                i64::try_from(delivery.disable_after_failing_secs).unwrap_or(i64::MAX / 1000),
            ),
            attempts_log_len: delivery.attempts_log_len,
            audit_len,
        };
        let sender = Arc::new(sender);
        let pool = Arc::new(Semaphore::new(delivery.concurrency));
        let limits = Arc::new(Limits::default());
        let mut tasks = Vec::new();
        // A router, a worker and a scheduler per partition: each blocks on its own streams.
        for index in 0..queue.partition_count() {
            let part = |name: &'static str| area(name).partition(index);
            let router = Router {
                queue: part("route").dedicated()?,
                cache: cache.clone(),
                consumer: consumer.clone(),
                visibility_timeout,
            };
            let worker = Worker {
                queue: part("deliver"),
                reader: part("deliver").dedicated()?,
                pool: pool.clone(),
                limits: limits.clone(),
                cache: cache.clone(),
                sender: sender.clone(),
                consumer: consumer.clone(),
                metrics: metrics.clone(),
                settings: settings.clone(),
            };
            let scheduler = Scheduler {
                queue: part("schedule"),
                events_retention: Duration::from_secs(redis.events_retention_secs),
                dead_retention: Duration::from_secs(redis.dead_retention_secs),
                quarantine_retention: Duration::from_secs(redis.quarantine_retention_secs),
                idle_consumer: Duration::from_secs(redis.idle_consumer_secs),
            };
            tasks.push(tokio::spawn(router.run(shutdown.clone())));
            tasks.push(tokio::spawn(worker.run(shutdown.clone())));
            tasks.push(tokio::spawn(scheduler.run(shutdown.clone())));
        }
        let upgrade = crate::upgrade::Upgrade {
            queue: area("upgrade"),
            owner: consumer.clone(),
            visibility_timeout,
        };
        tasks.push(tokio::spawn(upgrade.run(shutdown.clone())));
        tracing::info!(%consumer, partitions = queue.partition_count(), "delivery started");
        Ok(DeliveryRuntime { stop, tasks })
    }

    /// Stops taking work and waits for in-flight deliveries, at most `deadline`.
    pub async fn stop(self, deadline: Duration) {
        let _ = self.stop.send(true);
        let all = futures_util::future::join_all(self.tasks);
        if tokio::time::timeout(deadline, all).await.is_err() {
            tracing::warn!(
                "delivery did not finish within the shutdown deadline; unfinished jobs stay pending for reclaiming"
            );
        }
    }
}

/// Unique per process, readable in XINFO CONSUMERS: host, pid and a random suffix.
fn consumer_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "shiprelay".into());
    format!(
        "{host}-{}-{:04x}",
        std::process::id(),
        rand::random::<u16>()
    )
}
