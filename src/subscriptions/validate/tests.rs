//! Unit tests of `validate`.

use super::*;

const SOURCES: &[&str] = &["flexport", "flexops_main"];

fn valid() -> CreateSubscription {
    CreateSubscription {
        url: "https://hooks.example.com/shiprelay?team=ops".into(),
        events: vec!["tracking.*".into(), "order.shipped".into(), "*".into()],
        sources: Some(vec!["flexport".into()]),
        carriers: Some(vec!["usps".into(), "canada_post".into()]),
        description: Some("Ops dashboard".into()),
        headers: Some(BTreeMap::from([
            ("Authorization".into(), "Bearer abc.def".into()),
            ("X-Team".into(), "ops team".into()),
        ])),
        sensitive_headers: None,
        tenant: None,
        enabled: Some(true),
        ordering: Some(super::super::model::Ordering::Subject),
        rate_limit_per_second: Some(20),
        filter: None,
        format: None,
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn headers(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
    Some(
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
    )
}

/// The field paths of all errors of a create request.
fn fields_of(request: CreateSubscription) -> Vec<String> {
    match validate_create(&request, SOURCES) {
        Ok(()) => Vec::new(),
        Err(errors) => errors.into_iter().map(|e| e.field).collect(),
    }
}

fn messages_of(request: CreateSubscription) -> Vec<String> {
    validate_create(&request, SOURCES)
        .unwrap_err()
        .into_iter()
        .map(|e| e.message)
        .collect()
}

#[test]
fn events_must_not_be_empty() {
    assert_eq!(
        fields_of(CreateSubscription {
            events: vec![],
            ..valid()
        }),
        ["events"]
    );
}

#[test]
fn events_are_limited_in_number() {
    // The vocabulary has fewer than MAX_EVENTS distinct patterns, so repeats are reported too.
    let events = vec!["*".to_string(); MAX_EVENTS + 1];
    let errors = validate_create(&CreateSubscription { events, ..valid() }, SOURCES).unwrap_err();
    assert_eq!(errors[0].field, "events");
    assert_eq!(
        errors[0].message,
        "must list at most 50 patterns (MAX_EVENTS)"
    );
    assert!(errors[1..].iter().all(|e| e.message == "repeats events[0]"));
}

#[test]
fn each_event_pattern_is_checked() {
    let events = strings(&[
        "tracking.*",
        "",
        "tracking.",
        "*.updated",
        "tracking.**",
        "Tracking.Updated",
    ]);
    let fields = fields_of(CreateSubscription { events, ..valid() });
    assert_eq!(
        fields,
        [
            "events[1]",
            "events[2]",
            "events[3]",
            "events[4]",
            "events[5]"
        ]
    );
    let events = strings(&["tracking.teleported", "parcel.*"]);
    assert_eq!(
        fields_of(CreateSubscription { events, ..valid() }),
        ["events[0]", "events[1]"]
    );
}

#[test]
fn event_patterns_must_not_repeat() {
    let events = strings(&["tracking.*", "ping", "tracking.*"]);
    let messages = messages_of(CreateSubscription {
        events: events.clone(),
        ..valid()
    });
    assert_eq!(messages, ["repeats events[0]"]);
    assert_eq!(
        fields_of(CreateSubscription { events, ..valid() }),
        ["events[2]"]
    );
}

#[test]
fn sources_must_be_configured() {
    let sources = Some(strings(&["flexport", "nope", "FLEXPORT"]));
    assert_eq!(
        fields_of(CreateSubscription { sources, ..valid() }),
        ["sources[1]", "sources[2]"]
    );
    assert!(
        fields_of(CreateSubscription {
            sources: Some(vec![]),
            ..valid()
        })
        .is_empty()
    );
}

#[test]
fn sources_are_limited_in_number() {
    let sources = Some(vec!["flexport".to_string(); MAX_SOURCES + 1]);
    assert_eq!(
        fields_of(CreateSubscription { sources, ..valid() }),
        ["sources"]
    );
}

#[test]
fn carriers_must_be_codes() {
    let long = "a".repeat(MAX_CARRIER_CHARS + 1);
    let ok_long = "a".repeat(MAX_CARRIER_CHARS);
    let carriers = Some(strings(&[
        "usps",
        "",
        "UPS",
        "dhl-express",
        &long,
        &ok_long,
        "fedex_2",
    ]));
    let fields = fields_of(CreateSubscription {
        carriers,
        ..valid()
    });
    assert_eq!(
        fields,
        ["carriers[1]", "carriers[2]", "carriers[3]", "carriers[4]"]
    );
}

#[test]
fn carriers_are_limited_in_number() {
    let carriers = Some(vec!["usps".to_string(); MAX_CARRIERS + 1]);
    assert_eq!(
        fields_of(CreateSubscription {
            carriers,
            ..valid()
        }),
        ["carriers"]
    );
}

#[test]
fn description_length_is_limited_in_characters() {
    let at_limit = "é".repeat(MAX_DESCRIPTION_CHARS);
    assert!(
        fields_of(CreateSubscription {
            description: Some(at_limit.clone()),
            ..valid()
        })
        .is_empty()
    );
    let over = Some(format!("{at_limit}x"));
    assert_eq!(
        fields_of(CreateSubscription {
            description: over,
            ..valid()
        }),
        ["description"]
    );
}

#[test]
fn reports_every_problem_at_once() {
    let request = CreateSubscription {
        url: "ftp://user@example.com/#x".into(),
        events: strings(&["tracking.*", "nope.*", "tracking.*"]),
        sources: Some(strings(&["ghost"])),
        carriers: Some(strings(&["UPS"])),
        description: Some("d".repeat(MAX_DESCRIPTION_CHARS + 1)),
        headers: headers(&[("Host", "x"), ("X-A", "\n")]),
        sensitive_headers: None,
        tenant: None,
        enabled: None,
        ordering: None,
        rate_limit_per_second: Some(0),
        filter: Some(vec![crate::subscriptions::filter::Condition {
            path: Some("status".into()),
            exists: Some(true),
            ..Default::default()
        }]),
        format: None,
    };
    let fields = fields_of(request);
    assert_eq!(
        fields,
        [
            "url",
            "url",
            "url",
            "events[1]",
            "events[2]",
            "sources[0]",
            "carriers[0]",
            "description",
            "headers.Host",
            "headers.X-A",
            "rateLimitPerSecond",
            "filter[0].path",
        ]
    );
}

#[test]
fn limits_are_named_in_messages() {
    let messages = messages_of(CreateSubscription {
        description: Some("d".repeat(501)),
        ..valid()
    });
    assert_eq!(
        messages,
        ["must be at most 500 characters (MAX_DESCRIPTION_CHARS)"]
    );
}

#[test]
fn a_rate_limit_must_be_within_its_bounds() {
    let message = |rate| {
        messages_of(CreateSubscription {
            rate_limit_per_second: Some(rate),
            ..valid()
        })
    };
    assert_eq!(message(0), ["must be 1 to 100000 (null: no limit)"]);
    assert_eq!(message(100_001), ["must be 1 to 100000 (null: no limit)"]);
    for fine in [1, 100_000] {
        let request = CreateSubscription {
            rate_limit_per_second: Some(fine),
            ..valid()
        };
        assert_eq!(validate_create(&request, SOURCES), Ok(()));
    }
}

#[test]
fn empty_update_is_valid() {
    assert_eq!(
        validate_update(&UpdateSubscription::default(), SOURCES),
        Ok(())
    );
}

#[test]
fn update_checks_the_fields_it_sets() {
    let update = UpdateSubscription {
        url: Some("https://a@example.com".into()),
        events: Some(vec![]),
        sources: Some(strings(&["ghost"])),
        carriers: Some(strings(&["-"])),
        description: Some("d".repeat(MAX_DESCRIPTION_CHARS + 1)),
        headers: headers(&[("Content-Length", "1")]),
        sensitive_headers: None,
        enabled: Some(true),
        ordering: None,
        rate_limit_per_second: Some(Some(MAX_RATE_LIMIT + 1)),
        filter: Some(Some(vec![Default::default()])),
        format: None,
    };
    let fields: Vec<String> = validate_update(&update, SOURCES)
        .unwrap_err()
        .into_iter()
        .map(|e| e.field)
        .collect();
    assert_eq!(
        fields,
        [
            "url",
            "events",
            "sources[0]",
            "carriers[0]",
            "description",
            "headers.Content-Length",
            "rateLimitPerSecond",
            "filter[0].path",
            "filter[0]"
        ]
    );
    let fine = UpdateSubscription {
        description: Some(String::new()),
        enabled: Some(false),
        rate_limit_per_second: Some(None),
        ..Default::default()
    };
    assert_eq!(validate_update(&fine, SOURCES), Ok(()));
}

#[test]
fn field_errors_serialise_as_field_and_message() {
    let error = FieldError {
        field: "events[0]".into(),
        message: "bad".into(),
    };
    assert_eq!(
        serde_json::to_value(&error).unwrap(),
        serde_json::json!({"field": "events[0]", "message": "bad"})
    );
}

mod headers;

mod properties;
mod urls;
