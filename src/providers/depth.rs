//! How deeply JSON nests, and how deep a provider payload may be to be stored.
//!
//! serde_json refuses to read JSON nested deeper than [`JSON_READ_DEPTH`] arrays and objects. A
//! payload just under that limit parses at ingest, but its event wraps it under `data.raw`, two
//! levels deeper, and the API's answers wrap the event again: such an event would be stored and
//! delivered, then be missing from `/v1/events`, `/v1/events/{id}`, dead letters and replays,
//! because reading it back fails. So a payload whose stored event (inside the deepest answer that
//! carries it) could not be read back is quarantined at ingest instead: [`check`].

use serde_json::Value;

use crate::event::Event;

/// The deepest nesting of arrays and objects serde_json reads (its recursion limit, 128, refuses
/// the 128th level).
pub const JSON_READ_DEPTH: usize = 127;

/// How deep the API nests a stored event in its answers: a page of dead letters,
/// `{"data": [{"event": <event>}]}`, puts its root 3 levels down (a page of events, 2).
pub const ANSWER_WRAPPING: usize = 3;

/// Where an event carries the provider's payload: `data.raw`, 2 levels below its root.
pub const RAW_LEVEL: usize = 2;

/// The deepest provider payload an event may carry: 122 levels.
pub const MAX_PAYLOAD_DEPTH: usize = JSON_READ_DEPTH - ANSWER_WRAPPING - RAW_LEVEL;

/// How many arrays and objects deep `value` nests: 0 for a scalar, 1 for `[]` or `{"a": 1}`, 2 for
/// `[[]]`. Iterative, so no depth can exhaust the stack.
pub fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut pending = vec![(value, 0)];
    while let Some((value, above)) = pending.pop() {
        let level = above + 1;
        match value {
            Value::Array(items) => {
                deepest = deepest.max(level);
                pending.extend(items.iter().map(|item| (item, level)));
            }
            Value::Object(members) => {
                deepest = deepest.max(level);
                pending.extend(members.values().map(|member| (member, level)));
            }
            _ => {}
        }
    }
    deepest
}

