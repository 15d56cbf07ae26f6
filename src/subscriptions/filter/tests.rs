//! Unit tests of `filter`.

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
