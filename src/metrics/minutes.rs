//! Counts a process adds up per minute until the next flush (`recording::flush`), for
//! `GET /v1/stats` and the console (Prometheus counters live per process and keep no history).
//! Pure: the minute comes from the caller's clock, and the field names are the contract with
//! `services::stats::series`.
//!
//! Fields of a minute (`{prefix}:minute:<unix minute>`, a hash):
//! - `i:<source>:<outcome>`: ingest requests;
//! - `d:*:<result>` and `d:<tenant>:<result>`: delivery attempts, in all and per tenant;
//! - `ls:*`, `lc:*` and `ls:<tenant>`, `lc:<tenant>`: summed lag (ms) and count of deliveries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How long a minute's counts are kept in Redis: the longest window and a margin.
pub const RETENTION_SECS: u64 = 25 * 3600;

/// The whole-relay "tenant" of the delivery fields.
pub const ALL: &str = "*";

/// Pending counts, by (unix minute, field). Cheap to clone and share.
#[derive(Clone, Default)]
pub struct MinuteCounts {
    pending: Arc<Mutex<HashMap<(i64, String), i64>>>,
}

/// The minute (Unix minutes) of a time in ms.
pub fn minute_of(at_ms: i64) -> i64 {
    at_ms.div_euclid(60_000)
}

pub fn ingest_field(source: &str, outcome: &str) -> String {
    format!("i:{source}:{outcome}")
}

pub fn delivery_field(tenant: &str, result: &str) -> String {
    format!("d:{tenant}:{result}")
}

pub fn lag_sum_field(tenant: &str) -> String {
    format!("ls:{tenant}")
}

pub fn lag_count_field(tenant: &str) -> String {
    format!("lc:{tenant}")
}

impl MinuteCounts {
    fn add(&self, at_ms: i64, field: String, n: i64) {
        let mut pending = self.pending.lock().expect("counts lock");
        *pending.entry((minute_of(at_ms), field)).or_default() += n;
    }

    pub fn ingest(&self, at_ms: i64, source: &str, outcome: &str) {
        self.add(at_ms, ingest_field(source, outcome), 1);
    }

    /// One attempt's result, in all and for its subscription's tenant (when known).
    pub fn delivery(&self, at_ms: i64, tenant: Option<&str>, result: &str) {
        self.add(at_ms, delivery_field(ALL, result), 1);
        if let Some(tenant) = tenant {
            self.add(at_ms, delivery_field(tenant, result), 1);
        }
    }

    /// One delivered event's lag, in all and for its tenant.
    pub fn lag(&self, at_ms: i64, tenant: &str, lag_ms: i64) {
        for who in [ALL, tenant] {
            self.add(at_ms, lag_sum_field(who), lag_ms);
            self.add(at_ms, lag_count_field(who), 1);
        }
    }

    /// Everything pending, leaving nothing behind.
    pub fn take(&self) -> Vec<(i64, String, i64)> {
        let mut pending = self.pending.lock().expect("counts lock");
        pending.drain().map(|((m, f), n)| (m, f, n)).collect()
    }

    /// Counts a flush could not write, kept for the next one (minutes older than `oldest` are
    /// dropped: past the retention nobody reads them).
    pub fn put_back(&self, counts: Vec<(i64, String, i64)>, oldest: i64) {
        let mut pending = self.pending.lock().expect("counts lock");
        for (minute, field, n) in counts.into_iter().filter(|(m, _, _)| *m >= oldest) {
            *pending.entry((minute, field)).or_default() += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(mut counts: Vec<(i64, String, i64)>) -> Vec<(i64, String, i64)> {
        counts.sort();
        counts
    }

    #[test]
    fn counts_add_up_per_minute_and_field() {
        let counts = MinuteCounts::default();
        counts.ingest(60_000, "flexops", "accepted");
        counts.ingest(119_999, "flexops", "accepted");
        counts.ingest(120_000, "flexops", "accepted");
        counts.delivery(60_000, Some("t1"), "delivered");
        counts.delivery(60_000, None, "dead");
        counts.lag(60_000, "t1", 250);
        assert_eq!(
            sorted(counts.take()),
            sorted(vec![
                (1, "i:flexops:accepted".into(), 2),
                (2, "i:flexops:accepted".into(), 1),
                (1, "d:*:delivered".into(), 1),
                (1, "d:t1:delivered".into(), 1),
                (1, "d:*:dead".into(), 1),
                (1, "ls:*".into(), 250),
                (1, "lc:*".into(), 1),
                (1, "ls:t1".into(), 250),
                (1, "lc:t1".into(), 1),
            ])
        );
        assert!(counts.take().is_empty(), "taken once");
    }

    #[test]
    fn what_a_flush_could_not_write_is_kept_unless_too_old() {
        let counts = MinuteCounts::default();
        counts.ingest(600_000, "a", "accepted");
        counts.put_back(
            vec![
                (10, "i:a:accepted".into(), 2),
                (3, "i:a:accepted".into(), 5),
            ],
            5,
        );
        assert_eq!(counts.take(), vec![(10, "i:a:accepted".into(), 3)]);
    }

    #[test]
    fn minutes_before_1970_do_not_round_towards_zero() {
        assert_eq!(minute_of(-1), -1);
        assert_eq!(minute_of(59_999), 0);
    }
}
