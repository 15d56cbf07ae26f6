//! The retry policy's rules, limits and boundaries.

use super::*;

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).expect("valid timestamp")
}

fn status(code: u16) -> AttemptOutcome {
    AttemptOutcome::Status {
        code,
        retry_after: None,
    }
}

fn retry_after(code: u16, secs: u64) -> AttemptOutcome {
    AttemptOutcome::Status {
        code,
        retry_after: Some(Duration::from_secs(secs)),
    }
}

fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

/// The decision for attempt 1 made at t0.
fn first(outcome: &AttemptOutcome, random: f64) -> Decision {
    decide(&RetryPolicy::default(), 1, t0(), t0(), outcome, random)
}

fn retry_at(decision: &Decision) -> DateTime<Utc> {
    match decision {
        Decision::Retry { at, .. } => *at,
        other => panic!("expected a retry, got {other:?}"),
    }
}

fn dead_reason(decision: Decision) -> String {
    match decision {
        Decision::Dead { reason } => reason,
        other => panic!("expected dead, got {other:?}"),
    }
}

#[test]
fn every_2xx_is_delivered() {
    for code in [200, 201, 202, 204, 299] {
        assert_eq!(first(&status(code), 0.5), Decision::Delivered, "{code}");
    }
}

#[test]
fn a_2xx_is_delivered_even_past_every_limit() {
    let policy = RetryPolicy::default();
    let late = t0() + secs(10 * 24 * 3600);
    let decision = decide(&policy, 99, t0(), late, &status(200), 0.5);
    assert_eq!(decision, Decision::Delivered);
}

#[test]
fn gone_disables_the_subscription() {
    assert_eq!(
        first(&status(410), 0.5),
        Decision::Disable {
            reason: "subscriber answered 410 Gone".to_string()
        }
    );
}

#[test]
fn a_refused_target_is_dead_at_once() {
    let refused = AttemptOutcome::Refused("resolves to a loopback address".into());
    let reason = dead_reason(first(&refused, 0.5));
    assert!(reason.contains("loopback"), "{reason}");
}

#[test]
fn other_failures_are_retried_within_the_first_ceiling() {
    let outcomes = [
        status(500),
        status(503),
        status(429),
        status(404),
        status(400),
        status(302),
        status(199),
        AttemptOutcome::Timeout,
        AttemptOutcome::Connect("connection refused".into()),
        AttemptOutcome::Other("body error".into()),
    ];
    for outcome in outcomes {
        let decision = first(&outcome, 0.5);
        assert_eq!(retry_at(&decision), t0() + TimeDelta::milliseconds(2500));
        let Decision::Retry { reason, .. } = decision else {
            unreachable!()
        };
        assert_eq!(reason, outcome.summary());
    }
}

#[test]
fn retry_after_is_honoured_on_429_and_503() {
    for code in [429, 503] {
        let decision = first(&retry_after(code, 7), 0.0);
        assert_eq!(retry_at(&decision), t0() + secs(7), "{code}");
    }
}

#[test]
fn retry_after_gets_up_to_ten_percent_and_at_least_up_to_a_second_of_jitter() {
    let at = |secs_asked, random| retry_at(&first(&retry_after(429, secs_asked), random));
    let ms = TimeDelta::milliseconds;
    // Short: the spread is 1 s.
    assert_eq!(at(7, 0.0), t0() + secs(7));
    assert_eq!(at(7, 0.5), t0() + ms(7_500));
    assert_eq!(at(7, 0.999), t0() + ms(7_999));
    // Long: 10 % of it.
    assert_eq!(at(600, 0.0), t0() + secs(600));
    assert_eq!(at(600, 0.999), t0() + ms(659_940));
    // 10 s is where both rules meet.
    assert_eq!(at(10, 0.999), t0() + ms(10_999));
    assert_eq!(at(20, 0.999), t0() + ms(21_998));
    // `Retry-After: 0` waits the minimum, jittered like 1 s.
    assert_eq!(at(0, 0.999), t0() + ms(1_999));
    // Past the cap: the cap, and 10 % of it.
    assert_eq!(at(10 * 3600, 0.999), t0() + ms(3_959_640));
}

#[test]
fn retry_after_jitter_is_never_earlier_than_asked_nor_past_its_spread() {
    for asked in [0, 1, 7, 10, 59, 600, 3599, 3600, 7200] {
        let cap = Duration::from_secs(3600);
        let honoured = Duration::from_secs(asked).min(cap).max(MIN_DELAY);
        let spread = (honoured / 10).max(Duration::from_secs(1));
        for random in [0.0, 0.25, 0.999, 1.0, -1.0, 7.0, f64::NAN] {
            let delay = retry_after_delay(Duration::from_secs(asked), cap, random);
            assert!(delay >= honoured, "{asked} s, {random}: {delay:?}");
            assert!(delay <= honoured + spread, "{asked} s, {random}: {delay:?}");
        }
        assert_eq!(
            retry_after_delay(Duration::from_secs(asked), cap, 0.0),
            honoured
        );
    }
}

#[test]
fn retry_after_jitter_does_not_push_a_retry_past_the_maximum_age() {
    let policy = RetryPolicy::default();
    let now = t0() + secs(24 * 3600 - 60);
    // 60 s fits; its jitter (up to 6 s) would not: the retry comes at the deadline.
    let decision = decide(&policy, 5, t0(), now, &retry_after(503, 60), 0.999);
    assert_eq!(retry_at(&decision), t0() + secs(24 * 3600));
    let decision = decide(&policy, 5, t0(), now, &retry_after(503, 55), 0.5);
    assert_eq!(retry_at(&decision), now + TimeDelta::milliseconds(57_750));
    // Jitter or not, a Retry-After past the deadline is still dead.
    let decision = decide(&policy, 5, t0(), now, &retry_after(503, 61), 0.0);
    assert!(matches!(decision, Decision::Dead { .. }), "{decision:?}");
}

