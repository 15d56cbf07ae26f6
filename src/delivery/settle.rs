//! The settle stage: every way a taken job leaves the worker goes through here, into the store.
//! Settled (delivered, retried, dead-lettered, dropped) by the settle script, atomically in the
//! job's partition; parked until a due time (`park.lua`: acknowledged, not claimed, back when due);
//! or, for an entry that cannot be read, discarded. A subscription that answers 410, or keeps
//! failing for `disable_after_failing_secs`, is disabled here through the store.

use chrono::{DateTime, Utc};

use super::decide::Decided;
use crate::backoff::Decision;
use crate::metrics::Metrics;
use crate::queue::{
    Job, LoggedAttempt, Parked, Partition, QueueError, Registry, Settle, Settlement,
};
use crate::subscriptions::model::Subscription;

/// Why a job is parked: each is counted as a wait (`shiprelay_delivery_waits_total`) where it is
/// decided, and logged when parking fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParkReason {
    /// Its rate limit's slot is far off.
    RateLimit,
    /// Its subscription's in-flight cap: its turn is far off, or did not come in time.
    InFlightCap,
    /// The pool stayed full, or the rate limits could not be asked in time.
    Busy,
    /// The process stops.
    Stopping,
    /// Its subscription's record cannot be read.
    Unreadable,
}

/// A job to park until `due_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Park {
    pub reason: ParkReason,
    pub due_ms: i64,
}

pub struct Settler {
    /// The job's partition: settling, parking, discarding.
    pub queue: Partition,
    /// Disabling a subscription.
    pub registry: Registry,
    pub metrics: Metrics,
    /// `delivery.attempts_log_len`.
    pub attempts_log_len: usize,
    /// `api.audit_len`: the audit log the relay's own changes go to.
    pub audit_len: usize,
    /// `delivery.disable_after_failing_secs`.
    pub disable_after_failing: chrono::Duration,
}

impl Settler {
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
                log_len: self.attempts_log_len,
            })
            .await
    }

    /// Carries out a decided attempt; disables the subscription when the decision or its failure
    /// streak says so.
    pub async fn decided(
        &self,
        entry_id: &str,
        decided: Decided,
        subscription: &Subscription,
        finished: DateTime<Utc>,
    ) -> Result<(), QueueError> {
        let failing_since = self
            .settle(
                entry_id,
                &decided.scheduled,
                decided.settle,
                &decided.reason,
                Some(&decided.log),
            )
            .await?;
        let failing_too_long = failing_since
            .and_then(DateTime::from_timestamp_millis)
            .is_some_and(|since| finished - since >= self.disable_after_failing);
        match decided.decision {
            Decision::Disable { reason } => self.disable(subscription, &reason).await,
            _ if failing_too_long => {
                let reason = format!(
                    "failing without a success for {} s",
                    self.disable_after_failing.num_seconds()
                );
                self.disable(subscription, &reason).await
            }
            _ => Ok(()),
        }
    }

    /// The subscription was deleted: the job goes (its lane moves on).
    pub async fn drop_deleted(&self, entry_id: &str, job: &Job) -> Result<(), QueueError> {
        tracing::info!("subscription deleted; job dropped");
        self.settle(entry_id, job, Settle::Drop, "", None)
            .await
            .map(drop)
    }

    /// The subscription is disabled: the job becomes a dead letter, to redrive once it is fixed.
    pub async fn dead_disabled(
        &self,
        entry_id: &str,
        job: &Job,
        tenant: &str,
    ) -> Result<(), QueueError> {
        self.metrics.count_delivery("dead", Some(tenant));
        let reason = "subscription disabled";
        self.settle(entry_id, job, Settle::Dead, reason, None)
            .await
            .map(drop)
    }

    /// A job whose event is no longer stored cannot be delivered: it becomes a dead letter that
    /// says so (the retention is validated to outlast every job's retries, so this takes a
    /// configuration change or a Redis that lost data).
    pub async fn dead_for_lost_event(&self, entry_id: &str, job: &Job, tenant: Option<&str>) {
        tracing::error!(entry = %entry_id, subscription_id = %job.subscription_id, "the job's event is no longer stored; dead-lettered");
        self.metrics.count_delivery("dead", tenant);
        let reason = "the event is no longer stored (past redis.events_retention_secs)";
        if let Err(error) = self.settle(entry_id, job, Settle::Dead, reason, None).await {
            tracing::warn!(%error, "could not dead-letter a job whose event is gone");
        }
    }

    pub async fn drop_unreadable(&self, entry_id: &str) {
        tracing::error!(entry = %entry_id, "unreadable delivery job dropped");
        if let Err(error) = self.queue.discard(entry_id).await {
            tracing::warn!(%error, "could not drop an unreadable job; it will be reclaimed");
        }
    }

    /// Parks one job.
    pub async fn park(&self, entry_id: &str, job: &Job, park: Park) {
        let parked = Parked {
            entry_id,
            job,
            due_ms: park.due_ms,
        };
        if let Err(error) = self.queue.park(&job.subscription_id, &[parked]).await {
            tracing::warn!(%error, reason = ?park.reason, "could not park a job; it will be reclaimed");
        }
    }

    /// Parks one subscription's jobs on their rate limit, in one call.
    pub async fn park_on_rate_limit(&self, subscription_id: &str, jobs: &[Parked<'_>]) {
        if let Err(error) = self.queue.park(subscription_id, jobs).await {
            tracing::error!(%error, %subscription_id, "parking jobs on their rate limit failed; they will be reclaimed");
        }
    }

    /// Disables the subscription, saying why; the store writes the audit entry.
    async fn disable(&self, subscription: &Subscription, reason: &str) -> Result<(), QueueError> {
        let subscription_id = subscription.id.as_str();
        self.registry
            .subscription_disable(subscription_id, reason, Utc::now(), self.audit_len)
            .await?;
        tracing::warn!(%subscription_id, %reason, "subscription disabled");
        self.metrics
            .count_delivery("disabled", Some(&subscription.tenant));
        Ok(())
    }
}
