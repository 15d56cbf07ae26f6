//! The one timestamp format shiprelay writes and answers with: RFC 3339 in UTC with `Z`, the shape
//! `chrono`'s serde uses for the API's typed fields, so every time in the API looks the same.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A stored RFC 3339 text in that format: entries written by earlier versions say `+00:00`.
/// Text that does not parse is returned as it is.
pub fn normalise(stored: String) -> String {
    match DateTime::parse_from_rfc3339(&stored) {
        Ok(at) => rfc3339(at.with_timezone(&Utc)),
        Err(_) => stored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_z_not_an_offset() {
        let at = DateTime::parse_from_rfc3339("2026-03-10T14:30:00.250+00:00").unwrap();
        assert_eq!(rfc3339(at.with_timezone(&Utc)), "2026-03-10T14:30:00.250Z");
    }

    #[test]
    fn normalises_what_earlier_versions_stored() {
        assert_eq!(
            normalise("2026-03-10T14:30:00.123456+00:00".into()),
            "2026-03-10T14:30:00.123456Z"
        );
        assert_eq!(
            normalise("2026-03-10T16:30:00+02:00".into()),
            "2026-03-10T14:30:00Z"
        );
        assert_eq!(normalise("".into()), "");
    }
}
