//! Starts and stops the delivery tasks of one process: the router, the worker pool and the
//! scheduler (retry pump and events trimming). On shutdown they stop taking work, in-flight
//! deliveries get until the deadline, and whatever is left unfinished stays pending in Redis for
//! another process (or this one, restarted) to reclaim.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

use super::admission::Horizons;
use super::admit::Admission;
use super::destination::Destinations;
use super::destination::http::{HttpConfig, HttpDestination};
use super::limits::Limits;
use super::schedule::Scheduler;
use super::settle::Settler;
use super::take::Taker;
use super::worker::Worker;
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

/// What every partition's worker of a process shares.
struct Shared {
    consumer: String,
    cache: SubscriptionCache,
    destinations: Arc<Destinations>,
    pool: Arc<Semaphore>,
    limits: Arc<Limits>,
    metrics: Metrics,
    audit_len: usize,
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
        let http = HttpDestination::new(HttpConfig {
            timeout: Duration::from_secs(delivery.timeout_secs),
            allow_private_targets: delivery.allow_private_targets,
            user_agent: format!("shiprelay/{} (+webhook relay)", env!("CARGO_PKG_VERSION")),
            max_excerpt_bytes: delivery.response_excerpt_bytes,
            max_idle_per_host: delivery.concurrency,
        })?;
        let shared = Shared {
            consumer: consumer_name(),
            cache: SubscriptionCache::new(area("deliver"))
                .counting_unreadable(metrics.unreadable_records.clone()),
            destinations: Arc::new(Destinations { http }),
            pool: Arc::new(Semaphore::new(delivery.concurrency)),
            limits: Arc::new(Limits::default()),
            metrics: metrics.clone(),
            audit_len,
        };
        let visibility_timeout = Duration::from_secs(delivery.visibility_timeout_secs);
        let mut tasks = Vec::new();
        // A router, a worker and a scheduler per partition: each blocks on its own streams.
        for index in 0..queue.partition_count() {
            let part = |name: &'static str| area(name).partition(index);
            let router = Router {
                queue: part("route").dedicated()?,
                cache: shared.cache.clone(),
                consumer: shared.consumer.clone(),
                visibility_timeout,
            };
            let taker = Taker::new(
                part("deliver").dedicated()?,
                shared.consumer.clone(),
                visibility_timeout,
            );
            let worker = worker(
                &shared,
                delivery,
                part("deliver"),
                area("deliver").registry(),
            );
            let scheduler = Scheduler {
                queue: part("schedule"),
                registry: area("schedule").registry(),
                events_retention: Duration::from_secs(redis.events_retention_secs),
                dead_retention: Duration::from_secs(redis.dead_retention_secs),
                quarantine_retention: Duration::from_secs(redis.quarantine_retention_secs),
                idle_consumer: Duration::from_secs(redis.idle_consumer_secs),
            };
            tasks.push(tokio::spawn(router.run(shutdown.clone())));
            tasks.push(tokio::spawn(worker.run(taker, shutdown.clone())));
            tasks.push(tokio::spawn(scheduler.run(shutdown.clone())));
        }
        let upgrade = crate::upgrade::Upgrade {
            queue: area("upgrade"),
            owner: shared.consumer.clone(),
            visibility_timeout,
        };
        tasks.push(tokio::spawn(upgrade.run(shutdown.clone())));
        let consumer = &shared.consumer;
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

/// One partition's worker, on `queue` (settling, parking, reserving slots).
fn worker(
    shared: &Shared,
    delivery: &DeliverySettings,
    queue: crate::queue::Partition,
    registry: crate::queue::Registry,
) -> Worker {
    let visibility_timeout = Duration::from_secs(delivery.visibility_timeout_secs);
    Worker {
        admission: Admission {
            registry: registry.clone(),
            pool: shared.pool.clone(),
            limits: shared.limits.clone(),
            per_subscription_in_flight: delivery.per_subscription_in_flight,
            horizons: Horizons::for_visibility(visibility_timeout),
            metrics: shared.metrics.clone(),
        },
        destinations: shared.destinations.clone(),
        settler: Settler {
            queue,
            registry,
            metrics: shared.metrics.clone(),
            attempts_log_len: delivery.attempts_log_len,
            audit_len: shared.audit_len,
            disable_after_failing: chrono::Duration::seconds(
                i64::try_from(delivery.disable_after_failing_secs).unwrap_or(i64::MAX / 1000),
            ),
        },
        cache: shared.cache.clone(),
        metrics: shared.metrics.clone(),
        policy: RetryPolicy {
            base: Duration::from_millis(delivery.retry_base_ms),
            cap: Duration::from_secs(delivery.retry_cap_secs),
            max_attempts: delivery.max_attempts,
            max_age: Duration::from_secs(delivery.max_age_secs),
            max_retry_after: Duration::from_secs(delivery.max_retry_after_secs),
        },
        concurrency: delivery.concurrency,
    }
}
