//! The figures of a window, from the per-minute hashes, as one caller may see them. Pure.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use utoipa::ToSchema;

use crate::metrics::minutes::{ALL, delivery_field, lag_count_field, lag_sum_field};
use crate::metrics::{DELIVERY_OUTCOMES, IngestOutcome};
use crate::tenancy::model::allows;

/// How far back the figures go, a point per minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    FiveMinutes,
    FifteenMinutes,
    Hour,
    SixHours,
    Day,
}

impl Window {
    pub const NAMES: [&'static str; 5] = ["5m", "15m", "1h", "6h", "24h"];

    pub fn parse(text: &str) -> Option<Window> {
        Some(match text {
            "5m" => Window::FiveMinutes,
            "15m" => Window::FifteenMinutes,
            "1h" => Window::Hour,
            "6h" => Window::SixHours,
            "24h" => Window::Day,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Window::FiveMinutes => "5m",
            Window::FifteenMinutes => "15m",
            Window::Hour => "1h",
            Window::SixHours => "6h",
            Window::Day => "24h",
        }
    }

    pub fn minutes(self) -> i64 {
        match self {
            Window::FiveMinutes => 5,
            Window::FifteenMinutes => 15,
            Window::Hour => 60,
            Window::SixHours => 360,
            Window::Day => 1440,
        }
    }

    /// The minutes of the window that ends with `last` (Unix minutes), oldest first.
    pub fn span(self, last: i64) -> Vec<i64> {
        (last - self.minutes() + 1..=last).collect()
    }
}

/// Whose figures: everything, or one tenant's (its allowed sources' ingest, its subscriptions'
/// deliveries).
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    All,
    Tenant {
        id: &'a str,
        allowed_sources: &'a [String],
    },
}

/// One value per minute of the window, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Series {
    pub window: String,
    /// The start of each minute (RFC 3339, UTC).
    pub minutes: Vec<String>,
    /// Provider requests by outcome (as `shiprelay_ingest_requests_total` counts them).
    pub ingest: BTreeMap<String, Vec<u64>>,
    /// Delivery attempts by result (as `shiprelay_delivery_attempts_total` counts them).
    pub deliveries: BTreeMap<String, Vec<u64>>,
    /// Mean lag (received to delivered) of the events delivered in each minute; null: none.
    pub lag_seconds: Vec<Option<f64>>,
}

/// The series of `window` ending with minute `last`; `hashes[i]` holds minute `span[i]`.
pub fn build(
    window: Window,
    last: i64,
    hashes: &[HashMap<String, i64>],
    scope: Scope<'_>,
) -> Series {
    let span = window.span(last);
    let at = |i: usize| hashes.get(i);
    let value = |i: usize, field: &str| at(i).and_then(|h| h.get(field)).copied().unwrap_or(0);
    let who = match scope {
        Scope::All => ALL,
        Scope::Tenant { id, .. } => id,
    };
    let ingest = IngestOutcome::ALL
        .iter()
        .map(|outcome| {
            let per_minute = (0..span.len())
                .map(|i| ingest_in(at(i), outcome.label(), scope))
                .collect();
            (outcome.label().to_string(), per_minute)
        })
        .collect();
    let deliveries = DELIVERY_OUTCOMES
        .iter()
        .map(|result| {
            let field = delivery_field(who, result);
            let per_minute = (0..span.len())
                .map(|i| value(i, &field).max(0) as u64)
                .collect();
            (result.to_string(), per_minute)
        })
        .collect();
    let (sum, count) = (lag_sum_field(who), lag_count_field(who));
    let lag_seconds = (0..span.len())
        .map(|i| {
            let n = value(i, &count);
            (n > 0).then(|| value(i, &sum) as f64 / n as f64 / 1000.0)
        })
        .collect();
    Series {
        window: window.name().to_string(),
        minutes: span
            .iter()
            .filter_map(|m| chrono::DateTime::from_timestamp(m * 60, 0))
            .map(crate::time::rfc3339)
            .collect(),
        ingest,
        deliveries,
        lag_seconds,
    }
}

