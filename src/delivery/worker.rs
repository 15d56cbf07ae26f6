//! The worker: one partition's delivery pipeline, take -> admit -> render -> send -> decide ->
//! settle, one stage per file (`take`, `admit`, `render`, `destination`, `decide`, `settle`).
//! This file only composes them, with bounded concurrency, globally and per subscription.
//!
//! Pacing never holds a worker: a job waiting for its slot or its turn waits without a place in
//! the pool, or, when that would take long, is parked in its partition until then, once. The read
//! loop itself only sorts: every wait and every Redis call for a job happens in the job's own
//! task, so one subscription's pace never delays another's jobs.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::Instrument;
use tracing::field::Empty;

use super::admit::{Admission, Admitted};
use super::decide::{Decided, decided};
use super::destination::Destinations;
use super::render::render;
use super::settle::{Park, ParkReason, Settler};
use super::take::{Sorted, Taken, Taker, sort};
use crate::backoff::RetryPolicy;
use crate::backoff::attempt::{Attempt, AttemptOutcome};
use crate::metrics::Metrics;
use crate::queue::{Parked, QueueError};
use crate::routing::snapshot::{SubscriptionCache, Subscriptions};
use crate::shutdown::Shutdown;
use crate::subscriptions::model::Subscription;
use crate::telemetry::trace_context::{TraceContext, continue_in};
use crate::telemetry::tracing_on;

/// How often a read loop that holds back (too many taken jobs wait for a place) looks again.
const UNSTARTED_POLL: Duration = Duration::from_millis(5);
/// How long a job waits when its subscription's record cannot be read.
const UNREADABLE_WAIT: Duration = Duration::from_secs(5);

/// One partition's worker; the partitions' workers of a process share its pool, its
/// per-subscription limits and its destinations.
pub struct Worker {
    pub admission: Admission,
    pub destinations: Arc<Destinations>,
    pub settler: Settler,
    pub cache: SubscriptionCache,
    pub metrics: Metrics,
    pub policy: RetryPolicy,
    /// `delivery.concurrency`: how many taken jobs may wait for the pool before no more are taken.
    pub concurrency: usize,
}

impl Worker {
    /// Takes `taker`'s jobs until the process stops.
    pub async fn run(self, mut taker: Taker, mut shutdown: Shutdown) {
        let mut in_flight = JoinSet::new();
        let worker = Arc::new(self);
        while !shutdown.is_stopping() {
            while in_flight.try_join_next().is_some() {}
            // Wait for room in the pool before taking more work (behind the jobs taken before,
            // which queue for the pool first). A whole batch is taken even when the pool has less
            // room: most jobs of a backlog are paced or parked, and one subscription's backlog
            // must not hold up the jobs behind it in the stream.
            tokio::select! {
                permit = worker.admission.pool.clone().acquire_owned() => drop(permit),
                _ = shutdown.sleep(Duration::from_secs(3600)) => break,
            };
            // ... and while a pool's worth of taken jobs still waits for the pool, take none: the
            // backlog stays in Redis, not in memory. (Jobs waiting for their own subscription's
            // place are bounded per subscription, and never hold the others back.)
            if worker.admission.limits.unstarted() >= worker.concurrency {
                shutdown.sleep(UNSTARTED_POLL).await;
                continue;
            }
            let entries = taker.next(&mut shutdown).await;
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
            // Jobs that need slots of a rate limit, by subscription (one reservation for each).
            let mut paced: HashMap<String, Vec<Taken>> = HashMap::new();
            for entry in entries {
                let (worker, all, stop) = (worker.clone(), subscriptions.clone(), shutdown.clone());
                match sort(entry, &subscriptions) {
                    Sorted::Active(taken) if Admission::needs_slot(&taken, &subscriptions) => {
                        let id = taken.job.subscription_id.clone();
                        paced.entry(id).or_default().push(taken);
                    }
                    Sorted::Active(taken) => {
                        let until = Admission::slot_of(&taken);
                        in_flight.spawn(async move { worker.turn(taken, until, &all, stop).await });
                    }
                    inactive => {
                        in_flight.spawn(async move { worker.settle_inactive(inactive).await });
                    }
                }
            }
            for (subscription_id, jobs) in paced {
                let (worker, all, stop) = (worker.clone(), subscriptions.clone(), shutdown.clone());
                in_flight
                    .spawn(async move { worker.pace(&subscription_id, jobs, &all, stop).await });
            }
        }
        // Stop taking work; jobs waiting here are parked back, and deliveries in flight finish
        // (the runtime bounds how long).
        while in_flight.join_next().await.is_some() {}
    }

