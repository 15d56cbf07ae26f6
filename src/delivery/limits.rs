//! Per-subscription limits of this process: its in-flight cap (a semaphore of places), how many
//! of its jobs wait here for a place, and how long its attempts typically take (which says how
//! long a place takes to free up).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::admission::{turn_due, typical_after};

/// What a subscription's attempts are assumed to take before one was measured.
const FIRST_GUESS: Duration = Duration::from_millis(100);

/// The process's per-subscription limits, and how many taken jobs wait for a place in the pool:
/// the read loop takes no more while that is a pool's worth, so a backlog stays in Redis rather
/// than in memory.
#[derive(Default)]
pub struct Limits {
    subscriptions: Mutex<HashMap<String, Arc<SubscriptionLimit>>>,
    unstarted: Arc<AtomicUsize>,
}

/// Counts a job among the unstarted while it lives.
pub struct Unstarted(Arc<AtomicUsize>);

impl Drop for Unstarted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Limits {
    /// Taken jobs waiting for a place in the pool.
    pub fn unstarted(&self) -> usize {
        self.unstarted.load(Ordering::Relaxed)
    }

    /// Counts one more until the guard is dropped.
    pub fn unstarted_guard(&self) -> Unstarted {
        self.unstarted.fetch_add(1, Ordering::Relaxed);
        Unstarted(self.unstarted.clone())
    }

    /// The limit of `subscription_id`, with `cap` places when it is new.
    pub fn of(&self, subscription_id: &str, cap: usize) -> Arc<SubscriptionLimit> {
        let mut map = self.subscriptions.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(subscription_id.to_string())
            .or_insert_with(|| {
                Arc::new(SubscriptionLimit {
                    places: Arc::new(Semaphore::new(cap)),
                    cap,
                    waiting: AtomicUsize::new(0),
                    typical_ms: AtomicU64::new(FIRST_GUESS.as_millis() as u64),
                    last_parked_due_ms: AtomicI64::new(0),
                })
            })
            .clone()
    }
}

pub struct SubscriptionLimit {
    places: Arc<Semaphore>,
    pub cap: usize,
    waiting: AtomicUsize,
    typical_ms: AtomicU64,
    last_parked_due_ms: AtomicI64,
}

impl SubscriptionLimit {
    /// A place, if one is free now.
    pub fn try_place(&self) -> Option<OwnedSemaphorePermit> {
        self.places.clone().try_acquire_owned().ok()
    }

    /// Waits for a place, at most `up_to`; counted among the waiting meanwhile.
    pub async fn wait_for_place(&self, up_to: Duration) -> Option<OwnedSemaphorePermit> {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let place = tokio::time::timeout(up_to, self.places.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        place
            .ok()
            .map(|p| p.expect("the semaphore is never closed"))
    }

    /// How many of its jobs wait here for a place.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    pub fn typical_attempt(&self) -> Duration {
        Duration::from_millis(self.typical_ms.load(Ordering::Relaxed))
    }

    /// When a job parked now for its turn, which should come at `candidate_ms`, is due back (see
    /// [`turn_due`]).
    pub fn park_turn(&self, candidate_ms: i64) -> i64 {
        let step = self.typical_attempt() / self.cap.max(1) as u32;
        let previous = self
            .last_parked_due_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
                Some(turn_due(candidate_ms, last, step))
            })
            .expect("the update always succeeds");
        turn_due(candidate_ms, previous, step)
    }

    /// Takes one more attempt's duration into the typical one.
    pub fn observe(&self, latency: Duration) {
        let typical = typical_after(self.typical_attempt(), latency);
        self.typical_ms
            .store(typical.as_millis() as u64, Ordering::Relaxed);
    }
}