/// Requests with this outcome in one minute, of the sources the scope sees.
fn ingest_in(hash: Option<&HashMap<String, i64>>, outcome: &str, scope: Scope<'_>) -> u64 {
    let Some(hash) = hash else { return 0 };
    hash.iter()
        .filter_map(|(field, n)| {
            let (source, rest) = field.strip_prefix("i:")?.rsplit_once(':')?;
            (rest == outcome).then_some((source, *n))
        })
        .filter(|(source, _)| match scope {
            Scope::All => true,
            Scope::Tenant {
                allowed_sources, ..
            } => allows(allowed_sources, source),
        })
        .map(|(_, n)| n.max(0) as u64)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(pairs: &[(&str, i64)]) -> HashMap<String, i64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    /// Minutes 10 and 11: a 5-minute window ending at 11 has them as its last two points.
    fn hashes() -> Vec<HashMap<String, i64>> {
        vec![
            HashMap::new(),
            HashMap::new(),
            HashMap::new(),
            hash(&[
                ("i:flexops:accepted", 3),
                ("i:shop:accepted", 2),
                ("i:shop:unauthorized", 1),
                ("d:*:delivered", 4),
                ("d:t1:delivered", 1),
                ("d:*:retry", 2),
                ("d:t2:retry", 2),
                ("ls:*", 4000),
                ("lc:*", 4),
                ("ls:t1", 500),
                ("lc:t1", 1),
            ]),
            hash(&[("i:flexops:accepted", 1)]),
        ]
    }

    #[test]
    fn an_admin_sees_every_source_and_subscription() {
        let series = build(Window::FiveMinutes, 11, &hashes(), Scope::All);
        assert_eq!(series.minutes.len(), 5);
        assert_eq!(series.minutes[4], "1970-01-01T00:11:00Z");
        assert_eq!(series.ingest["accepted"], [0, 0, 0, 5, 1]);
        assert_eq!(series.ingest["unauthorized"], [0, 0, 0, 1, 0]);
        assert_eq!(series.ingest.len(), IngestOutcome::ALL.len());
        assert_eq!(series.deliveries["delivered"], [0, 0, 0, 4, 0]);
        assert_eq!(series.deliveries["retry"], [0, 0, 0, 2, 0]);
        assert_eq!(series.lag_seconds, [None, None, None, Some(1.0), None]);
    }

    #[test]
    fn a_tenant_sees_its_sources_and_its_subscriptions_only() {
        let sources = vec!["shop".to_string()];
        let scope = Scope::Tenant {
            id: "t1",
            allowed_sources: &sources,
        };
        let series = build(Window::FiveMinutes, 11, &hashes(), scope);
        assert_eq!(series.ingest["accepted"], [0, 0, 0, 2, 0]);
        assert_eq!(series.deliveries["delivered"], [0, 0, 0, 1, 0]);
        assert_eq!(series.deliveries["retry"], [0; 5]);
        assert_eq!(series.lag_seconds[3], Some(0.5));
        let everything = vec!["*".to_string()];
        let all_sources = Scope::Tenant {
            id: "t2",
            allowed_sources: &everything,
        };
        let series = build(Window::FiveMinutes, 11, &hashes(), all_sources);
        assert_eq!(series.ingest["accepted"], [0, 0, 0, 5, 1]);
        assert_eq!(series.deliveries["retry"], [0, 0, 0, 2, 0]);
    }

    #[test]
    fn windows_have_their_names_and_lengths() {
        for name in Window::NAMES {
            assert_eq!(Window::parse(name).unwrap().name(), name);
        }
        assert_eq!(Window::parse("2h"), None);
        assert_eq!(Window::Day.span(2000).len(), 1440);
        assert_eq!(Window::Hour.span(100)[0], 41);
    }
}
