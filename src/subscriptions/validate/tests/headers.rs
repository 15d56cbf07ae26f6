//! Extra headers: how many, their names (tokens, length, reserved, unique) and their values.

use super::*;

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