    /// A job that is not attempted: dropped, dead-lettered, or kept for later.
    async fn settle_inactive(&self, sorted: Sorted) {
        let settled = match sorted {
            Sorted::Active(_) => return,
            Sorted::Unreadable(entry_id) => return self.settler.drop_unreadable(&entry_id).await,
            Sorted::EventGone(taken, tenant) => {
                let (entry_id, job) = (&taken.entry_id, &taken.job);
                let tenant = tenant.as_deref();
                return self
                    .settler
                    .dead_for_lost_event(entry_id, job, tenant)
                    .await;
            }
            Sorted::SubscriptionUnreadable(taken) => {
                // Not deleted: its record is damaged. The job waits until it can be read again.
                tracing::error!(subscription_id = %taken.job.subscription_id, "subscription record unreadable; job kept for later");
                let due_ms = Utc::now().timestamp_millis() + UNREADABLE_WAIT.as_millis() as i64;
                let park = Park {
                    reason: ParkReason::Unreadable,
                    due_ms,
                };
                return self.settler.park(&taken.entry_id, &taken.job, park).await;
            }
            Sorted::Deleted(taken) => self.settler.drop_deleted(&taken.entry_id, &taken.job).await,
            Sorted::Disabled(taken, tenant) => {
                let settler = &self.settler;
                settler
                    .dead_disabled(&taken.entry_id, &taken.job, &tenant)
                    .await
            }
        };
        if let Err(error) = settled {
            tracing::error!(%error, "could not settle a delivery; it will be retried after the visibility timeout");
        }
    }

    /// Reserves slots for one subscription's jobs, parks those whose slot is far, and gives the
    /// others their turn.
    async fn pace(&self, id: &str, jobs: Vec<Taken>, all: &Subscriptions, stop: Shutdown) {
        let Some(subscription) = all.get(id) else {
            return;
        };
        let Some(paced) = self.admission.pace(subscription, jobs, all).await else {
            return;
        };
        let parking: Vec<Parked> = (paced.parked.iter())
            .map(|(taken, due_ms)| Parked {
                entry_id: &taken.entry_id,
                job: &taken.job,
                due_ms: *due_ms,
            })
            .collect();
        let park = self.settler.park_on_rate_limit(id, &parking);
        let turns = (paced.waiting.into_iter())
            .map(|(taken, until)| self.turn(taken, until, all, stop.clone()));
        tokio::join!(park, futures_util::future::join_all(turns));
    }

    /// Admits the job, then attempts it; or parks it.
    async fn turn(
        &self,
        taken: Taken,
        until: Option<Instant>,
        all: &Subscriptions,
        mut stop: Shutdown,
    ) {
        let Some(subscription) = all.get(&taken.job.subscription_id) else {
            return;
        };
        match self
            .admission
            .admit(&taken, until, subscription, all, &mut stop)
            .await
        {
            Ok(admitted) => self.deliver(taken, subscription, admitted).await,
            Err(park) => self.settler.park(&taken.entry_id, &taken.job, park).await,
        }
    }

    /// Renders, sends, decides and settles one attempt, in the attempt's span.
    async fn deliver(&self, taken: Taken, subscription: &Subscription, admitted: Admitted) {
        let span = tracing::info_span!(
            "delivery.attempt",
            event_id = %taken.job.event_id,
            subscription_id = %taken.job.subscription_id,
            attempt = taken.job.attempt,
            status = Empty,
            outcome = Empty,
            latency_ms = Empty,
            trace_id = Empty,
        );
        let trace = if tracing_on() {
            continue_in(&span, TraceContext::of_event(&taken.job.event).as_ref())
        } else {
            None
        };
        let attempted = self.attempt(&taken, subscription, trace).instrument(span);
        match attempted.await {
            Ok(latency) => admitted.finish(Some(latency)),
            Err(error) => {
                tracing::error!(%error, "could not settle a delivery; it will be retried after the visibility timeout");
                admitted.finish(None);
            }
        }
    }

    async fn attempt(
        &self,
        taken: &Taken,
        subscription: &Subscription,
        trace: Option<TraceContext>,
    ) -> Result<Duration, QueueError> {
        let now = Utc::now();
        let attempt = match render(subscription, &taken.job, now, trace) {
            Ok(request) => self.destinations.of(subscription).send(request).await,
            Err(reason) => Attempt {
                outcome: AttemptOutcome::Other(reason),
                latency: Duration::ZERO,
                response_excerpt: None,
            },
        };
        let finished = Utc::now();
        let decided = decided(
            &self.policy,
            &taken.job,
            &attempt,
            now,
            finished,
            rand::random(),
        );
        self.record(
            &taken.job,
            &subscription.tenant,
            &attempt,
            &decided,
            finished,
        );
        let latency = attempt.latency;
        let settler = &self.settler;
        settler
            .decided(&taken.entry_id, decided, subscription, finished)
            .await?;
        Ok(latency)
    }

    fn record(
        &self,
        job: &crate::queue::Job,
        tenant: &str,
        attempt: &Attempt,
        decided: &Decided,
        finished: chrono::DateTime<Utc>,
    ) {
        self.metrics
            .delivery_duration
            .observe(attempt.latency.as_secs_f64());
        if decided.outcome == "delivered" {
            let lag = (finished - job.received_at).num_milliseconds().max(0) as f64 / 1000.0;
            self.metrics.observe_lag(lag, tenant);
        }
        self.metrics.count_delivery(decided.outcome, Some(tenant));
        let span = tracing::Span::current();
        span.record("outcome", decided.outcome);
        span.record("latency_ms", attempt.latency.as_millis() as u64);
        if let AttemptOutcome::Status { code, .. } = attempt.outcome {
            span.record("status", code);
        }
    }
}
