//! The worker pool: takes delivery jobs, POSTs them with bounded concurrency (globally and per
//! subscription), and settles each attempt atomically as `backoff::decide` says.
//!
//! A job whose subscription is at its in-flight cap is deferred (back to the schedule for a
//! moment) rather than waited for, so a slow subscriber never occupies the pool and never delays
//! another subscriber.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tracing::Instrument;

use super::attempt::{Attempt, AttemptOutcome};
use super::backoff::{Decision, RetryPolicy, decide};
use super::cache::{SubscriptionCache, Subscriptions};
use super::sender::Sender;
use super::signing::webhook_headers;
use crate::metrics::Metrics;
use crate::queue::Job;
use crate::queue::{LoggedAttempt, Partition, QueueError, Settle, Settlement, Take};
use crate::shutdown::Shutdown;
use crate::subscriptions::model::Subscription;

const BLOCK_MS: u64 = 1000;
const MAX_BATCH: usize = 100;
/// How long a job waits when its subscription is at its in-flight cap.
const DEFER: Duration = Duration::from_millis(250);
/// How long a job waits when its subscription's record cannot be read.
const UNREADABLE_WAIT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct WorkerSettings {
    pub policy: RetryPolicy,
    pub concurrency: usize,
    pub per_subscription_in_flight: usize,
    pub visibility_timeout: Duration,
    pub disable_after_failing: chrono::Duration,
    pub attempts_log_len: usize,
}

/// One partition's worker; the partitions' workers of a process share its pool and its
/// per-subscription limits.
pub struct Worker {
    /// Shared connection: settling, deferring, reading subscriptions.
    pub queue: Partition,
    /// A connection of its own for the blocking reads of the loop.
    pub reader: Partition,
    /// The process's delivery pool (`delivery.concurrency`).
    pub pool: Arc<Semaphore>,
    pub limits: Arc<Limits>,
    pub cache: SubscriptionCache,
    pub sender: Arc<Sender>,
    pub consumer: String,
    pub metrics: Metrics,
    pub settings: WorkerSettings,
}

/// Per-subscription in-flight limits (this process).
#[derive(Default)]
pub struct Limits(Mutex<HashMap<String, Arc<Semaphore>>>);

impl Limits {
    fn try_acquire(&self, subscription_id: &str, cap: usize) -> Option<OwnedSemaphorePermit> {
        let semaphore = {
            let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(subscription_id.to_string())
                .or_insert_with(|| Arc::new(Semaphore::new(cap)))
                .clone()
        };
        semaphore.try_acquire_owned().ok()
    }
}

impl Worker {
    pub async fn run(self, mut shutdown: Shutdown) {
        let worker = Arc::new(self);
        let global = worker.pool.clone();
        let limits = worker.limits.clone();
        let mut in_flight = JoinSet::new();
        let mut last_claim = tokio::time::Instant::now();
        while !shutdown.is_stopping() {
            while in_flight.try_join_next().is_some() {}
            // Wait for room in the pool before taking more work.
            let first = tokio::select! {
                permit = global.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
                _ = shutdown.sleep(Duration::from_secs(3600)) => break,
            };
            let room = (global.available_permits() + 1).min(MAX_BATCH);
            let claim_due = last_claim.elapsed() >= worker.settings.visibility_timeout / 2;
            let read = if claim_due {
                last_claim = tokio::time::Instant::now();
                let min_idle = worker.settings.visibility_timeout.as_millis() as u64;
                worker
                    .reader
                    .take_jobs(
                        &worker.consumer,
                        Take::Stale {
                            min_idle_ms: min_idle,
                        },
                        room,
                    )
                    .await
            } else {
                worker
                    .reader
                    .take_jobs(&worker.consumer, Take::New { block_ms: BLOCK_MS }, room)
                    .await
            };
            let entries = match read {
                Ok(entries) => entries,
                Err(error) => {
                    drop(first);
                    tracing::error!(%error, "reading delivery jobs failed; retrying shortly");
                    shutdown.sleep(Duration::from_millis(500)).await;
                    continue;
                }
            };
            if entries.is_empty() {
                continue;
            }
            // One snapshot of the subscriptions per batch (a GET of the version, not one per job).
            let subscriptions = match worker.cache.current().await {
                Ok(subscriptions) => subscriptions,
                Err(error) => {
                    tracing::error!(%error, "reading subscriptions failed; the jobs will be reclaimed");
                    shutdown.sleep(Duration::from_millis(500)).await;
                    continue;
                }
            };
            let mut first = Some(first);
            for entry in entries {
                let Some(job) = entry.job else {
                    worker.drop_unreadable(&entry.entry_id).await;
                    continue;
                };
                if entry.event_gone {
                    worker.dead_for_lost_event(&entry.entry_id, &job).await;
                    continue;
                }
                let Some(own) = limits.try_acquire(
                    &job.subscription_id,
                    worker.settings.per_subscription_in_flight,
                ) else {
                    worker.defer(&entry.entry_id, &job).await;
                    continue;
                };
                let permit = match first.take() {
                    Some(permit) => permit,
                    None => global
                        .clone()
                        .acquire_owned()
                        .await
                        .expect("the semaphore is never closed"),
                };
                let worker = worker.clone();
                let subscriptions = subscriptions.clone();
                in_flight.spawn(async move {
                    worker.deliver(&entry.entry_id, job, &subscriptions).await;
                    drop((permit, own));
                });
            }
        }
        // Stop taking work; let in-flight deliveries finish (the runtime bounds how long).
        while in_flight.join_next().await.is_some() {}
    }

