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
    use super::StreamId;

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
