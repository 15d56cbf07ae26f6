//! Which subscriptions want an event.
//!
//! The delivery worker asks [`matches`] for every (event, subscription) pair, so matching works on
//! the stored pattern strings directly and allocates nothing. [`parse_pattern`] is the strict form
//! validation uses; stored patterns have passed it, and a pattern that somehow did not simply never
//! matches.

use crate::event::{EventHead, EventType};

use super::model::Subscription;

/// One `events` entry of a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// `*`: every event type.
    Any,
    /// `tracking.*` is `Prefix("tracking")`: every type in the `tracking.` family.
    Prefix(String),
    /// One type of our vocabulary.
    Exact(EventType),
}

const SYNTAX: &str = "must be an event type such as `tracking.updated`, a family wildcard such as \
                      `tracking.*`, or `*`; names are lower-case letters, digits and `_` separated by dots";

/// The pattern `text` stands for, when it is well-formed and names types we emit.
pub fn parse_pattern(text: &str) -> Result<Pattern, String> {
    if text == "*" {
        return Ok(Pattern::Any);
    }
    if let Some(prefix) = text.strip_suffix(".*") {
        if !is_dotted_name(prefix) {
            return Err(SYNTAX.to_string());
        }
        if !EventType::ALL.iter().any(|t| has_prefix(*t, prefix)) {
            return Err(format!(
                "no event type starts with this prefix; known prefixes: {}",
                known_prefixes().join(", ")
            ));
        }
        return Ok(Pattern::Prefix(prefix.to_string()));
    }
    if !is_dotted_name(text) {
        return Err(SYNTAX.to_string());
    }
    EventType::parse(text).map(Pattern::Exact).ok_or_else(|| {
        let known: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
        format!("unknown event type; known types: {}", known.join(", "))
    })
}

impl Pattern {
    pub fn matches(&self, event_type: EventType) -> bool {
        match self {
            Pattern::Any => true,
            Pattern::Prefix(prefix) => has_prefix(event_type, prefix),
            Pattern::Exact(t) => *t == event_type,
        }
    }
}

/// `a.b_c.d`: non-empty segments of `[a-z0-9_]`, separated by single dots.
fn is_dotted_name(text: &str) -> bool {
    text.split('.').all(|segment| {
        !segment.is_empty()
            && segment
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    })
}

/// Whether `event_type` is in the `prefix.` family (`tracking` covers `tracking.updated`, not
/// `trackingx.y`).
fn has_prefix(event_type: EventType, prefix: &str) -> bool {
    event_type
        .as_str()
        .strip_prefix(prefix)
        .is_some_and(|rest| rest.starts_with('.'))
}

/// Every family prefix of the vocabulary, in vocabulary order (`provider`, not `provider.unmapped`).
fn known_prefixes() -> Vec<&'static str> {
    let mut prefixes: Vec<&'static str> = Vec::new();
    for t in EventType::ALL {
        let name = t.as_str();
        for (dot, _) in name.match_indices('.') {
            let prefix = &name[..dot];
            if !prefixes.contains(&prefix) {
                prefixes.push(prefix);
            }
        }
    }
    prefixes
}

/// What matching needs to know about an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventFacts<'a> {
    pub event_type: EventType,
    /// The source id (`flexport`), not the CloudEvents `source` (`shiprelay/flexport`).
    pub source_id: &'a str,
    pub carrier: Option<&'a str>,
}

impl EventFacts<'_> {
    pub fn of(event: &EventHead) -> EventFacts<'_> {
        EventFacts {
            event_type: event.event_type,
            source_id: event
                .source
                .strip_prefix("shiprelay/")
                .unwrap_or(&event.source),
            carrier: event.data.carrier.as_deref(),
        }
    }
}

