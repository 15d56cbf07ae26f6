//! The worker pool: takes a partition's delivery jobs, paces them (`admission`: rate limits and
//! in-flight caps) and attempts them (`deliver`) with bounded concurrency, globally and per
//! subscription.
//!
//! Pacing never holds a worker: a job waiting for its slot or its turn waits here without a place
//! in the pool, or, when that would take long, is parked in its partition until then, once. The
//! read loop itself only sorts: every wait and every Redis call for a job happens in the job's
//! own task, so one subscription's pace never delays another's jobs.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::admission::{Horizons, RatePlan, TurnPlan, rate_plan, turn_plan};
pub use super::limits::Limits;
use super::sender::Sender;
use crate::backoff::RetryPolicy;
use crate::metrics::Metrics;
use crate::queue::{Job, Parked, Partition, Take};
use crate::routing::snapshot::{SubscriptionCache, Subscriptions};
use crate::shutdown::Shutdown;

const BLOCK_MS: u64 = 1000;
const MAX_BATCH: usize = 100;
/// How often a read loop that holds back (too many taken jobs wait for a place) looks again.
const UNSTARTED_POLL: Duration = Duration::from_millis(5);
/// How long a job that waited in vain for a place in the pool (or for its turn to be sent under
/// its rate limit) is parked.
const POOL_FULL_WAIT: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct WorkerSettings {
    pub policy: RetryPolicy,
    pub concurrency: usize,
    pub per_subscription_in_flight: usize,
    pub visibility_timeout: Duration,
    pub disable_after_failing: chrono::Duration,
    pub attempts_log_len: usize,
    /// `api.audit_len`: the audit log the relay's own changes are written to.
    pub audit_len: usize,
}

impl WorkerSettings {
    /// How long jobs may wait here (they follow from the visibility timeout).
    fn horizons(&self) -> Horizons {
        Horizons::for_visibility(self.visibility_timeout)
    }
}

