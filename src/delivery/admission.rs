//! What happens to a job before it is attempted, so that a slow, failing or rate-limited
//! subscription never delays another: pure decisions, times passed in.
//!
//! A job whose subscription has a rate limit gets a reserved slot; it waits for it here (in
//! memory, claimed, without a worker) when the slot is near, else it is parked in its partition
//! until just before it. A job whose subscription is at its in-flight cap waits here for its turn
//! when that turn should come well inside the visibility timeout, else it is parked until about
//! then. Nothing waits claimed past half the visibility timeout, and nothing cycles through Redis
//! faster than its subscription can take it.

use std::time::Duration;

/// What to do with a job that has a reserved slot `ahead_ms` from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RatePlan {
    Now,
    /// Wait here this long, then go.
    WaitHere(Duration),
    /// Park it, due back `lead` before its slot.
    Park {
        due_ms: i64,
    },
}

/// How long jobs wait here for their slot or turn at most, and how long before its slot a parked
/// job comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Horizons {
    /// At most this long for a slot (a quarter of the visibility timeout, at most 2 s).
    pub slot_hold: Duration,
    /// At most this long for a turn under the in-flight cap (half the visibility timeout).
    pub turn_hold: Duration,
    /// A parked job is due back this long before its slot.
    pub lead: Duration,
}

impl Horizons {
    pub fn for_visibility(visibility_timeout: Duration) -> Horizons {
        let slot_hold = (visibility_timeout / 4).min(Duration::from_secs(2));
        Horizons {
            slot_hold,
            turn_hold: visibility_timeout / 2,
            lead: slot_hold.min(Duration::from_secs(1)),
        }
    }
}

/// The plan for a job whose slot (ms) is `ahead_ms` from `now_ms`.
pub fn rate_plan(ahead_ms: i64, now_ms: i64, horizons: &Horizons) -> RatePlan {
    if ahead_ms <= 0 {
        return RatePlan::Now;
    }
    let ahead = Duration::from_millis(ahead_ms as u64);
    if ahead <= horizons.slot_hold {
        return RatePlan::WaitHere(ahead);
    }
    RatePlan::Park {
        due_ms: now_ms + ahead_ms - horizons.lead.as_millis() as i64,
    }
}

/// What to do with a job whose subscription is at its in-flight cap in this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnPlan {
    /// Wait here for a free place, at most this long (then park it).
    WaitHere(Duration),
    /// Park it until about when its turn should come.
    Park { due_ms: i64 },
}

/// The plan for a job with `waiting_ahead` jobs of its subscription already waiting here, `cap`
/// in flight, attempts typically taking `typical_attempt`: it waits here when fewer than `cap`
/// wait already and its turn should come within `turn_hold`.
pub fn turn_plan(
    waiting_ahead: usize,
    cap: usize,
    typical_attempt: Duration,
    now_ms: i64,
    horizons: &Horizons,
) -> TurnPlan {
    let rounds = (waiting_ahead / cap.max(1) + 1) as u32;
    let expected = typical_attempt.saturating_mul(rounds);
    // At most one more cap's worth waits here: the rest of a backlog waits in Redis.
    if waiting_ahead < cap && expected <= horizons.turn_hold {
        TurnPlan::WaitHere(horizons.turn_hold)
    } else {
        TurnPlan::Park {
            due_ms: now_ms + expected.as_millis().min(i64::MAX as u128) as i64,
        }
    }
}

/// When a job parked for its turn is due: `candidate` (when its turn should come given the jobs
/// waiting here), but never before the previously parked job of its subscription plus `step` (the
/// time one more place takes to free up: a typical attempt over the cap), so parked jobs come back
/// spread at the pace their subscription takes them rather than all at once.
pub fn turn_due(candidate_ms: i64, last_due_ms: i64, step: Duration) -> i64 {
    candidate_ms.max(last_due_ms + step.as_millis() as i64)
}

/// The typical attempt duration after one more attempt took `latest` (an exponentially weighted
/// average, a fifth the newest).
pub fn typical_after(typical: Duration, latest: Duration) -> Duration {
    (typical * 4 + latest) / 5
}

#[cfg(test)]
mod tests {
    use super::*;

    fn horizons() -> Horizons {
        Horizons::for_visibility(Duration::from_secs(30))
    }

    #[test]
    fn horizons_follow_the_visibility_timeout() {
        let h = horizons();
        assert_eq!(h.slot_hold, Duration::from_secs(2));
        assert_eq!(h.turn_hold, Duration::from_secs(15));
        assert_eq!(h.lead, Duration::from_secs(1));
        let short = Horizons::for_visibility(Duration::from_secs(2));
        assert_eq!(short.slot_hold, Duration::from_millis(500));
        assert_eq!(short.lead, Duration::from_millis(500));
    }

    #[test]
    fn a_slot_now_goes_a_near_one_waits_here_a_far_one_parks_until_just_before() {
        let h = horizons();
        assert_eq!(rate_plan(0, 10_000, &h), RatePlan::Now);
        assert_eq!(rate_plan(-5, 10_000, &h), RatePlan::Now);
        assert_eq!(
            rate_plan(1_500, 10_000, &h),
            RatePlan::WaitHere(Duration::from_millis(1_500))
        );
        assert_eq!(
            rate_plan(2_000, 10_000, &h),
            RatePlan::WaitHere(Duration::from_secs(2))
        );
        assert_eq!(
            rate_plan(100_000, 10_000, &h),
            RatePlan::Park { due_ms: 109_000 }
        );
    }

    #[test]
    fn a_turn_well_inside_the_visibility_timeout_waits_here_a_later_one_parks_until_then() {
        let h = horizons();
        let fast = Duration::from_millis(50);
        assert_eq!(
            turn_plan(0, 8, fast, 0, &h),
            TurnPlan::WaitHere(h.turn_hold)
        );
        assert_eq!(
            turn_plan(7, 8, fast, 0, &h),
            TurnPlan::WaitHere(h.turn_hold)
        );
        // A cap's worth waits already: the rest of a backlog is parked, spread over its turns.
        assert_eq!(turn_plan(8, 8, fast, 0, &h), TurnPlan::Park { due_ms: 100 });
        // An endpoint that never answers (10 s timeouts): the second round is already too far.
        let stuck = Duration::from_secs(10);
        assert_eq!(
            turn_plan(7, 8, stuck, 0, &h),
            TurnPlan::WaitHere(h.turn_hold)
        );
        assert_eq!(
            turn_plan(8, 8, stuck, 1_000, &h),
            TurnPlan::Park { due_ms: 21_000 }
        );
        assert_eq!(
            turn_plan(80, 8, stuck, 0, &h),
            TurnPlan::Park { due_ms: 110_000 }
        );
    }

    #[test]
    fn parked_turns_are_spread_at_the_pace_of_the_subscription() {
        let step = Duration::from_millis(250);
        let first = turn_due(10_000, 0, step);
        assert_eq!(first, 10_000);
        let second = turn_due(10_000, first, step);
        assert_eq!(second, 10_250);
        assert_eq!(turn_due(10_000, second, step), 10_500);
        // Once the parked ones are behind us, the candidate wins again.
        assert_eq!(turn_due(20_000, 10_500, step), 20_000);
    }

    #[test]
    fn the_typical_attempt_moves_a_fifth_towards_the_latest() {
        let t = typical_after(Duration::from_millis(100), Duration::from_millis(1_100));
        assert_eq!(t, Duration::from_millis(300));
        assert_eq!(
            typical_after(Duration::from_millis(300), Duration::from_millis(300)),
            Duration::from_millis(300)
        );
    }
}