/// Whether `sub` wants the event: it is enabled, one of its patterns covers the type, and the
/// source and carrier filters (empty = any) admit it. An event without a carrier never passes a
/// carrier filter.
pub fn matches(sub: &Subscription, facts: &EventFacts) -> bool {
    sub.enabled
        && sub
            .events
            .iter()
            .any(|p| pattern_text_matches(p, facts.event_type))
        && (sub.sources.is_empty() || sub.sources.iter().any(|s| s == facts.source_id))
        && (sub.carriers.is_empty()
            || facts
                .carrier
                .is_some_and(|c| sub.carriers.iter().any(|s| s == c)))
}

/// [`Pattern::matches`] on the stored text, without parsing into a `Pattern`.
fn pattern_text_matches(pattern: &str, event_type: EventType) -> bool {
    if pattern == "*" {
        return true;
    }
    match pattern.strip_suffix(".*") {
        Some(prefix) => has_prefix(event_type, prefix),
        None => pattern == event_type.as_str(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, EventData, Kind, ProviderInfo};
    use crate::secret::Secret;
    use crate::subscriptions::model::{CreateSubscription, create};
    use chrono::{TimeZone, Utc};

    fn sub(events: &[&str], sources: &[&str], carriers: &[&str]) -> Subscription {
        let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let request = CreateSubscription {
            url: "https://hooks.example.com/".into(),
            events: strings(events),
            sources: Some(strings(sources)),
            carriers: Some(strings(carriers)),
            ..Default::default()
        };
        create(request, "sub_1".into(), Secret::new("whsec_x"), Utc::now())
    }

    fn facts<'a>(
        event_type: EventType,
        source_id: &'a str,
        carrier: Option<&'a str>,
    ) -> EventFacts<'a> {
        EventFacts {
            event_type,
            source_id,
            carrier,
        }
    }

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(parse_pattern("*"), Ok(Pattern::Any));
        assert_eq!(
            parse_pattern("tracking.*"),
            Ok(Pattern::Prefix("tracking".into()))
        );
        assert_eq!(
            parse_pattern("provider.*"),
            Ok(Pattern::Prefix("provider".into()))
        );
        assert_eq!(
            parse_pattern("order.shipped"),
            Ok(Pattern::Exact(EventType::OrderShipped))
        );
        assert_eq!(parse_pattern("ping"), Ok(Pattern::Exact(EventType::Ping)));
    }

    #[test]
    fn every_vocabulary_type_parses_as_exact() {
        for t in EventType::ALL {
            assert_eq!(parse_pattern(t.as_str()), Ok(Pattern::Exact(*t)));
        }
    }

    #[test]
    fn rejects_bad_syntax_with_the_syntax_in_the_message() {
        for bad in [
            "",
            "tracking.",
            "*.updated",
            "tracking.**",
            "Tracking.Updated",
            ".*",
            "**",
            "tracking..updated",
            " tracking.updated",
            "tracking.*.x",
            "tracking*",
        ] {
            let err = parse_pattern(bad).unwrap_err();
            assert!(err.contains("`tracking.*`"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn rejects_unknown_exact_types() {
        let err = parse_pattern("tracking.teleported").unwrap_err();
        assert!(err.starts_with("unknown event type"), "{err}");
        assert!(err.contains("tracking.updated"), "{err}");
        assert!(parse_pattern("tracking").is_err());
    }

    #[test]
    fn rejects_unknown_prefixes() {
        for bad in ["parcel.*", "ping.*", "tracking.updated.*", "track.*"] {
            let err = parse_pattern(bad).unwrap_err();
            assert!(err.starts_with("no event type starts with"), "{bad}: {err}");
            assert!(err.contains("tracking, label, shipment"), "{err}");
        }
    }

    #[test]
    fn prefix_covers_its_family_only() {
        let tracking = Pattern::Prefix("tracking".into());
        assert!(tracking.matches(EventType::TrackingUpdated));
        assert!(tracking.matches(EventType::TrackingDelivered));
        assert!(!tracking.matches(EventType::ShipmentDelivered));
        assert!(!Pattern::Prefix("track".into()).matches(EventType::TrackingUpdated));
        assert!(Pattern::Any.matches(EventType::Ping));
        assert!(Pattern::Exact(EventType::Ping).matches(EventType::Ping));
        assert!(!Pattern::Exact(EventType::Ping).matches(EventType::OrderShipped));
    }

    #[test]
    fn stored_text_matching_agrees_with_parsed_patterns() {
        for text in [
            "*",
            "tracking.*",
            "shipment.*",
            "provider.*",
            "order.shipped",
            "ping",
        ] {
            let pattern = parse_pattern(text).unwrap();
            for t in EventType::ALL {
                assert_eq!(
                    pattern_text_matches(text, *t),
                    pattern.matches(*t),
                    "{text} {t}"
                );
            }
        }
        assert!(!pattern_text_matches(
            "trackingx.*",
            EventType::TrackingUpdated
        ));
        assert!(!pattern_text_matches(
            "tracking.**",
            EventType::TrackingUpdated
        ));
    }

    #[test]
    fn matches_on_event_type() {
        let s = sub(&["tracking.*", "order.shipped"], &[], &[]);
        assert!(matches(
            &s,
            &facts(EventType::TrackingException, "any", None)
        ));
        assert!(matches(&s, &facts(EventType::OrderShipped, "any", None)));
        assert!(!matches(&s, &facts(EventType::OrderCancelled, "any", None)));
        assert!(matches(
            &sub(&["*"], &[], &[]),
            &facts(EventType::Ping, "any", None)
        ));
    }

    #[test]
    fn disabled_subscriptions_match_nothing() {
        let mut s = sub(&["*"], &[], &[]);
        s.enabled = false;
        assert!(!matches(&s, &facts(EventType::Ping, "any", None)));
    }

    #[test]
    fn matches_on_source() {
        let s = sub(&["*"], &["flexport", "flexops"], &[]);
        assert!(matches(&s, &facts(EventType::Ping, "flexops", None)));
        assert!(!matches(&s, &facts(EventType::Ping, "generic_acme", None)));
        assert!(!matches(&s, &facts(EventType::Ping, "flex", None)));
    }

    #[test]
    fn matches_on_carrier() {
        let s = sub(&["*"], &[], &["usps", "ups"]);
        assert!(matches(
            &s,
            &facts(EventType::TrackingUpdated, "x", Some("ups"))
        ));
        assert!(!matches(
            &s,
            &facts(EventType::TrackingUpdated, "x", Some("fedex"))
        ));
        assert!(
            !matches(&s, &facts(EventType::TrackingUpdated, "x", None)),
            "no carrier, filter set"
        );
        let any = sub(&["*"], &[], &[]);
        assert!(matches(&any, &facts(EventType::TrackingUpdated, "x", None)));
    }

    #[test]
    fn all_filters_must_pass_together() {
        let s = sub(&["tracking.delivered"], &["flexops"], &["usps"]);
        let hit = facts(EventType::TrackingDelivered, "flexops", Some("usps"));
        assert!(matches(&s, &hit));
        assert!(!matches(
            &s,
            &EventFacts {
                event_type: EventType::TrackingUpdated,
                ..hit
            }
        ));
        assert!(!matches(
            &s,
            &EventFacts {
                source_id: "flexport",
                ..hit
            }
        ));
        assert!(!matches(
            &s,
            &EventFacts {
                carrier: Some("ups"),
                ..hit
            }
        ));
    }

    #[test]
    fn facts_come_from_the_event() {
        let at = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        let provider = ProviderInfo {
            name: "flexops".into(),
            event_id: None,
            event_type: "tracking".into(),
            status: None,
            received_at: at,
        };
        let mut data = EventData::new(Kind::Tracking, provider, serde_json::json!({}));
        data.carrier = Some("usps".into());
        let event = Event::draft("flexops_main", EventType::TrackingUpdated, None, at, data);
        let head = EventHead::from(&event);
        let f = EventFacts::of(&head);
        assert_eq!(
            f,
            facts(EventType::TrackingUpdated, "flexops_main", Some("usps"))
        );
    }
}