/// One partition's worker; the partitions' workers of a process share its pool and its
/// per-subscription limits.
pub struct Worker {
    /// Shared connection: settling, parking, reserving slots, reading subscriptions.
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

/// A job taken from the deliveries stream.
struct Taken {
    entry_id: String,
    job: Job,
}

impl Worker {
    pub async fn run(self, mut shutdown: Shutdown) {
        let worker = Arc::new(self);
        let mut in_flight = JoinSet::new();
        let mut last_claim = tokio::time::Instant::now();
        while !shutdown.is_stopping() {
            while in_flight.try_join_next().is_some() {}
            // Wait for room in the pool before taking more work (behind the jobs taken before,
            // which queue for the pool first). A whole batch is taken even when the pool has less
            // room: most jobs of a backlog are paced or parked, and one subscription's backlog
            // must not hold up the jobs behind it in the stream.
            tokio::select! {
                permit = worker.pool.clone().acquire_owned() => drop(permit),
                _ = shutdown.sleep(Duration::from_secs(3600)) => break,
            };
            // ... and while a pool's worth of taken jobs still waits for the pool, take none: the
            // backlog stays in Redis, not in memory. (Jobs waiting for their own subscription's
            // place are bounded per subscription, and never hold the others back.)
            if worker.limits.unstarted() >= worker.settings.concurrency {
                shutdown.sleep(UNSTARTED_POLL).await;
                continue;
            }
            let room = MAX_BATCH;
            let claim_due = last_claim.elapsed() >= worker.settings.visibility_timeout / 2;
            let take = if claim_due {
                last_claim = tokio::time::Instant::now();
                Take::Stale {
                    min_idle_ms: worker.settings.visibility_timeout.as_millis() as u64,
                }
            } else {
                Take::New { block_ms: BLOCK_MS }
            };
            let entries = match worker.reader.take_jobs(&worker.consumer, take, room).await {
                Ok(entries) => entries,
                Err(error) => {
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
            // Jobs that need slots of a rate limit, by subscription (one reservation for each).
            let mut paced: HashMap<String, Vec<Taken>> = HashMap::new();
            for entry in entries {
                let Some(job) = entry.job else {
                    worker.drop_unreadable(&entry.entry_id).await;
                    continue;
                };
                if entry.event_gone {
                    worker
                        .dead_for_lost_event(&entry.entry_id, &job, &subscriptions)
                        .await;
                    continue;
                }
                let taken = Taken {
                    entry_id: entry.entry_id,
                    job,
                };
                if worker.needs_slot(&taken.job, &subscriptions) {
                    let id = taken.job.subscription_id.clone();
                    paced.entry(id).or_default().push(taken);
                    continue;
                }
                // A parked job comes back with its slot: it waits for it, without reserving again.
                let wait = taken.job.rate_slot_ms.map(|slot| {
                    let ahead = (slot - Utc::now().timestamp_millis()).max(0) as u64;
                    Instant::now() + Duration::from_millis(ahead)
                });
                let (worker, subscriptions, shutdown) =
                    (worker.clone(), subscriptions.clone(), shutdown.clone());
                in_flight.spawn(async move {
                    worker
                        .take_turn(taken, wait, &subscriptions, shutdown)
                        .await;
                });
            }
            for (subscription_id, jobs) in paced {
                let (worker, subscriptions, shutdown) =
                    (worker.clone(), subscriptions.clone(), shutdown.clone());
                in_flight.spawn(async move {
                    worker
                        .pace(&subscription_id, jobs, &subscriptions, shutdown)
                        .await;
                });
            }
        }
        // Stop taking work; jobs waiting here are parked back, and deliveries in flight finish
        // (the runtime bounds how long).
        while in_flight.join_next().await.is_some() {}
    }

    /// Whether the job must get a slot of a rate limit before its attempt.
    fn needs_slot(&self, job: &Job, subscriptions: &Subscriptions) -> bool {
        job.rate_slot_ms.is_none()
            && subscriptions
                .get(&job.subscription_id)
                .filter(|s| s.enabled)
                .and_then(|s| subscriptions.rate_limits(s))
                .is_some()
    }

    /// Reserves slots for one subscription's jobs, then each waits for its own here or is parked
    /// until just before it.
    async fn pace(
        &self,
        subscription_id: &str,
        jobs: Vec<Taken>,
        subscriptions: &Subscriptions,
        shutdown: Shutdown,
    ) {
        let Some(subscription) = subscriptions.get(subscription_id) else {
            return;
        };
        let Some((own, tenant)) = subscriptions.rate_limits(subscription) else {
            return;
        };
        let slots = match self
            .queue
            .reserve_slots(
                subscription_id,
                &subscription.tenant,
                own,
                tenant,
                jobs.len(),
            )
            .await
        {
            Ok(slots) => slots,
            Err(error) => {
                // Left pending: reclaimed after the visibility timeout, and paced then.
                tracing::error!(%error, %subscription_id, "reserving rate-limit slots failed; the jobs will be reclaimed");
                return;
            }
        };
        // Waits are measured from the reservation, not from when this task gets to them.
        let reserved = Instant::now();
        let horizons = self.settings.horizons();
        let now_ms = Utc::now().timestamp_millis();
        let mut parked = Vec::new();
        let mut waiting = Vec::new();
        for (n, mut taken) in jobs.into_iter().enumerate() {
            match rate_plan(slots.nth_ahead_ms(n), now_ms, &horizons) {
                RatePlan::Now => waiting.push((taken, None)),
                RatePlan::WaitHere(wait) => {
                    self.metrics.count_wait("rate_limit", "here");
                    waiting.push((taken, Some(reserved + wait)));
                }
                RatePlan::Park { due_ms } => {
                    self.metrics.count_wait("rate_limit", "parked");
                    taken.job.rate_slot_ms = Some(slots.nth_ms(n));
                    parked.push((taken, due_ms));
                }
            }
        }
        let parking: Vec<Parked> = parked
            .iter()
            .map(|(taken, due_ms)| Parked {
                entry_id: &taken.entry_id,
                job: &taken.job,
                due_ms: *due_ms,
            })
            .collect();
        let park = async {
            if let Err(error) = self.queue.park(subscription_id, &parking).await {
                tracing::error!(%error, %subscription_id, "parking jobs on their rate limit failed; they will be reclaimed");
            }
        };
        let turns = waiting
            .into_iter()
            .map(|(taken, until)| self.take_turn(taken, until, subscriptions, shutdown.clone()));
        tokio::join!(park, futures_util::future::join_all(turns));
    }

    /// Waits `until` its slot, then for a place under its subscription's in-flight cap (or parks
    /// it when its turn is far), then a place in the pool, and attempts it.
    async fn take_turn(
        &self,
        taken: Taken,
        until: Option<Instant>,
        subscriptions: &Subscriptions,
        mut shutdown: Shutdown,
    ) {
        let wait = until.map(|t| t.saturating_duration_since(Instant::now()));
        if let Some(wait) = wait.filter(|w| !w.is_zero()) {
            shutdown.sleep(wait).await;
            if shutdown.is_stopping() {
                return self.park_one(&taken, Utc::now().timestamp_millis()).await;
            }
        }
        let attempted = subscriptions
            .get(&taken.job.subscription_id)
            .is_some_and(|s| s.enabled);
        if !attempted {
            // Dropped, dead-lettered or kept by `deliver` without an attempt: no place needed.
            self.deliver(&taken.entry_id, taken.job, subscriptions)
                .await;
            return;
        }
        let cap = self.settings.per_subscription_in_flight;
        let limit = self.limits.of(&taken.job.subscription_id, cap);
        let place = match limit.try_place() {
            Some(place) => place,
            None => {
                let horizons = self.settings.horizons();
                let now_ms = Utc::now().timestamp_millis();
                let typical = limit.typical_attempt();
                match turn_plan(limit.waiting(), limit.cap, typical, now_ms, &horizons) {
                    TurnPlan::Park { due_ms } => {
                        self.metrics.count_wait("in_flight_cap", "parked");
                        return self.park_one(&taken, limit.park_turn(due_ms)).await;
                    }
                    TurnPlan::WaitHere(up_to) => {
                        self.metrics.count_wait("in_flight_cap", "here");
                        let place = tokio::select! {
                            place = limit.wait_for_place(up_to) => place,
                            _ = shutdown.sleep(up_to) => None,
                        };
                        match place {
                            Some(place) => place,
                            None => {
                                // Its turn did not come in time (or the process stops).
                                let now_ms = Utc::now().timestamp_millis();
                                let due_ms = if shutdown.is_stopping() {
                                    now_ms
                                } else {
                                    limit.park_turn(now_ms)
                                };
                                return self.park_one(&taken, due_ms).await;
                            }
                        }
                    }
                }
            }
        };
        if !self.admitted(&taken, subscriptions, &mut shutdown).await {
            let due_ms = Utc::now().timestamp_millis() + POOL_FULL_WAIT.as_millis() as i64;
            return self.park_one(&taken, due_ms).await;
        }
        let turn_hold = self.settings.horizons().turn_hold;
        let unstarted = self.limits.unstarted_guard();
        let pool = match tokio::time::timeout(turn_hold, self.pool.clone().acquire_owned()).await {
            Ok(pool) => pool.expect("the semaphore is never closed"),
            Err(_) => {
                // The pool stayed full (slow endpoints): not claimed any longer, back soon.
                let due_ms = Utc::now().timestamp_millis() + POOL_FULL_WAIT.as_millis() as i64;
                return self.park_one(&taken, due_ms).await;
            }
        };
        drop(unstarted);
        if let Some(latency) = self
            .deliver(&taken.entry_id, taken.job, subscriptions)
            .await
        {
            limit.observe(latency);
        }
        drop((pool, place));
    }

    /// Waits until the rate limits admit the attempt at the moment it is sent (at once, unless
    /// this process ran late for its slot); false when they cannot be asked (it is parked) or the
    /// process stops.
    async fn admitted(
        &self,
        taken: &Taken,
        subscriptions: &Subscriptions,
        shutdown: &mut Shutdown,
    ) -> bool {
        let Some(subscription) = subscriptions.get(&taken.job.subscription_id) else {
            return true;
        };
        let Some((own, tenant)) = subscriptions.rate_limits(subscription) else {
            return true;
        };
        let turn_hold = self.settings.horizons().turn_hold;
        let started = Instant::now();
        loop {
            let asked = self
                .queue
                .admit_attempt(&subscription.id, &subscription.tenant, own, tenant)
                .await;
            match asked {
                Ok(None) => return true,
                Ok(Some(wait)) => {
                    if started.elapsed() + wait > turn_hold {
                        // Other processes keep taking the turns: not claimed any longer.
                        return false;
                    }
                    shutdown.sleep(wait).await;
                    if shutdown.is_stopping() {
                        return false;
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "could not check the rate limit; the job is parked");
                    return false;
                }
            }
        }
    }

    async fn park_one(&self, taken: &Taken, due_ms: i64) {
        self.park(&taken.entry_id, &taken.job, due_ms).await
    }
}
