//! Unit tests of `validate`.

use super::*;
use proptest::prelude::*;

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

fn url_fields(url: &str) -> Vec<String> {
    fields_of(CreateSubscription {
        url: url.into(),
        ..valid()
    })
}

#[test]
fn valid_requests_pass() {
    assert_eq!(validate_create(&valid(), SOURCES), Ok(()));
    let minimal = CreateSubscription {
        url: "http://10.0.0.5:8080/hook".into(),
        events: strings(&["ping"]),
        ..Default::default()
    };
    assert_eq!(validate_create(&minimal, SOURCES), Ok(()));
}

#[test]
fn url_must_parse() {
    assert_eq!(url_fields(""), ["url"]);
    assert_eq!(url_fields("hooks.example.com/x"), ["url"]);
    assert_eq!(url_fields("https://exa mple.com/"), ["url", "url"]);
}

#[test]
fn url_must_be_http_or_https() {
    assert_eq!(url_fields("ftp://example.com/x"), ["url"]);
    assert_eq!(
        url_fields("file:///etc/passwd"),
        ["url", "url"],
        "scheme and host"
    );
    let messages = messages_of(CreateSubscription {
        url: "ftp://example.com".into(),
        ..valid()
    });
    assert!(messages[0].contains("http or https"));
}

#[test]
fn url_must_have_a_host() {
    let messages = messages_of(CreateSubscription {
        url: "mailto:ops@example.com".into(),
        ..valid()
    });
    assert!(
        messages.iter().any(|m| m == "must have a host"),
        "{messages:?}"
    );
}

#[test]
fn url_must_not_carry_credentials() {
    assert_eq!(url_fields("https://user:pw@example.com/"), ["url"]);
    assert_eq!(url_fields("https://user@example.com/"), ["url"]);
    assert_eq!(url_fields("https://:pw@example.com/"), ["url"]);
}

#[test]
fn url_must_not_have_a_fragment() {
    assert_eq!(url_fields("https://example.com/x#top"), ["url"]);
    assert_eq!(url_fields("https://example.com/x#"), ["url"]);
}

#[test]
fn url_must_not_contain_whitespace() {
    assert_eq!(url_fields(" https://example.com/"), ["url"]);
    assert_eq!(url_fields("https://example.com/a\nb"), ["url"]);
}

#[test]
fn url_length_is_limited() {
    let base = "https://example.com/";
    let at_limit = format!("{base}{}", "a".repeat(MAX_URL_CHARS - base.len()));
    assert!(url_fields(&at_limit).is_empty());
    assert_eq!(url_fields(&format!("{at_limit}a")), ["url"]);
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
fn headers_are_limited_in_number() {
    let many: BTreeMap<String, String> = (0..=MAX_HEADERS)
        .map(|i| (format!("X-H{i}"), "v".into()))
        .collect();
    assert_eq!(
        fields_of(CreateSubscription {
            headers: Some(many),
            ..valid()
        }),
        ["headers"]
    );
    let messages = messages_of(CreateSubscription {
        headers: Some(
            (0..=MAX_HEADERS)
                .map(|i| (format!("X-H{i}"), "v".into()))
                .collect(),
        ),
        ..valid()
    });
    assert!(messages[0].contains("20"), "{messages:?}");
}

#[test]
fn header_names_must_be_tokens() {
    let fields = fields_of(CreateSubscription {
        headers: headers(&[
            ("X Foo", "v"),
            ("", "v"),
            ("X-Ok", "v"),
            ("X:Y", "v"),
            ("Ünï", "v"),
        ]),
        ..valid()
    });
    assert_eq!(
        fields,
        ["headers.", "headers.X Foo", "headers.X:Y", "headers.Ünï"]
    );
}

#[test]
fn header_names_are_limited_in_length() {
    let long = format!("X-{}", "a".repeat(MAX_HEADER_NAME_CHARS - 1));
    let ok = format!("X-{}", "a".repeat(MAX_HEADER_NAME_CHARS - 2));
    let fields = fields_of(CreateSubscription {
        headers: headers(&[(&long, "v"), (&ok, "v")]),
        ..valid()
    });
    assert_eq!(fields, [format!("headers.{long}")]);
}

#[test]
fn reserved_header_names_are_forbidden() {
    for name in [
        "Host",
        "content-length",
        "Content-Type",
        "Transfer-Encoding",
        "Connection",
        "Keep-Alive",
        "Upgrade",
        "TE",
        "Trailer",
        "User-Agent",
        "Proxy-Authorization",
        "webhook-signature",
        "Webhook-Id",
        "WEBHOOK-TIMESTAMP",
    ] {
        let fields = fields_of(CreateSubscription {
            headers: headers(&[(name, "v")]),
            ..valid()
        });
        assert_eq!(fields, [format!("headers.{name}")], "{name}");
    }
    for allowed in ["Authorization", "X-Webhook-Team", "Tea", "Hosts", "Webhook"] {
        let fields = fields_of(CreateSubscription {
            headers: headers(&[(allowed, "v")]),
            ..valid()
        });
        assert!(fields.is_empty(), "{allowed}: {fields:?}");
    }
}

#[test]
fn header_names_must_be_unique_ignoring_case() {
    let fields = fields_of(CreateSubscription {
        headers: headers(&[("X-Team", "a"), ("x-team", "b")]),
        ..valid()
    });
    assert_eq!(fields, ["headers.x-team"]);
}

#[test]
fn header_values_are_visible_ascii() {
    let fields = fields_of(CreateSubscription {
        headers: headers(&[
            ("X-A", "ok value ~!"),
            ("X-B", "a\r\nX-Evil: 1"),
            ("X-C", "tab\there"),
            ("X-D", "café"),
        ]),
        ..valid()
    });
    assert_eq!(fields, ["headers.X-B", "headers.X-C", "headers.X-D"]);
}

#[test]
fn header_values_are_limited_in_length() {
    let ok = "v".repeat(MAX_HEADER_VALUE_CHARS);
    let long = "v".repeat(MAX_HEADER_VALUE_CHARS + 1);
    let fields = fields_of(CreateSubscription {
        headers: headers(&[("X-A", &ok), ("X-B", &long)]),
        ..valid()
    });
    assert_eq!(fields, ["headers.X-B"]);
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

/// Arbitrary text, biased towards the characters the rules care about.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9.*_:/@#?% \r\n\t-]{0,40}",
        "(https?|ftp)://[a-z0-9@:#./\\[\\]%-]{0,30}",
    ]
}

fn list() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(text(), 0..60)
}

fn map() -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::btree_map(text(), text(), 0..25)
}

proptest! {
    #[test]
    fn validation_never_panics(
        url in text(),
        events in list(),
        sources in prop::option::of(list()),
        carriers in prop::option::of(list()),
        description in prop::option::of(text()),
        headers in prop::option::of(map()),
        enabled in prop::option::of(any::<bool>()),
    ) {
        let create = CreateSubscription {
            url: url.clone(),
            events: events.clone(),
            sources: sources.clone(),
            carriers: carriers.clone(),
            description: description.clone(),
            headers: headers.clone(),
            sensitive_headers: None,
            tenant: None,
            enabled,
            ordering: None,
            rate_limit_per_second: None,
            filter: None,
            format: None,
        };
        let _ = validate_create(&create, SOURCES);
        let update = UpdateSubscription {
            url: Some(url),
            events: Some(events),
            sources,
            carriers,
            description,
            headers,
            sensitive_headers: None,
            enabled,
            ordering: None,
            rate_limit_per_second: None,
            filter: None,
            format: None,
        };
        let _ = validate_update(&update, SOURCES);
    }
}
