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
mod tests;
