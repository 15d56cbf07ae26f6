//! The retry policy: what to do after an attempt, as data.
//!
//! `decide` is pure (the clock and the random number are arguments), so every rule, limit and
//! boundary is unit-tested here and the queue only carries the [`Decision`] out. Retries use
//! exponential backoff with full jitter (a uniform delay up to the exponential ceiling), which
//! spreads the retries of a subscriber that failed for everyone at once; `Retry-After` on 429 and
//! 503 is honoured up to a cap, plus a small jitter ([`retry_after_delay`]) so that a burst told
//! to come back in N seconds does not come back within the same second.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use chrono::{DateTime, TimeDelta, Utc};

pub mod attempt;

pub use attempt::{Attempt, AttemptOutcome};

/// No retry is scheduled sooner than this, so a zero jitter or `Retry-After: 0` cannot spin.
const MIN_DELAY: Duration = Duration::from_secs(1);

/// A `Retry-After` gets up to this share of itself added as jitter ...
const RETRY_AFTER_JITTER: f64 = 0.1;
/// ... and at least up to this much.
const RETRY_AFTER_MIN_JITTER: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The ceiling of the first retry's delay; each further retry doubles it.
    pub base: Duration,
    /// The largest ceiling.
    pub cap: Duration,
    /// Attempts in all, the first included; the last failure is dead-lettered.
    pub max_attempts: u32,
    /// No retry is scheduled later than this after the first attempt.
    pub max_age: Duration,
    /// The longest `Retry-After` honoured; longer ones are shortened to this.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_secs(5),
            cap: Duration::from_secs(3600),
            max_attempts: 30,
            max_age: Duration::from_secs(24 * 3600),
            max_retry_after: Duration::from_secs(3600),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Delivered,
    Retry { at: DateTime<Utc>, reason: String },
    Dead { reason: String },
    Disable { reason: String },
}

/// What to do after attempt number `attempt` (1-based) of a delivery first attempted at
/// `first_attempt_at` ended with `outcome` at `now`. `random` is uniform in `[0, 1)`.
pub fn decide(
    policy: &RetryPolicy,
    attempt: u32,
    first_attempt_at: DateTime<Utc>,
    now: DateTime<Utc>,
    outcome: &AttemptOutcome,
    random: f64,
) -> Decision {
    let summary = outcome.summary();
    // `earliest`: the delay without the Retry-After's jitter, which may be cut to the deadline.
    let (delay, earliest, reason) = match outcome {
        AttemptOutcome::Status { code, .. } if (200..300).contains(code) => {
            return Decision::Delivered;
        }
        AttemptOutcome::Status { code: 410, .. } => {
            return Decision::Disable {
                reason: "subscriber answered 410 Gone".to_string(),
            };
        }
        AttemptOutcome::Refused(_) => return Decision::Dead { reason: summary },
        AttemptOutcome::Status {
            code: 429 | 503,
            retry_after: Some(retry_after),
        } => {
            let delay = retry_after_delay(*retry_after, policy.max_retry_after, random);
            let earliest = retry_after_delay(*retry_after, policy.max_retry_after, 0.0);
            let reason = format!("{summary}, Retry-After {}", human(*retry_after));
            (delay, earliest, reason)
        }
        _ => {
            let delay = jittered(ceiling(policy, attempt), random);
            (delay, delay, summary.clone())
        }
    };

    if attempt >= policy.max_attempts {
        return Decision::Dead {
            reason: format!(
                "{summary}; gave up after {attempt} attempts (the maximum is {})",
                policy.max_attempts
            ),
        };
    }
    let after = |delay: Duration| {
        TimeDelta::from_std(delay.max(MIN_DELAY))
            .ok()
            .and_then(|delay| now.checked_add_signed(delay))
    };
    let (at, earliest) = (after(delay), after(earliest));
    let deadline = TimeDelta::from_std(policy.max_age)
        .ok()
        .and_then(|age| first_attempt_at.checked_add_signed(age));
    match (at, earliest, deadline) {
        (Some(at), _, Some(deadline)) if at <= deadline => Decision::Retry { at, reason },
        // Only a Retry-After's jitter reaches past the deadline: the retry comes at the deadline.
        (_, Some(earliest), Some(deadline)) if earliest <= deadline => Decision::Retry {
            at: deadline,
            reason,
        },
        (Some(at), _, None) => Decision::Retry { at, reason },
        _ => Decision::Dead {
            reason: format!(
                "{summary}; the next retry would be more than {} after the first attempt",
                human(policy.max_age)
            ),
        },
    }
}

/// The largest delay before the retry that follows attempt `attempt`:
/// `min(cap, base × 2^(attempt-1))`.
pub fn ceiling(policy: &RetryPolicy, attempt: u32) -> Duration {
    let mut delays = ExponentialBuilder::new()
        .with_factor(2.0)
        .with_min_delay(policy.base)
        .with_max_delay(policy.cap)
        .without_max_times()
        .build();
    let mut delay = policy.base;
    for n in 0..attempt.max(1) {
        let Some(next) = delays.next() else { break };
        // Once the sequence stops growing (at the cap, or from a zero base) it never changes.
        if n > 0 && next == delay {
            break;
        }
        delay = next;
    }
    delay.min(policy.cap)
}

/// Full jitter: uniform in `[0, ceiling)`, but never below [`MIN_DELAY`].
fn jittered(ceiling: Duration, random: f64) -> Duration {
    ceiling.mul_f64(unit(random)).max(MIN_DELAY)
}

/// The wait a `Retry-After` asks for, as honoured: at most `cap` (and at least [`MIN_DELAY`]),
/// plus a jitter uniform in `[0, spread)` where the spread is 10 % of that, and at least 1 s. Never
/// sooner than asked (up to the cap); a burst told "7 s" comes back over 7 to 8 s, "10 min" over 10
/// to 11 min, and past the cap over `cap` to `cap` + 10 %.
pub fn retry_after_delay(retry_after: Duration, cap: Duration, random: f64) -> Duration {
    let honoured = retry_after.min(cap).max(MIN_DELAY);
    let spread = honoured
        .mul_f64(RETRY_AFTER_JITTER)
        .max(RETRY_AFTER_MIN_JITTER);
    honoured + spread.mul_f64(unit(random))
}

/// `random` clamped to `[0, 1]` (NaN: 0), so no input reaches past a bound or below zero.
fn unit(random: f64) -> f64 {
    if random.is_finite() {
        random.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// `90 s`, `15 min`, `24 h`: exact when possible, for reasons that people read.
fn human(duration: Duration) -> String {
    let secs = duration.as_secs();
    match secs {
        0 => format!("{} ms", duration.as_millis()),
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

#[cfg(test)]
mod tests;
