//! Stream entry ids and entries as the rest of the code sees them: ids parsed once, strictly, and
//! the one rule for paging backwards ("entries older than this id") that Redis needs spelled out.

use std::collections::HashMap;

use super::Entry;

/// A stream entry id `<ms>-<seq>`, ordered as Redis orders them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct StreamId(pub u64, pub u64);

impl StreamId {
    /// Parses `<ms>-<seq>` (digits only, each part a u64); `00-0` is `0-0`.
    pub fn parse(text: &str) -> Option<StreamId> {
        let (ms, seq) = text.split_once('-')?;
        let number = |part: &str| {
            part.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| part.parse::<u64>().ok())
                .flatten()
        };
        Some(StreamId(number(ms)?, number(seq)?))
    }

    /// The XRANGE/XREVRANGE bound for "strictly older than this id", or `None` when nothing can be
    /// older (`0-0`: Redis refuses `(0-0`).
    pub fn older_bound(self) -> Option<String> {
        (self != StreamId(0, 0)).then(|| format!("({self}"))
    }
}

impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.0, self.1)
    }
}

/// Where an entry of a partitioned stream is: its stream id in its partition. This is the id
/// and cursor the API shows (`<ms>-<seq>-<partition>`); entries of all partitions are ordered by
/// (stream id, partition), so pages merged from every partition have one total order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub id: StreamId,
    pub partition: usize,
}

impl Position {
    /// Parses `<ms>-<seq>-<partition>`, or a plain stream id (`<ms>-<seq>`, partition 0: what an
    /// earlier version handed out).
    pub fn parse(text: &str) -> Option<Position> {
        if let Some(id) = StreamId::parse(text) {
            return Some(Position { id, partition: 0 });
        }
        let (id, partition) = text.rsplit_once('-')?;
        let partition = (partition.bytes().all(|b| b.is_ascii_digit()) && partition.len() <= 4)
            .then(|| partition.parse().ok())
            .flatten()?;
        Some(Position {
            id: StreamId::parse(id)?,
            partition,
        })
    }

    /// The XREVRANGE end for partition `q`'s entries that come before this position.
    pub fn older_bound_in(self, q: usize) -> Option<String> {
        if q < self.partition {
            Some(self.id.to_string())
        } else {
            self.id.older_bound()
        }
    }

    /// The XRANGE start for partition `q`'s entries that come after this position.
    pub fn newer_bound_in(self, q: usize) -> String {
        if q > self.partition {
            self.id.to_string()
        } else {
            format!("({}", self.id)
        }
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.id, self.partition)
    }
}

/// A Redis value as text, when it is one.
pub(super) fn text(value: Option<&redis::Value>) -> Option<String> {
    value.and_then(|v| redis::from_redis_value_ref::<String>(v).ok())
}

/// A stream entry with its fields as text (binary fields that are not UTF-8 are left out).
pub(super) fn entry(id: redis::streams::StreamId) -> Entry {
    Entry {
        fields: text_fields(id.map),
        id: id.id,
    }
}

fn text_fields(map: HashMap<String, redis::Value>) -> HashMap<String, String> {
    map.into_iter()
        .filter_map(|(k, v)| redis::from_redis_value::<String>(v).ok().map(|v| (k, v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{Position, StreamId};

    #[test]
    fn positions_order_partitions_within_one_stream_id() {
        let at = |ms, seq, partition| Position {
            id: StreamId(ms, seq),
            partition,
        };
        assert_eq!(Position::parse("17-2-3"), Some(at(17, 2, 3)));
        assert_eq!(Position::parse("17-2"), Some(at(17, 2, 0)));
        assert_eq!(at(17, 2, 3).to_string(), "17-2-3");
        for bad in ["17", "17-2-x", "17-2-", "a-2-3", "17-2-99999", "1-2-3-4"] {
            assert_eq!(Position::parse(bad), None, "{bad}");
        }
        let cursor = at(17, 2, 3);
        assert_eq!(cursor.older_bound_in(1).as_deref(), Some("17-2"));
        assert_eq!(cursor.older_bound_in(3).as_deref(), Some("(17-2"));
        assert_eq!(cursor.older_bound_in(5).as_deref(), Some("(17-2"));
        assert_eq!(cursor.newer_bound_in(5), "17-2");
        assert_eq!(cursor.newer_bound_in(3), "(17-2");
        assert_eq!(at(0, 0, 0).older_bound_in(0), None);
        assert!(at(17, 2, 1) < at(17, 2, 3) && at(17, 2, 3) < at(17, 3, 0));
    }

    #[test]
    fn parses_strictly_and_canonically() {
        assert_eq!(
            StreamId::parse("1700000000000-0"),
            Some(StreamId(1_700_000_000_000, 0))
        );
        assert_eq!(StreamId::parse("0017-02"), Some(StreamId(17, 2)));
        assert_eq!(StreamId::parse("00-0"), Some(StreamId(0, 0)));
        assert_eq!(StreamId(17, 2).to_string(), "17-2");
        for bad in [
            "1700000000000",
            "-0",
            "abc-1",
            "1-2-3",
            "+1-0",
            "99999999999999999999-0",
            "",
        ] {
            assert_eq!(StreamId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn nothing_is_older_than_the_first_possible_id() {
        assert_eq!(StreamId(0, 0).older_bound(), None);
        assert_eq!(StreamId(0, 1).older_bound().as_deref(), Some("(0-1"));
        assert_eq!(StreamId(17, 2).older_bound().as_deref(), Some("(17-2"));
    }
}
