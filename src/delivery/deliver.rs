//! One attempt of one job, and its settling (or parking): the subscription's state decides
//! whether it is attempted at all (deleted: dropped, its lane moves on; disabled: dead-lettered;
//! unreadable: kept for later), `backoff::decide` what comes of the attempt, and the settle
//! script carries that out atomically in the job's partition.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tracing::Instrument;
use tracing::field::Empty;

use super::worker::Worker;
use crate::backoff::attempt::{Attempt, AttemptOutcome};
use crate::backoff::{Decision, decide};
use crate::queue::{Job, LoggedAttempt, Parked, QueueError, Settle, Settlement};
use crate::routing::snapshot::Subscriptions;
use crate::signing::webhook_headers;
use crate::subscriptions::model::Subscription;
use crate::telemetry::trace_context::{TraceContext, continue_in};
use crate::telemetry::tracing_on;
use crate::wire::render;

/// How long a job waits when its subscription's record cannot be read.
const UNREADABLE_WAIT: Duration = Duration::from_secs(5);

impl Worker {
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

    /// Parks a job until `due_ms` (`park.lua`): acknowledged, not claimed, back when due.
    pub(super) async fn park(&self, entry_id: &str, job: &Job, due_ms: i64) {
        let parked = Parked {
            entry_id,
            job,
            due_ms,
        };
        if let Err(error) = self.queue.park(&job.subscription_id, &[parked]).await {
            tracing::warn!(%error, "could not park a job; it will be reclaimed");
        }
    }

    pub(super) async fn drop_unreadable(&self, entry_id: &str) {
        tracing::error!(entry = %entry_id, "unreadable delivery job dropped");
        if let Err(error) = self.queue.discard(entry_id).await {
            tracing::warn!(%error, "could not drop an unreadable job; it will be reclaimed");
        }
    }

    /// A job whose event is no longer stored cannot be delivered: it becomes a dead letter that
    /// says so (the retention is validated to outlast every job's retries, so this takes a
    /// configuration change or a Redis that lost data).
    pub(super) async fn dead_for_lost_event(
        &self,
        entry_id: &str,
        job: &Job,
        subscriptions: &Subscriptions,
    ) {
        tracing::error!(entry = %entry_id, subscription_id = %job.subscription_id, "the job's event is no longer stored; dead-lettered");
        let tenant = subscriptions.get(&job.subscription_id).map(|s| &*s.tenant);
        self.metrics.count_delivery("dead", tenant);
        let reason = "the event is no longer stored (past redis.events_retention_secs)";
        if let Err(error) = self.settle(entry_id, job, Settle::Dead, reason, None).await {
            tracing::warn!(%error, "could not dead-letter a job whose event is gone");
        }
    }

    /// Attempts the job now and settles it; returns how long the attempt took, if one was made.
    pub(super) async fn deliver(
        &self,
        entry_id: &str,
        job: Job,
        subscriptions: &Subscriptions,
    ) -> Option<Duration> {
        let span = tracing::info_span!(
            "delivery.attempt",
            event_id = %job.event_id,
            subscription_id = %job.subscription_id,
            attempt = job.attempt,
            status = Empty,
            outcome = Empty,
            latency_ms = Empty,
            trace_id = Empty,
        );
        let trace = if tracing_on() {
            continue_in(&span, TraceContext::of_event(&job.event).as_ref())
        } else {
            None
        };
        match self
            .try_deliver(entry_id, job, subscriptions, trace)
            .instrument(span)
            .await
        {
            Ok(latency) => latency,
            Err(error) => {
                tracing::error!(%error, "could not settle a delivery; it will be retried after the visibility timeout");
                None
            }
        }
    }

    async fn try_deliver(
        &self,
        entry_id: &str,
        job: Job,
        subscriptions: &Subscriptions,
        trace: Option<TraceContext>,
    ) -> Result<Option<Duration>, QueueError> {
        let now = Utc::now();
        if subscriptions.unreadable.contains(&job.subscription_id) {
            // Not deleted: its record is damaged. The job waits until it can be read again.
            tracing::error!("subscription record unreadable; job kept for later");
            let due_ms = now.timestamp_millis() + UNREADABLE_WAIT.as_millis() as i64;
            self.park(entry_id, &job, due_ms).await;
            return Ok(None);
        }
        let Some(subscription) = subscriptions.get(&job.subscription_id) else {
            tracing::info!("subscription deleted; job dropped");
            return self
                .settle(entry_id, &job, Settle::Drop, "", None)
                .await
                .map(|_| None);
        };
        if !subscription.enabled {
            self.metrics
                .count_delivery("dead", Some(&subscription.tenant));
            let reason = "subscription disabled";
            return self
                .settle(entry_id, &job, Settle::Dead, reason, None)
                .await
                .map(|_| None);
        }
        let attempt = self.attempt(subscription, &job, now, trace).await;
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
        self.record_metrics(&job, &subscription.tenant, &attempt, &decision, finished);
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
        let log = logged(&attempt, &job, &decision, now);
        let failing_since = self
            .settle(entry_id, &scheduled, settle, &reason, Some(&log))
            .await?;
        let failing_too_long = failing_since
            .and_then(DateTime::from_timestamp_millis)
            .is_some_and(|since| finished - since >= self.settings.disable_after_failing);
        match decision {
            Decision::Disable { reason } => self.disable(subscription, &reason).await?,
            _ if failing_too_long => {
                let reason = format!(
                    "failing without a success for {} s",
                    self.settings.disable_after_failing.num_seconds()
                );
                self.disable(subscription, &reason).await?
            }
            _ => {}
        }
        Ok(Some(attempt.latency))
    }

