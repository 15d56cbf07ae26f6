//! The admit stage: an active job is attempted only once its subscription's rate limit gives it a
//! slot, its in-flight cap a place, and the process's pool room. Waiting never holds a place in
//! the pool: a job waits here when its turn is near, and is parked (with a [`Park`] saying why and
//! until when) when it is far. The plans are pure (`admission`); this is where they meet time,
//! semaphores and Redis.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::admission::{Horizons, RatePlan, TurnPlan, rate_plan, turn_plan};
use super::limits::{Limits, SubscriptionLimit};
use super::settle::{Park, ParkReason};
use super::take::Taken;
use crate::metrics::Metrics;
use crate::queue::Registry;
use crate::routing::snapshot::Subscriptions;
use crate::shutdown::Shutdown;
use crate::subscriptions::model::Subscription;

/// How long a job that waited in vain for a place in the pool (or for its turn to be sent under
/// its rate limit) is parked.
const POOL_FULL_WAIT: Duration = Duration::from_secs(1);

/// The places an admitted job holds while it is attempted.
pub struct Admitted {
    limit: Arc<SubscriptionLimit>,
    _place: OwnedSemaphorePermit,
    _pool: OwnedSemaphorePermit,
}

impl Admitted {
    /// The attempt is over: its places are freed, and its latency feeds the typical attempt time.
    pub fn finish(self, latency: Option<Duration>) {
        if let Some(latency) = latency {
            self.limit.observe(latency);
        }
    }
}

/// One subscription's jobs after their rate-limit slots were reserved.
#[derive(Default)]
pub struct Paced {
    /// To attempt, each once its slot comes (`None`: now).
    pub waiting: Vec<(Taken, Option<Instant>)>,
    /// To park until just before their slot (which they carry back).
    pub parked: Vec<(Taken, i64)>,
}

pub struct Admission {
    /// Reserving slots and asking the rate limits (their state is the registry's).
    pub registry: Registry,
    /// The process's delivery pool (`delivery.concurrency`).
    pub pool: Arc<Semaphore>,
    pub limits: Arc<Limits>,
    /// `delivery.per_subscription_in_flight`.
    pub per_subscription_in_flight: usize,
    pub horizons: Horizons,
    pub metrics: Metrics,
}

impl Admission {
    /// Whether the job must get a slot of a rate limit before its attempt.
    pub fn needs_slot(taken: &Taken, all: &Subscriptions) -> bool {
        taken.job.rate_slot_ms.is_none()
            && (all.get(&taken.job.subscription_id))
                .and_then(|s| all.rate_limits(s))
                .is_some()
    }

    /// When a job that comes back from parking with its slot may be sent.
    pub fn slot_of(taken: &Taken) -> Option<Instant> {
        taken.job.rate_slot_ms.map(|slot| {
            let ahead = (slot - Utc::now().timestamp_millis()).max(0) as u64;
            Instant::now() + Duration::from_millis(ahead)
        })
    }

    /// Reserves slots for one subscription's jobs; each then waits for its own here or is parked
    /// until just before it. `None` when the reservation failed (the jobs stay pending, and are
    /// reclaimed and paced after the visibility timeout).
    pub async fn pace(
        &self,
        subscription: &Subscription,
        jobs: Vec<Taken>,
        all: &Subscriptions,
    ) -> Option<Paced> {
        let (own, tenant) = all.rate_limits(subscription)?;
        let id = &subscription.id;
        let reserve =
            self.registry
                .reserve_slots(id, &subscription.tenant, own, tenant, jobs.len());
        let slots = match reserve.await {
            Ok(slots) => slots,
            Err(error) => {
                tracing::error!(%error, subscription_id = %id, "reserving rate-limit slots failed; the jobs will be reclaimed");
                return None;
            }
        };
        // Waits are measured from the reservation, not from when a task gets to them.
        let reserved = Instant::now();
        let now_ms = Utc::now().timestamp_millis();
        let mut paced = Paced::default();
        for (n, mut taken) in jobs.into_iter().enumerate() {
            match rate_plan(slots.nth_ahead_ms(n), now_ms, &self.horizons) {
                RatePlan::Now => paced.waiting.push((taken, None)),
                RatePlan::WaitHere(wait) => {
                    self.metrics.count_wait("rate_limit", "here");
                    paced.waiting.push((taken, Some(reserved + wait)));
                }
                RatePlan::Park { due_ms } => {
                    self.metrics.count_wait("rate_limit", "parked");
                    taken.job.rate_slot_ms = Some(slots.nth_ms(n));
                    paced.parked.push((taken, due_ms));
                }
            }
        }
        Some(paced)
    }