    /// Settles a job now, with `log` as its attempt-log entry.
    async fn settle(
        &self,
        entry_id: &str,
        job: &Job,
        settle: Settle,
        reason: &str,
        log: Option<&LoggedAttempt>,
    ) -> Result<Option<i64>, QueueError> {
        self.queue
            .settle(Settlement {
                entry_id,
                job,
                settle,
                reason,
                now_ms: Utc::now().timestamp_millis(),
                log,
                log_len: self.settings.attempts_log_len,
            })
            .await
    }

    async fn drop_unreadable(&self, entry_id: &str) {
        tracing::error!(entry = %entry_id, "unreadable delivery job dropped");
        if let Err(error) = self.queue.discard(entry_id).await {
            tracing::warn!(%error, "could not drop an unreadable job; it will be reclaimed");
        }
    }

    /// A job whose event is no longer stored cannot be delivered: it becomes a dead letter that
    /// says so (the retention is validated to outlast every job's retries, so this takes a
    /// configuration change or a Redis that lost data).
    async fn dead_for_lost_event(&self, entry_id: &str, job: &Job) {
        tracing::error!(entry = %entry_id, subscription_id = %job.subscription_id, "the job's event is no longer stored; dead-lettered");
        self.metrics.count_delivery("dead");
        let reason = "the event is no longer stored (past redis.events_retention_secs)";
        if let Err(error) = self.settle(entry_id, job, Settle::Dead, reason, None).await {
            tracing::warn!(%error, "could not dead-letter a job whose event is gone");
        }
    }

    async fn defer(&self, entry_id: &str, job: &Job) {
        let due_ms = Utc::now().timestamp_millis() + DEFER.as_millis() as i64;
        if let Err(error) = self
            .settle(entry_id, job, Settle::Defer { due_ms }, "", None)
            .await
        {
            tracing::warn!(%error, "could not defer a job; it will be reclaimed");
        }
    }

    async fn deliver(&self, entry_id: &str, job: Job, subscriptions: &Subscriptions) {
        let span = tracing::info_span!(
            "delivery",
            event_id = %job.event_id,
            subscription_id = %job.subscription_id,
            attempt = job.attempt,
        );
        if let Err(error) = self
            .try_deliver(entry_id, job, subscriptions)
            .instrument(span)
            .await
        {
            tracing::error!(%error, "could not settle a delivery; it will be retried after the visibility timeout");
        }
    }

