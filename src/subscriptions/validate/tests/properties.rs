//! Properties: validation never panics and always answers, whatever the request holds.

use proptest::prelude::*;

use super::*;

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