    /// Waits `until` the job's slot, then for a place under its subscription's in-flight cap,
    /// for the rate limits to admit it at the moment it is sent, and for room in the pool; or
    /// says to park it, and why.
    pub async fn admit(
        &self,
        taken: &Taken,
        until: Option<Instant>,
        subscription: &Subscription,
        all: &Subscriptions,
        shutdown: &mut Shutdown,
    ) -> Result<Admitted, Park> {
        let wait = until.map(|t| t.saturating_duration_since(Instant::now()));
        if let Some(wait) = wait.filter(|w| !w.is_zero()) {
            shutdown.sleep(wait).await;
            if shutdown.is_stopping() {
                return Err(park_now(ParkReason::Stopping, 0));
            }
        }
        let limit = self
            .limits
            .of(&taken.job.subscription_id, self.per_subscription_in_flight);
        let place = self.place(&limit, shutdown).await?;
        if !self.rate_admits(subscription, all, shutdown).await {
            return Err(park_now(
                ParkReason::Busy,
                POOL_FULL_WAIT.as_millis() as i64,
            ));
        }
        let unstarted = self.limits.unstarted_guard();
        let pool = tokio::time::timeout(self.horizons.turn_hold, self.pool.clone().acquire_owned());
        let Ok(pool) = pool.await else {
            // The pool stayed full (slow endpoints): not claimed any longer, back soon.
            return Err(park_now(
                ParkReason::Busy,
                POOL_FULL_WAIT.as_millis() as i64,
            ));
        };
        drop(unstarted);
        Ok(Admitted {
            limit,
            _place: place,
            _pool: pool.expect("the semaphore is never closed"),
        })
    }

    /// A place under the subscription's in-flight cap: at once, after a short wait, or a park.
    async fn place(
        &self,
        limit: &SubscriptionLimit,
        shutdown: &mut Shutdown,
    ) -> Result<OwnedSemaphorePermit, Park> {
        if let Some(place) = limit.try_place() {
            return Ok(place);
        }
        let now_ms = Utc::now().timestamp_millis();
        let typical = limit.typical_attempt();
        match turn_plan(limit.waiting(), limit.cap, typical, now_ms, &self.horizons) {
            TurnPlan::Park { due_ms } => {
                self.metrics.count_wait("in_flight_cap", "parked");
                Err(Park {
                    reason: ParkReason::InFlightCap,
                    due_ms: limit.park_turn(due_ms),
                })
            }
            TurnPlan::WaitHere(up_to) => {
                self.metrics.count_wait("in_flight_cap", "here");
                let place = tokio::select! {
                    place = limit.wait_for_place(up_to) => place,
                    _ = shutdown.sleep(up_to) => None,
                };
                // Its turn did not come in time (or the process stops).
                place.ok_or_else(|| match shutdown.is_stopping() {
                    true => park_now(ParkReason::Stopping, 0),
                    false => Park {
                        reason: ParkReason::InFlightCap,
                        due_ms: limit.park_turn(Utc::now().timestamp_millis()),
                    },
                })
            }
        }
    }

    /// Waits until the rate limits admit the attempt at the moment it is sent (at once, unless
    /// this process ran late for its slot); false when they cannot be asked or the turns keep
    /// going to other processes (it is parked), or the process stops.
    async fn rate_admits(
        &self,
        subscription: &Subscription,
        all: &Subscriptions,
        shutdown: &mut Shutdown,
    ) -> bool {
        let Some((own, tenant)) = all.rate_limits(subscription) else {
            return true;
        };
        let started = Instant::now();
        loop {
            let asked = self
                .registry
                .admit_attempt(&subscription.id, &subscription.tenant, own, tenant)
                .await;
            match asked {
                Ok(None) => return true,
                Ok(Some(wait)) => {
                    if started.elapsed() + wait > self.horizons.turn_hold {
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
}

/// Park from now, `after_ms` later.
fn park_now(reason: ParkReason, after_ms: i64) -> Park {
    Park {
        reason,
        due_ms: Utc::now().timestamp_millis() + after_ms,
    }
}