#[test]
fn retry_after_on_other_statuses_is_ignored() {
    let decision = first(&retry_after(500, 600), 0.0);
    assert_eq!(retry_at(&decision), t0() + secs(1));
}

#[test]
fn retry_after_is_capped() {
    let decision = first(&retry_after(503, 10 * 3600), 0.0);
    assert_eq!(retry_at(&decision), t0() + secs(3600));
    let Decision::Retry { reason, .. } = decision else {
        unreachable!()
    };
    assert_eq!(reason, "HTTP 503, Retry-After 10 h");
}

#[test]
fn retry_after_zero_waits_the_minimum() {
    let decision = first(&retry_after(429, 0), 0.0);
    assert_eq!(retry_at(&decision), t0() + secs(1));
}

#[test]
fn retry_after_is_still_bounded_by_the_attempt_limit() {
    let policy = RetryPolicy::default();
    let decision = decide(&policy, 30, t0(), t0(), &retry_after(503, 5), 0.0);
    let reason = dead_reason(decision);
    assert!(reason.contains("30 attempts"), "{reason}");
}

#[test]
fn retry_after_is_still_bounded_by_the_maximum_age() {
    let policy = RetryPolicy::default();
    let now = t0() + secs(24 * 3600 - 60);
    let within = decide(&policy, 5, t0(), now, &retry_after(503, 60), 0.0);
    assert_eq!(retry_at(&within), t0() + secs(24 * 3600));
    let beyond = decide(&policy, 5, t0(), now, &retry_after(503, 61), 0.0);
    let reason = dead_reason(beyond);
    assert!(reason.contains("more than 24 h"), "{reason}");
}

#[test]
fn the_default_ceilings_double_from_5_s_up_to_an_hour() {
    let policy = RetryPolicy::default();
    let ceilings: Vec<u64> = (1..=13).map(|n| ceiling(&policy, n).as_secs()).collect();
    assert_eq!(
        ceilings,
        [
            5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600, 3600
        ]
    );
    assert_eq!(ceiling(&policy, u32::MAX), Duration::from_secs(3600));
    assert_eq!(ceiling(&policy, 0), Duration::from_secs(5));
}

#[test]
fn ceiling_survives_odd_policies() {
    let zero = RetryPolicy {
        base: Duration::ZERO,
        ..RetryPolicy::default()
    };
    assert_eq!(ceiling(&zero, u32::MAX), Duration::ZERO);
    let base_above_cap = RetryPolicy {
        base: Duration::from_secs(7200),
        ..RetryPolicy::default()
    };
    assert_eq!(ceiling(&base_above_cap, 1), Duration::from_secs(3600));
}

#[test]
fn jitter_spans_from_the_floor_to_just_under_the_ceiling() {
    let policy = RetryPolicy::default();
    let at =
        |attempt, random| retry_at(&decide(&policy, attempt, t0(), t0(), &status(500), random));
    assert_eq!(at(1, 0.0), t0() + secs(1));
    assert_eq!(at(4, 0.0), t0() + secs(1));
    assert_eq!(at(4, 0.999), t0() + TimeDelta::milliseconds(39_960));
    assert_eq!(at(20, 0.999), t0() + TimeDelta::milliseconds(3_596_400));
    assert!(at(20, 0.999) < t0() + secs(3600));
    // Out-of-range randomness cannot exceed the ceiling or go negative.
    assert_eq!(at(4, 7.0), t0() + secs(40));
    assert_eq!(at(4, -1.0), t0() + secs(1));
    assert_eq!(at(4, f64::NAN), t0() + secs(1));
}

#[test]
fn the_last_attempt_is_dead_lettered() {
    let policy = RetryPolicy::default();
    let before = decide(&policy, 29, t0(), t0(), &status(500), 0.5);
    assert!(matches!(before, Decision::Retry { .. }), "{before:?}");
    let reason = dead_reason(decide(&policy, 30, t0(), t0(), &status(500), 0.5));
    assert_eq!(
        reason,
        "HTTP 500; gave up after 30 attempts (the maximum is 30)"
    );
}

#[test]
fn no_retry_is_scheduled_past_the_maximum_age() {
    let policy = RetryPolicy::default();
    // Attempt 1's ceiling is 5 s, so random 0.5 waits 2.5 s.
    let deadline = t0() + secs(24 * 3600);
    let exactly = deadline - TimeDelta::milliseconds(2500);
    let on_time = decide(&policy, 1, t0(), exactly, &AttemptOutcome::Timeout, 0.5);
    assert_eq!(retry_at(&on_time), deadline);
    let late = exactly + TimeDelta::milliseconds(1);
    let reason = dead_reason(decide(
        &policy,
        1,
        t0(),
        late,
        &AttemptOutcome::Timeout,
        0.5,
    ));
    assert_eq!(
        reason,
        "timeout; the next retry would be more than 24 h after the first attempt"
    );
}

#[test]
fn the_default_schedule_spans_about_a_day() {
    let policy = RetryPolicy::default();
    let mut total = Duration::ZERO;
    println!("attempt  ceiling  worst-case total");
    for attempt in 1..policy.max_attempts {
        let step = ceiling(&policy, attempt);
        total += step;
        println!(
            "{attempt:>7}  {:>7}  {:>8.1} h",
            human(step),
            total.as_secs_f64() / 3600.0
        );
    }
    let hours = total.as_secs_f64() / 3600.0;
    assert!((12.0..=36.0).contains(&hours), "{hours} h");
}