/// Whether `event` can be stored: its payload (`data.raw`) nests at most [`MAX_PAYLOAD_DEPTH`]
/// levels, so the stored event reads back, in every answer that carries it. Otherwise the
/// payload's depth. The rest of an event is ours, and shallow.
pub fn check(event: &Event) -> Result<(), usize> {
    match depth(&event.data.raw) {
        ok if ok <= MAX_PAYLOAD_DEPTH => Ok(()),
        too_deep => Err(too_deep),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use serde_json::json;

    use super::*;
    use crate::event::{EventData, EventType, Kind, ProviderInfo};

    /// `levels` arrays, one inside the other, around `1`.
    fn nested(levels: usize) -> Value {
        let mut value = json!(1);
        for _ in 0..levels {
            value = Value::Array(vec![value]);
        }
        value
    }

    fn nested_text(levels: usize) -> String {
        format!("{}1{}", "[".repeat(levels), "]".repeat(levels))
    }

    fn event_with(raw: Value) -> Event {
        let at: DateTime<Utc> = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let provider = ProviderInfo {
            name: "generic".into(),
            event_id: None,
            event_type: "x".into(),
            status: None,
            received_at: at,
        };
        let mut event = Event::draft(
            "shop",
            EventType::ProviderUnmapped,
            None,
            at,
            EventData::new(Kind::Other, provider, raw),
        );
        event.id = "evt_01HQ1P2Q3R4S5T6U7V8W9X0RTE".into();
        event
    }

    /// The event as stored, inside the deepest answer that carries it (a dead-letter page).
    fn reads_back_in_the_deepest_answer(event: &Event) -> bool {
        let stored = serde_json::to_string(event).unwrap();
        if serde_json::from_str::<Value>(&stored).is_err() {
            return false;
        }
        let answer = format!(r#"{{"data":[{{"id":"dl","event":{stored}}}]}}"#);
        serde_json::from_str::<Value>(&answer).is_ok()
    }

    #[test]
    fn depth_counts_arrays_and_objects() {
        assert_eq!(depth(&json!(1)), 0);
        assert_eq!(depth(&json!("text")), 0);
        assert_eq!(depth(&json!([])), 1);
        assert_eq!(depth(&json!({})), 1);
        assert_eq!(depth(&json!({"a": 1, "b": [2, {"c": []}]})), 4);
        assert_eq!(depth(&json!([[1], [[[2]]], 3])), 4);
        assert_eq!(depth(&nested(1000)), 1000);
    }

    #[test]
    fn depth_survives_what_recursion_would_not() {
        // Built by hand (a parser refuses this), and taken apart by hand: dropping it recursively
        // would exhaust the stack just the same.
        let mut value = nested(200_000);
        assert_eq!(depth(&value), 200_000);
        while let Value::Array(mut items) = value {
            value = items.pop().unwrap_or(Value::Null);
        }
    }

    #[test]
    fn serde_json_reads_127_levels_and_refuses_128() {
        assert!(serde_json::from_str::<Value>(&nested_text(JSON_READ_DEPTH)).is_ok());
        assert!(serde_json::from_str::<Value>(&nested_text(JSON_READ_DEPTH + 1)).is_err());
    }

    #[test]
    fn the_deepest_payload_is_accepted_and_one_level_more_is_not() {
        assert_eq!(MAX_PAYLOAD_DEPTH, 122);
        let deepest = event_with(nested(MAX_PAYLOAD_DEPTH));
        assert_eq!(check(&deepest), Ok(()));
        assert!(reads_back_in_the_deepest_answer(&deepest));
        let deeper = event_with(nested(MAX_PAYLOAD_DEPTH + 1));
        assert_eq!(check(&deeper), Err(MAX_PAYLOAD_DEPTH + 1));
        assert!(!reads_back_in_the_deepest_answer(&deeper));
    }

    /// The rule is "it reads back": for every payload a parser accepts at ingest, `check` accepts
    /// exactly those whose stored event reads back in every answer. The ones that parse but would
    /// not read back stored (125 to 127 levels: `data.raw` adds two) are the ones it refuses.
    #[test]
    fn check_accepts_exactly_the_payloads_that_read_back() {
        for levels in 0..=JSON_READ_DEPTH {
            let payload: Value = serde_json::from_str(&nested_text(levels)).unwrap();
            let event = event_with(payload);
            assert_eq!(
                check(&event).is_ok(),
                reads_back_in_the_deepest_answer(&event),
                "{levels} levels"
            );
        }
        let unreadable_once_stored = event_with(nested(JSON_READ_DEPTH));
        let stored = serde_json::to_string(&unreadable_once_stored).unwrap();
        assert!(serde_json::from_str::<Value>(&stored).is_err());
        assert_eq!(check(&unreadable_once_stored), Err(JSON_READ_DEPTH));
    }

    /// Through `normalize`: a generic source's payload, `{"type": ..., "d": <nested>}`.
    #[test]
    fn normalize_refuses_a_payload_too_deep_to_read_back_with_its_reason() {
        use crate::providers::{Context, GenericFields, NormalizeError, ProviderKind, normalize};
        let kind = ProviderKind::Generic(GenericFields::default());
        let cx = Context {
            source_id: "shop",
            received_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
        };
        let body = |levels: usize| {
            format!(
                r#"{{"type":"tracking.updated","d":{}}}"#,
                nested_text(levels - 1)
            )
        };
        let accepted = normalize(&kind, cx, body(MAX_PAYLOAD_DEPTH).as_bytes(), &mut || 7).unwrap();
        assert!(reads_back_in_the_deepest_answer(&accepted.events[0]));
        let refused = normalize(&kind, cx, body(MAX_PAYLOAD_DEPTH + 1).as_bytes(), &mut || 7);
        let error = refused.unwrap_err();
        assert_eq!(
            error,
            NormalizeError::TooDeep {
                depth: 123,
                max: 122
            }
        );
        assert_eq!(
            error.to_string(),
            "payload nested deeper than 122 levels (123): its stored event could not be read back"
        );
    }
}