    /// One POST of the job in its subscription's format; `trace` is the attempt span's context,
    /// sent as `traceparent` (and `tracestate`) so a subscriber that traces continues it.
    async fn attempt(
        &self,
        subscription: &Subscription,
        job: &Job,
        now: DateTime<Utc>,
        trace: Option<TraceContext>,
    ) -> Attempt {
        let wire = match render(subscription.format, &job.event) {
            Ok(wire) => wire,
            Err(reason) => {
                return Attempt {
                    outcome: AttemptOutcome::Other(reason),
                    latency: Duration::ZERO,
                    response_excerpt: None,
                };
            }
        };
        let secrets = subscription.signing_secrets(now);
        let mut headers: Vec<(String, String)> = subscription
            .headers
            .iter()
            .chain(&subscription.sensitive_headers)
            .map(|(k, v)| (k.clone(), v.clone()))
            .chain(wire.headers)
            .collect();
        if let Some(trace) = trace {
            headers.push(("traceparent".into(), trace.traceparent));
            headers.extend(trace.tracestate.map(|s| ("tracestate".to_string(), s)));
        }
        headers.extend(
            webhook_headers(&job.event_id, now.timestamp(), &wire.body, &secrets)
                .into_iter()
                .map(|(k, v)| (k.to_string(), v)),
        );
        self.sender
            .send(&subscription.url, &wire.content_type, &headers, wire.body)
            .await
    }

    /// Disables the subscription (410 Gone, or failing for too long), saying why; the store
    /// writes the audit entry.
    async fn disable(&self, subscription: &Subscription, reason: &str) -> Result<(), QueueError> {
        let subscription_id = subscription.id.as_str();
        let audit_len = self.settings.audit_len;
        self.queue
            .subscription_disable(subscription_id, reason, Utc::now(), audit_len)
            .await?;
        tracing::warn!(%subscription_id, %reason, "subscription disabled");
        self.metrics
            .count_delivery("disabled", Some(&subscription.tenant));
        Ok(())
    }

    fn record_metrics(
        &self,
        job: &Job,
        tenant: &str,
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
                self.metrics.observe_lag(lag, tenant);
                "delivered"
            }
            (_, AttemptOutcome::Refused(_)) => "refused",
            (Decision::Retry { .. }, _) => "retry",
            (Decision::Dead { .. }, _) => "dead",
            (Decision::Disable { .. }, _) => "dead",
        };
        self.metrics.count_delivery(outcome, Some(tenant));
        let span = tracing::Span::current();
        span.record("outcome", outcome);
        span.record("latency_ms", attempt.latency.as_millis() as u64);
        if let AttemptOutcome::Status { code, .. } = attempt.outcome {
            span.record("status", code);
        }
    }
}

/// The delivery-log entry of this attempt of `job`: what a subscriber's team sees in
/// `GET /v1/subscriptions/{id}/deliveries`.
fn logged(attempt: &Attempt, job: &Job, decision: &Decision, at: DateTime<Utc>) -> LoggedAttempt {
    let (result, next) = match decision {
        Decision::Delivered => ("delivered", None),
        Decision::Retry { at, .. } => ("retry", Some(crate::time::rfc3339(*at))),
        Decision::Dead { .. } => ("dead", None),
        Decision::Disable { .. } => ("disabled", None),
    };
    LoggedAttempt {
        id: String::new(),
        at: crate::time::rfc3339(at),
        event_id: job.event_id.clone(),
        attempt: job.attempt,
        status: attempt.outcome.status_code(),
        outcome: attempt.outcome.summary(),
        result: result.to_string(),
        next_attempt_at: next,
        latency_ms: attempt.latency.as_millis() as u64,
        response: attempt.response_excerpt.clone().unwrap_or_default(),
    }
}
