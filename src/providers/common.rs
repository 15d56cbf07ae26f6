//! Small JSON readers shared by the normalisers: providers send ids as numbers or strings, times
//! in several RFC 3339 shapes, and nulls where a field is absent.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::event::Location;

use super::NormalizeError;

pub fn shape(provider: &'static str, reason: impl Into<String>) -> NormalizeError {
    NormalizeError::UnexpectedShape {
        provider,
        reason: reason.into(),
    }
}

/// The envelope's `type` (trimmed, non-empty) and its `data` member (an object, or null when
/// absent): the part of the Flexport envelopes that decides whether a body is theirs at all.
pub fn type_and_data<'a>(
    raw: &'a Value,
    provider: &'static str,
) -> Result<(&'a str, &'a Value), NormalizeError> {
    let event_type = match raw.get("type") {
        Some(Value::String(t)) if !t.trim().is_empty() => t.trim(),
        Some(_) => return Err(shape(provider, "`type` is not a non-empty string")),
        None => return Err(shape(provider, "`type` is missing")),
    };
    let data = raw.get("data").unwrap_or(&Value::Null);
    if !(data.is_object() || data.is_null()) {
        return Err(shape(provider, "`data` is not an object"));
    }
    Ok((event_type, data))
}

/// A field as text: strings as they are, numbers and booleans printed; null, absent, empty or
/// structured values give `None`.
pub fn text(value: &Value, key: &str) -> Option<String> {
    as_text(value.get(key)?)
}

pub fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A time field: RFC 3339 (with any offset, normalised to UTC), a date-time without offset
/// (taken as UTC), or Unix seconds.
pub fn time(value: &Value, key: &str) -> Option<DateTime<Utc>> {
    as_time(value.get(key)?)
}

pub fn as_time(value: &Value) -> Option<DateTime<Utc>> {
    match value {
        Value::String(s) => parse_time(s.trim()),
        Value::Number(n) => DateTime::from_timestamp(n.as_i64()?, 0),
        _ => None,
    }
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, format) {
            return Some(t.and_utc());
        }
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// A location object with any of `name`, `city`, `state`, `zip`/`postal_code`/`postalCode`,
/// `country`/`country_code`/`countryCode`; `None` when none of them is present.
pub fn location(value: &Value) -> Option<Location> {
    if !value.is_object() {
        return None;
    }
    let first = |keys: &[&str]| keys.iter().find_map(|k| text(value, k));
    let location = Location {
        name: first(&["name"]),
        city: first(&["city"]),
        state: first(&["state", "province"]),
        postal_code: first(&["postal_code", "postalCode", "zip"]),
        country: first(&["country", "country_code", "countryCode"]),
    };
    (location != Location::default()).then_some(location)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_ids_as_text_whatever_their_json_type() {
        let v = json!({"a": 354987, "b": "FLEX-1", "c": null, "d": "  ", "e": {}});
        assert_eq!(text(&v, "a").as_deref(), Some("354987"));
        assert_eq!(text(&v, "b").as_deref(), Some("FLEX-1"));
        assert_eq!(text(&v, "c"), None);
        assert_eq!(text(&v, "d"), None);
        assert_eq!(text(&v, "e"), None);
        assert_eq!(text(&v, "missing"), None);
    }

    #[test]
    fn reads_times_in_every_accepted_shape() {
        let v = json!({"z": "2026-03-10T14:30:00Z", "o": "2026-03-10T16:30:00+02:00",
                       "n": "2026-03-10T14:30:00", "u": 1773153000, "d": "2026-03-10", "bad": "soon"});
        let expected = "2026-03-10T14:30:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(time(&v, "z"), Some(expected));
        assert_eq!(time(&v, "o"), Some(expected));
        assert_eq!(time(&v, "n"), Some(expected));
        assert_eq!(time(&v, "u"), Some(expected));
        assert_eq!(
            time(&v, "d").unwrap().to_rfc3339(),
            "2026-03-10T00:00:00+00:00"
        );
        assert_eq!(time(&v, "bad"), None);
    }

    #[test]
    fn reads_locations_and_ignores_empty_ones() {
        let v = json!({"city": "Salt Lake City", "state": "UT", "country": "US", "zip": "84101"});
        let l = location(&v).unwrap();
        assert_eq!(l.city.as_deref(), Some("Salt Lake City"));
        assert_eq!(l.postal_code.as_deref(), Some("84101"));
        assert_eq!(location(&json!({})), None);
        assert_eq!(location(&json!(null)), None);
    }
}