    async fn try_deliver(
        &self,
        entry_id: &str,
        job: Job,
        subscriptions: &Subscriptions,
    ) -> Result<(), QueueError> {
        let now = Utc::now();
        if subscriptions.unreadable.contains(&job.subscription_id) {
            // Not deleted: its record is damaged. The job waits until it can be read again.
            tracing::error!("subscription record unreadable; job kept for later");
            let due_ms = now.timestamp_millis() + UNREADABLE_WAIT.as_millis() as i64;
            return self
                .settle(entry_id, &job, Settle::Defer { due_ms }, "", None)
                .await
                .map(drop);
        }
        let Some(subscription) = subscriptions.get(&job.subscription_id) else {
            tracing::info!("subscription deleted; job dropped");
            return self.queue.discard(entry_id).await;
        };
        if !subscription.enabled {
            self.metrics.count_delivery("dead");
            let reason = "subscription disabled";
            return self
                .settle(entry_id, &job, Settle::Dead, reason, None)
                .await
                .map(drop);
        }
        let attempt = self.attempt(subscription, &job, now).await;
        let finished = Utc::now();
        let first_attempt_at = job.first_attempt_at.unwrap_or(now);
        let decision = decide(
            &self.settings.policy,
            job.attempt,
            first_attempt_at,
            finished,
            &attempt.outcome,
            rand::random::<f64>(),
        );
        self.record_metrics(&job, &attempt, &decision, finished);
        let (settle, reason) = match &decision {
            Decision::Delivered => (Settle::Delivered, String::new()),
            Decision::Retry { at, reason } => (
                Settle::Retry {
                    due_ms: at.timestamp_millis(),
                },
                reason.clone(),
            ),
            Decision::Dead { reason } => (Settle::Dead, reason.clone()),
            Decision::Disable { reason } => {
                (Settle::Dead, format!("subscription disabled: {reason}"))
            }
        };
        let scheduled = match settle {
            Settle::Retry { .. } => job.next_attempt(first_attempt_at),
            _ => job.clone(),
        };
        let log = attempt.logged(&job, &decision, now);
        let failing_since = self
            .settle(entry_id, &scheduled, settle, &reason, Some(&log))
            .await?;
        let failing_too_long = failing_since
            .and_then(DateTime::from_timestamp_millis)
            .is_some_and(|since| finished - since >= self.settings.disable_after_failing);
        match decision {
            Decision::Disable { reason } => self.disable(&job.subscription_id, &reason).await,
            _ if failing_too_long => {
                let reason = format!(
                    "failing without a success for {} s",
                    self.settings.disable_after_failing.num_seconds()
                );
                self.disable(&job.subscription_id, &reason).await
            }
            _ => Ok(()),
        }
    }

    async fn attempt(&self, subscription: &Subscription, job: &Job, now: DateTime<Utc>) -> Attempt {
        let secrets = subscription.signing_secrets(now);
        let mut headers: Vec<(String, String)> = subscription
            .headers
            .iter()
            .chain(&subscription.sensitive_headers)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        headers.extend(
            webhook_headers(
                &job.event_id,
                now.timestamp(),
                job.event.as_bytes(),
                &secrets,
            )
            .into_iter()
            .map(|(k, v)| (k.to_string(), v)),
        );
        self.sender
            .send(&subscription.url, &headers, job.event.clone().into_bytes())
            .await
    }

    async fn disable(&self, subscription_id: &str, reason: &str) -> Result<(), QueueError> {
        // Disabling is the relay's own action, not an API call: it writes no audit entry.
        let audit = crate::audit::AuditLog {
            queue: (*self.queue).clone(),
            max_len: 0,
        };
        let service = crate::subscriptions::service::Subscriptions {
            queue: &self.queue,
            audit: &audit,
            known_sources: &[],
            allow_private_targets: true,
        };
        match service.disable(subscription_id, reason, Utc::now()).await {
            Ok(()) => {
                tracing::warn!(%subscription_id, %reason, "subscription disabled");
                self.metrics.count_delivery("disabled");
                Ok(())
            }
            Err(crate::subscriptions::service::ServiceError::Unavailable(e)) => Err(e),
            Err(error) => {
                tracing::warn!(%error, "could not disable the subscription");
                Ok(())
            }
        }
    }

    fn record_metrics(
        &self,
        job: &Job,
        attempt: &Attempt,
        decision: &Decision,
        finished: DateTime<Utc>,
    ) {
        self.metrics
            .delivery_duration
            .observe(attempt.latency.as_secs_f64());
        let outcome = match (decision, &attempt.outcome) {
            (Decision::Delivered, _) => {
                let lag = (finished - job.received_at).num_milliseconds().max(0) as f64 / 1000.0;
                self.metrics.delivery_lag.observe(lag);
                "delivered"
            }
            (_, AttemptOutcome::Refused(_)) => "refused",
            (Decision::Retry { .. }, _) => "retry",
            (Decision::Dead { .. }, _) => "dead",
            (Decision::Disable { .. }, _) => "dead",
        };
        self.metrics.count_delivery(outcome);
    }
}
