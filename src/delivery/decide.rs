//! The decide stage: what comes of an attempt. `backoff::decide` makes the retry decision (data,
//! pure); this turns it into what the settle stage carries out (the [`Settle`] and its reason, the
//! job as it is scheduled, the delivery-log entry) and into the outcome the metrics count. Pure.

use chrono::{DateTime, Utc};

use crate::backoff::attempt::{Attempt, AttemptOutcome};
use crate::backoff::{Decision, RetryPolicy, decide};
use crate::queue::{Job, LoggedAttempt, Settle};

/// An attempt, decided.
pub struct Decided {
    pub decision: Decision,
    pub settle: Settle,
    /// Why it is retried or dead-lettered ('' when delivered).
    pub reason: String,
    /// The job as it is settled: the next attempt's, for a retry.
    pub scheduled: Job,
    pub log: LoggedAttempt,
    /// `shiprelay_delivery_attempts_total{outcome}`.
    pub outcome: &'static str,
}

/// Decides the attempt of `job` made at `now` and finished at `finished`; `random` is in [0, 1).
pub fn decided(
    policy: &RetryPolicy,
    job: &Job,
    attempt: &Attempt,
    now: DateTime<Utc>,
    finished: DateTime<Utc>,
    random: f64,
) -> Decided {
    let first_attempt_at = job.first_attempt_at.unwrap_or(now);
    let decision = decide(
        policy,
        job.attempt,
        first_attempt_at,
        finished,
        &attempt.outcome,
        random,
    );
    let (settle, reason) = match &decision {
        Decision::Delivered => (Settle::Delivered, String::new()),
        Decision::Retry { at, reason } => (
            Settle::Retry {
                due_ms: at.timestamp_millis(),
            },
            reason.clone(),
        ),
        Decision::Dead { reason } => (Settle::Dead, reason.clone()),
        Decision::Disable { reason } => (Settle::Dead, format!("subscription disabled: {reason}")),
    };
    let scheduled = match settle {
        Settle::Retry { .. } => job.next_attempt(first_attempt_at),
        _ => job.clone(),
    };
    Decided {
        log: logged(attempt, job, &decision, now),
        outcome: outcome(&decision, &attempt.outcome),
        decision,
        settle,
        reason,
        scheduled,
    }
}

fn outcome(decision: &Decision, attempt: &AttemptOutcome) -> &'static str {
    match (decision, attempt) {
        (Decision::Delivered, _) => "delivered",
        (_, AttemptOutcome::Refused(_)) => "refused",
        (Decision::Retry { .. }, _) => "retry",
        (Decision::Dead { .. } | Decision::Disable { .. }, _) => "dead",
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeDelta;

    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(60),
            max_attempts: 3,
            max_age: Duration::from_secs(3600),
            max_retry_after: Duration::from_secs(300),
        }
    }

    fn job(attempt: u32, first: Option<DateTime<Utc>>) -> Job {
        Job {
            event_id: "evt_1".into(),
            subscription_id: "sub_1".into(),
            attempt,
            first_attempt_at: first,
            subject: None,
            event_time: t0(),
            received_at: t0(),
            event_entry: None,
            lane: None,
            rate_slot_ms: None,
            event: "{}".into(),
        }
    }

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap()
    }

    fn answered(code: u16) -> Attempt {
        Attempt {
            outcome: AttemptOutcome::Status {
                code,
                retry_after: None,
            },
            latency: Duration::from_millis(12),
            response_excerpt: Some("busy".into()),
        }
    }

    #[test]
    fn a_2xx_is_settled_delivered_and_logged_as_such() {
        let d = decided(&policy(), &job(1, None), &answered(204), t0(), t0(), 0.5);
        assert_eq!(d.settle, Settle::Delivered);
        assert_eq!((d.reason.as_str(), d.outcome), ("", "delivered"));
        assert_eq!(d.log.result, "delivered");
        assert_eq!((d.log.status, d.log.latency_ms), (Some(204), 12));
        assert_eq!(d.scheduled, job(1, None));
    }

    #[test]
    fn a_retry_schedules_the_next_attempt_from_the_first_attempt_time() {
        let later = t0() + TimeDelta::seconds(5);
        let d = decided(&policy(), &job(1, None), &answered(503), t0(), later, 0.5);
        let Settle::Retry { due_ms } = d.settle else {
            panic!("{:?}", d.settle)
        };
        assert!(due_ms > later.timestamp_millis());
        assert_eq!(d.outcome, "retry");
        assert_eq!(d.scheduled.attempt, 2);
        assert_eq!(d.scheduled.first_attempt_at, Some(t0()));
        assert_eq!(d.log.result, "retry");
        assert!(d.log.next_attempt_at.is_some());
        assert_eq!(d.log.response, "busy");
    }

    #[test]
    fn the_last_attempt_is_a_dead_letter_and_410_disables() {
        let last = decided(
            &policy(),
            &job(3, Some(t0())),
            &answered(500),
            t0(),
            t0(),
            0.5,
        );
        assert_eq!((last.settle, last.outcome), (Settle::Dead, "dead"));
        assert_eq!(last.scheduled, job(3, Some(t0())));
        let gone = decided(&policy(), &job(1, None), &answered(410), t0(), t0(), 0.5);
        assert_eq!((gone.settle, gone.outcome), (Settle::Dead, "dead"));
        assert!(
            gone.reason.starts_with("subscription disabled: "),
            "{}",
            gone.reason
        );
        assert_eq!(gone.log.result, "disabled");
    }

    #[test]
    fn a_refused_target_is_counted_as_refused() {
        let refused = Attempt {
            outcome: AttemptOutcome::Refused("the target is a loopback address".into()),
            latency: Duration::ZERO,
            response_excerpt: None,
        };
        let d = decided(&policy(), &job(1, None), &refused, t0(), t0(), 0.5);
        assert_eq!(d.outcome, "refused");
        assert_eq!(
            d.log.outcome,
            "target refused: the target is a loopback address"
        );
    }
}
