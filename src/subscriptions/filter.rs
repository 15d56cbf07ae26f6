//! Payload filters: conditions on the normalised event (the CloudEvent as delivered), each a JSON
//! pointer and one operator, all of which must hold.
//!
//! A subscription that only wants "delivered or exception, in Germany or France" says so here
//! instead of filtering every `tracking.*` event itself. The cost is bounded by validation (at most
//! [`MAX_CONDITIONS`] conditions of [`MAX_VALUES`] values, pointers [`MAX_DEPTH`] deep), so matching
//! an event against a filter is a handful of pointer look-ups; [`holds`] is pure.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::field_error::FieldError;

pub const MAX_CONDITIONS: usize = 20;
pub const MAX_VALUES: usize = 100;
/// Reference tokens in one pointer (`/data/location/country` has 3).
pub const MAX_DEPTH: usize = 16;
/// Characters of one string value or prefix, and of a pointer.
pub const MAX_TEXT_CHARS: usize = 256;

/// One condition, as the API and the store spell it: `path` and exactly one operator.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"path": "/data/status", "in": ["delivered", "exception"]}))]
pub struct Condition {
    /// A JSON pointer (RFC 6901) into the CloudEvent, e.g. `/data/location/country`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "/data/status")]
    pub path: Option<String>,
    /// The value there equals this (numbers compare by value: 1 equals 1.0).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<Object>)]
    pub eq: Option<Value>,
    /// The value there is absent or differs from this.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<Object>)]
    pub ne: Option<Value>,
    /// The value there equals one of these (1 to 100 values).
    #[serde(rename = "in", default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub one_of: Option<Vec<Value>>,
    /// The value there is absent or equals none of these (1 to 100 values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub not_in: Option<Vec<Value>>,
    /// `true`: there is a value there other than `null`; `false`: there is none (or `null`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
    /// The value there is a string that starts with this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// A field that is present, even as `null` (`{"eq": null}` compares with null).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// The operator of a condition, borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Operator<'a> {
    Eq(&'a Value),
    Ne(&'a Value),
    In(&'a [Value]),
    NotIn(&'a [Value]),
    Exists(bool),
    Prefix(&'a str),
}

impl Condition {
    /// Every operator the condition names (a valid one names exactly one).
    fn operators(&self) -> Vec<Operator<'_>> {
        [
            self.eq.as_ref().map(Operator::Eq),
            self.ne.as_ref().map(Operator::Ne),
            self.one_of.as_deref().map(Operator::In),
            self.not_in.as_deref().map(Operator::NotIn),
            self.exists.map(Operator::Exists),
            self.prefix.as_deref().map(Operator::Prefix),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// Whether the condition holds for `event`. A condition that is not valid (never stored)
    /// holds for nothing.
    pub fn holds(&self, event: &Value) -> bool {
        let operators = self.operators();
        let (Some(path), [operator]) = (self.path.as_deref(), operators.as_slice()) else {
            return false;
        };
        let found = event.pointer(path).filter(|v| !v.is_null());
        match *operator {
            Operator::Eq(wanted) => event.pointer(path).is_some_and(|v| same(v, wanted)),
            Operator::Ne(unwanted) => !event.pointer(path).is_some_and(|v| same(v, unwanted)),
            Operator::In(values) => event
                .pointer(path)
                .is_some_and(|v| values.iter().any(|w| same(v, w))),
            Operator::NotIn(values) => !event
                .pointer(path)
                .is_some_and(|v| values.iter().any(|w| same(v, w))),
            Operator::Exists(wanted) => found.is_some() == wanted,
            Operator::Prefix(prefix) => found
                .and_then(Value::as_str)
                .is_some_and(|s| s.starts_with(prefix)),
        }
    }
}

/// Whether every condition holds (an empty filter admits everything).
pub fn holds(filter: &[Condition], event: &Value) -> bool {
    filter.iter().all(|c| c.holds(event))
}

/// JSON equality, except that numbers compare by value.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// Every problem of a filter, each named by its place (`filter[2].path`, `filter[1]`).
pub fn validate(filter: &[Condition]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if filter.len() > MAX_CONDITIONS {
        errors.push(FieldError::new(
            "filter",
            format!("at most {MAX_CONDITIONS} conditions"),
        ));
        return errors;
    }
    for (i, condition) in filter.iter().enumerate() {
        let at = |field: &str| match field {
            "" => format!("filter[{i}]"),
            _ => format!("filter[{i}].{field}"),
        };
        match condition.path.as_deref() {
            None => errors.push(FieldError::new(at("path"), "is required")),
            Some(path) => {
                if let Err(message) = check_pointer(path) {
                    errors.push(FieldError::new(at("path"), message));
                }
            }
        }
        let operators = condition.operators();
        match operators.as_slice() {
            [] => errors.push(FieldError::new(
                at(""),
                "needs one operator: eq, ne, in, not_in, exists or prefix",
            )),
            [operator] => check_operator(*operator, &at, &mut errors),
            _ => errors.push(FieldError::new(
                at(""),
                "has more than one operator; use one condition for each",
            )),
        }
    }
    errors
}

fn check_operator(operator: Operator, at: &dyn Fn(&str) -> String, errors: &mut Vec<FieldError>) {
    let (field, values): (&str, &[Value]) = match operator {
        Operator::Eq(value) => ("eq", std::slice::from_ref(value)),
        Operator::Ne(value) => ("ne", std::slice::from_ref(value)),
        Operator::In(values) => ("in", values),
        Operator::NotIn(values) => ("not_in", values),
        Operator::Exists(_) => return,
        Operator::Prefix(prefix) => {
            if prefix.is_empty() || prefix.chars().nth(MAX_TEXT_CHARS).is_some() {
                errors.push(FieldError::new(
                    at("prefix"),
                    format!("must be 1 to {MAX_TEXT_CHARS} characters"),
                ));
            }
            return;
        }
    };
    if matches!(operator, Operator::In(_) | Operator::NotIn(_))
        && !(1..=MAX_VALUES).contains(&values.len())
    {
        errors.push(FieldError::new(
            at(field),
            format!("must list 1 to {MAX_VALUES} values"),
        ));
        return;
    }
    if let Some(bad) = values.iter().position(|v| !is_plain(v)) {
        let place = match operator {
            Operator::In(_) | Operator::NotIn(_) => format!("{field}[{bad}]"),
            _ => field.to_string(),
        };
        errors.push(FieldError::new(
            at(&place),
            format!(
                "must be a string (at most {MAX_TEXT_CHARS} characters), number, boolean or null"
            ),
        ));
    }
}

/// A value a condition may compare with: a scalar, strings bounded.
fn is_plain(value: &Value) -> bool {
    match value {
        Value::String(s) => s.chars().nth(MAX_TEXT_CHARS).is_none(),
        Value::Array(_) | Value::Object(_) => false,
        _ => true,
    }
}

/// A JSON pointer to something inside the event: `/` then tokens, `~` only as `~0` or `~1`.
fn check_pointer(path: &str) -> Result<(), String> {
    const SHAPE: &str = "must be a JSON pointer into the event, such as `/data/status`";
    if !path.starts_with('/') || path.chars().nth(MAX_TEXT_CHARS).is_some() {
        return Err(format!("{SHAPE} (at most {MAX_TEXT_CHARS} characters)"));
    }
    let tokens: Vec<&str> = path[1..].split('/').collect();
    if tokens.len() > MAX_DEPTH {
        return Err(format!("is deeper than {MAX_DEPTH} levels"));
    }
    let escapes_ok = tokens.iter().all(|token| {
        let mut chars = token.chars();
        while let Some(c) = chars.next() {
            if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
                return false;
            }
        }
        true
    });
    if !escapes_ok {
        return Err(format!("{SHAPE}; `~` must be written `~0` and `/` as `~1`"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn condition(json: Value) -> Condition {
        serde_json::from_value(json).unwrap()
    }

    fn event() -> Value {
        json!({
            "type": "tracking.updated",
            "data": {
                "status": "delivered",
                "carrier": null,
                "location": {"country": "DE", "city": "Köln"},
                "raw": {"priority": 2, "a/b": "slash", "t~n": "tilde"},
                "provider": {"event_type": "tracking.updated"}
            }
        })
    }

    fn holds_for(json: Value) -> bool {
        condition(json).holds(&event())
    }

    #[test]
    fn the_issue_example_admits_a_matching_event() {
        let filter: Vec<Condition> = serde_json::from_value(json!([
            {"path": "/data/status", "in": ["delivered", "exception"]},
            {"path": "/data/location/country", "in": ["DE", "FR"]},
            {"path": "/data/raw/priority", "exists": true},
            {"path": "/data/provider/event_type", "eq": "tracking.updated"}
        ]))
        .unwrap();
        assert!(validate(&filter).is_empty());
        assert!(holds(&filter, &event()));
        let mut elsewhere = event();
        elsewhere["data"]["location"]["country"] = json!("US");
        assert!(!holds(&filter, &elsewhere));
        assert!(holds(&[], &elsewhere), "no filter admits everything");
    }

    #[test]
    fn eq_and_ne() {
        assert!(holds_for(
            json!({"path": "/data/status", "eq": "delivered"})
        ));
        assert!(!holds_for(
            json!({"path": "/data/status", "eq": "exception"})
        ));
        assert!(!holds_for(json!({"path": "/data/missing", "eq": "x"})));
        assert!(holds_for(json!({"path": "/data/raw/priority", "eq": 2.0})));
        assert!(holds_for(json!({"path": "/data/carrier", "eq": null})));
        assert!(holds_for(
            json!({"path": "/data/status", "ne": "exception"})
        ));
        assert!(!holds_for(
            json!({"path": "/data/status", "ne": "delivered"})
        ));
        assert!(holds_for(json!({"path": "/data/missing", "ne": "x"})));
    }

    #[test]
    fn in_and_not_in() {
        assert!(holds_for(
            json!({"path": "/data/location/country", "in": ["FR", "DE"]})
        ));
        assert!(!holds_for(
            json!({"path": "/data/location/country", "in": ["FR"]})
        ));
        assert!(!holds_for(json!({"path": "/data/missing", "in": ["FR"]})));
        assert!(holds_for(
            json!({"path": "/data/location/country", "not_in": ["FR"]})
        ));
        assert!(!holds_for(
            json!({"path": "/data/location/country", "not_in": ["DE"]})
        ));
        assert!(holds_for(
            json!({"path": "/data/missing", "not_in": ["DE"]})
        ));
    }

    #[test]
    fn exists_counts_null_as_absent() {
        assert!(holds_for(
            json!({"path": "/data/raw/priority", "exists": true})
        ));
        assert!(!holds_for(json!({"path": "/data/carrier", "exists": true})));
        assert!(holds_for(json!({"path": "/data/carrier", "exists": false})));
        assert!(holds_for(
            json!({"path": "/data/nope/deeper", "exists": false})
        ));
    }

    #[test]
    fn prefix_applies_to_strings_only() {
        assert!(holds_for(json!({"path": "/type", "prefix": "tracking."})));
        assert!(!holds_for(json!({"path": "/type", "prefix": "order."})));
        assert!(!holds_for(
            json!({"path": "/data/raw/priority", "prefix": "2"})
        ));
        assert!(!holds_for(json!({"path": "/data/missing", "prefix": "x"})));
    }

    #[test]
    fn pointers_unescape_and_index_arrays() {
        assert!(holds_for(json!({"path": "/data/raw/a~1b", "eq": "slash"})));
        assert!(holds_for(json!({"path": "/data/raw/t~0n", "eq": "tilde"})));
        let with_list = json!({"data": {"items": ["x", "y"]}});
        assert!(condition(json!({"path": "/data/items/1", "eq": "y"})).holds(&with_list));
    }

    #[test]
    fn an_invalid_condition_holds_for_nothing() {
        assert!(!holds_for(json!({"path": "/data/status"})));
        assert!(!holds_for(json!({"eq": "delivered"})));
        assert!(!holds_for(
            json!({"path": "/data/status", "eq": "delivered", "ne": "x"})
        ));
    }

    fn fields(json: Value) -> Vec<String> {
        let filter: Vec<Condition> = serde_json::from_value(json).unwrap();
        validate(&filter).into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn every_bad_condition_is_named_by_its_index() {
        let named = fields(json!([
            {"path": "/data/status", "eq": "delivered"},
            {"path": "/data/status"},
            {"path": "data/status", "eq": "x"},
            {"path": "/a", "in": []},
            {"path": "/a", "eq": 1, "ne": 2},
            {"exists": true},
            {"path": "/a", "not_in": ["ok", {"no": 1}]},
            {"path": "/a", "eq": [1]},
            {"path": "/a~2", "exists": true},
            {"path": "/a", "prefix": ""}
        ]));
        assert_eq!(
            named,
            vec![
                "filter[1]",
                "filter[2].path",
                "filter[3].in",
                "filter[4]",
                "filter[5].path",
                "filter[6].not_in[1]",
                "filter[7].eq",
                "filter[8].path",
                "filter[9].prefix"
            ]
        );
    }

    #[test]
    fn the_cost_is_bounded() {
        let many: Vec<Value> = (0..=MAX_CONDITIONS)
            .map(|_| json!({"path": "/a", "exists": true}))
            .collect();
        assert_eq!(fields(json!(many)), vec!["filter"]);
        let values: Vec<usize> = (0..=MAX_VALUES).collect();
        assert_eq!(
            fields(json!([{"path": "/a", "in": values}])),
            vec!["filter[0].in"]
        );
        let deep = "/a".repeat(MAX_DEPTH);
        assert!(fields(json!([{"path": deep, "exists": true}])).is_empty());
        let deeper = "/a".repeat(MAX_DEPTH + 1);
        assert_eq!(
            fields(json!([{"path": deeper, "exists": true}])),
            vec!["filter[0].path"]
        );
        let long = "x".repeat(MAX_TEXT_CHARS + 1);
        assert_eq!(
            fields(json!([{"path": "/a", "eq": long}])),
            vec!["filter[0].eq"]
        );
    }

    #[test]
    fn unknown_operators_are_refused_when_read() {
        let parsed: Result<Condition, _> = serde_json::from_value(json!({"path": "/a", "gt": 1}));
        assert!(parsed.is_err());
    }

    #[test]
    fn stored_form_round_trips_including_null_values() {
        let c = condition(json!({"path": "/data/carrier", "eq": null}));
        assert_eq!(c.eq, Some(Value::Null));
        let stored = serde_json::to_value(&c).unwrap();
        assert_eq!(stored, json!({"path": "/data/carrier", "eq": null}));
        assert_eq!(condition(stored), c);
    }
}
