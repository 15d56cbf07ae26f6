//! Normaliser for generic sources: any sender that signs its webhooks with a scheme we verify, whose
//! payload shape the operator describes with JSON pointers (RFC 6901) in [`GenericFields`].
//!
//! Nothing about the payload is assumed beyond those pointers. A type is ours only when the sender
//! already speaks our vocabulary; anything else is `provider.unmapped`, delivered with `raw`. The
//! one hard failure is a configured id pointer that finds nothing: deduplication would silently
//! fall back to the body hash, so the payload is quarantined instead.

use serde_json::Value;

use super::common::{as_text, as_time};
use super::{Context, GenericFields, NormalizeError, Parsed};
use crate::event::{Event, EventData, EventType, Kind, ProviderInfo};

const PROVIDER: &str = "generic";

pub fn normalize(
    raw: &Value,
    cx: Context<'_>,
    fields: &GenericFields,
) -> Result<Parsed, NormalizeError> {
    let provider_event_id = event_id(raw, fields)?;
    let type_text = text_at(raw, fields.type_pointer.as_deref());
    let event_type = type_text
        .as_deref()
        .and_then(EventType::parse)
        .unwrap_or(EventType::ProviderUnmapped);
    let provider = ProviderInfo {
        name: PROVIDER.to_string(),
        event_id: provider_event_id.clone(),
        event_type: type_text.unwrap_or_else(|| "unknown".to_string()),
        status: None,
        received_at: cx.received_at,
    };
    let data = EventData::new(kind_of(event_type), provider, raw.clone());
    let subject = text_at(raw, fields.subject_pointer.as_deref());
    let when = fields
        .time_pointer
        .as_deref()
        .and_then(|p| raw.pointer(p))
        .and_then(as_time)
        .unwrap_or(cx.received_at);
    let event = Event::draft(cx.source_id, event_type, subject, when, data);
    Ok(Parsed {
        provider_event_id,
        events: vec![event],
    })
}

/// The event id when an id pointer is configured; its absence is an error, not a `None`.
fn event_id(raw: &Value, fields: &GenericFields) -> Result<Option<String>, NormalizeError> {
    let Some(pointer) = fields.id_pointer.as_deref() else {
        return Ok(None);
    };
    match text_at(raw, Some(pointer)) {
        Some(id) => Ok(Some(id)),
        None => Err(NormalizeError::UnexpectedShape {
            provider: PROVIDER,
            reason: format!("no event id (text or number) at the id pointer `{pointer}`"),
        }),
    }
}

fn text_at(raw: &Value, pointer: Option<&str>) -> Option<String> {
    as_text(raw.pointer(pointer?)?)
}

/// The kind follows the type's family, the part before the dot.
fn kind_of(event_type: EventType) -> Kind {
    let family = event_type.as_str().split('.').next().unwrap_or_default();
    match family {
        "tracking" | "label" => Kind::Tracking,
        "shipment" => Kind::Shipment,
        "order" => Kind::Order,
        _ => Kind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use serde_json::json;

    const KNOWN: &str = include_str!("../../tests/fixtures/generic/known_type.json");
    const UNKNOWN: &str = include_str!("../../tests/fixtures/generic/unknown_type.json");

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn cx() -> Context<'static> {
        Context {
            source_id: "acme-carrier",
            received_at: at("2026-03-11T09:00:00Z"),
        }
    }

    fn fields() -> GenericFields {
        GenericFields {
            id_pointer: Some("/event/id".into()),
            type_pointer: Some("/event/type".into()),
            subject_pointer: Some("/shipment/reference".into()),
            time_pointer: Some("/event/occurred_at".into()),
        }
    }

    fn provider(id: Option<&str>, event_type: &str) -> ProviderInfo {
        ProviderInfo {
            name: "generic".into(),
            event_id: id.map(String::from),
            event_type: event_type.into(),
            status: None,
            received_at: cx().received_at,
        }
    }

    fn only_event(raw: &Value, fields: &GenericFields, id: Option<&str>) -> Event {
        let parsed = normalize(raw, cx(), fields).unwrap();
        assert_eq!(parsed.provider_event_id.as_deref(), id);
        assert_eq!(parsed.events.len(), 1);
        parsed.events.into_iter().next().unwrap()
    }

    #[test]
    fn a_type_in_our_vocabulary_is_used_as_is() {
        let raw: Value = serde_json::from_str(KNOWN).unwrap();
        let id = "whk_01HZX4V7Q2M8R6N3TB5KD0JYCE";
        let data = EventData::new(
            Kind::Tracking,
            provider(Some(id), "tracking.delivered"),
            raw.clone(),
        );
        let expected = Event::draft(
            "acme-carrier",
            EventType::TrackingDelivered,
            Some("ups:1Z999AA10123456784".into()),
            at("2026-03-10T14:30:00Z"),
            data,
        );
        let event = only_event(&raw, &fields(), Some(id));
        assert_eq!(event, expected);
        assert_eq!(
            event.data.status, None,
            "generic sources carry no status mapping"
        );
        assert_eq!(event.data.raw, raw);
    }

    #[test]
    fn a_type_outside_our_vocabulary_is_unmapped_with_its_facts() {
        let raw: Value = serde_json::from_str(UNKNOWN).unwrap();
        let data = EventData::new(
            Kind::Other,
            provider(Some("918273"), "parcel.scanned_at_hub"),
            raw.clone(),
        );
        let expected = Event::draft(
            "acme-carrier",
            EventType::ProviderUnmapped,
            Some("dhl:1234567890".into()),
            at("2026-03-10T14:30:00Z"),
            data,
        );
        assert_eq!(only_event(&raw, &fields(), Some("918273")), expected);
    }

    #[test]
    fn the_kind_follows_the_type_family() {
        let cases = [
            ("tracking.updated", Kind::Tracking),
            ("tracking.exception", Kind::Tracking),
            ("label.created", Kind::Tracking),
            ("label.cancelled", Kind::Tracking),
            ("shipment.departed", Kind::Shipment),
            ("order.shipped", Kind::Order),
            ("order.cancelled", Kind::Order),
            ("inbound.received", Kind::Other),
            ("invoice.updated", Kind::Other),
            ("ping", Kind::Other),
        ];
        for (type_name, kind) in cases {
            let raw = json!({"event": {"id": 1, "type": type_name}});
            let event = only_event(&raw, &fields(), Some("1"));
            assert_eq!(event.event_type.as_str(), type_name);
            assert_eq!(event.data.kind, kind, "{type_name}");
        }
    }

    #[test]
    fn without_a_type_pointer_or_type_the_event_is_unmapped() {
        let raw: Value = serde_json::from_str(KNOWN).unwrap();
        let no_type = GenericFields {
            type_pointer: None,
            ..fields()
        };
        let event = only_event(&raw, &no_type, Some("whk_01HZX4V7Q2M8R6N3TB5KD0JYCE"));
        assert_eq!(event.event_type, EventType::ProviderUnmapped);
        assert_eq!(event.data.kind, Kind::Other);
        assert_eq!(event.data.provider.event_type, "unknown");

        for type_value in [json!(null), json!({"name": "tracking.updated"}), json!("")] {
            let raw = json!({"event": {"id": 1, "type": type_value}});
            let event = only_event(&raw, &fields(), Some("1"));
            assert_eq!(event.event_type, EventType::ProviderUnmapped);
            assert_eq!(event.data.provider.event_type, "unknown");
        }
    }

    #[test]
    fn only_configured_pointers_are_read() {
        let raw: Value = serde_json::from_str(KNOWN).unwrap();
        let only_type = GenericFields {
            type_pointer: Some("/event/type".into()),
            ..GenericFields::default()
        };
        let event = only_event(&raw, &only_type, None);
        assert_eq!(event.event_type, EventType::TrackingDelivered);
        assert_eq!(event.subject, None);
        assert_eq!(event.time, cx().received_at);
        assert_eq!(event.data.provider.event_id, None);
    }

    #[test]
    fn missing_optional_values_fall_back() {
        let raw = json!({"event": {"id": "e1", "type": "order.shipped", "occurred_at": "soon"}});
        let event = only_event(&raw, &fields(), Some("e1"));
        assert_eq!(event.subject, None, "subject pointer finds nothing");
        assert_eq!(
            event.time,
            cx().received_at,
            "unreadable time: the receive time"
        );
        let raw =
            json!({"event": {"id": "e1", "type": "order.shipped"}, "shipment": {"reference": 42}});
        let event = only_event(&raw, &fields(), Some("e1"));
        assert_eq!(event.subject.as_deref(), Some("42"));
    }

    #[test]
    fn a_configured_id_pointer_that_finds_nothing_is_an_error() {
        for raw in [
            json!({"event": {"type": "tracking.updated"}}),
            json!({"event": {"id": null, "type": "tracking.updated"}}),
            json!({"event": {"id": {"value": 1}}}),
            json!([1, 2, 3]),
            json!("tracking.updated"),
        ] {
            match normalize(&raw, cx(), &fields()) {
                Err(NormalizeError::UnexpectedShape { provider, reason }) => {
                    assert_eq!(provider, "generic");
                    assert!(reason.contains("`/event/id`"), "{reason}");
                }
                other => panic!("{raw}: expected UnexpectedShape, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_malformed_pointer_reads_nothing_and_never_panics() {
        let raw: Value = serde_json::from_str(KNOWN).unwrap();
        let odd = GenericFields {
            id_pointer: None,
            type_pointer: Some("event/type".into()),
            subject_pointer: Some("/shipment/reference/0/~2".into()),
            time_pointer: Some("".into()),
        };
        let event = only_event(&raw, &odd, None);
        assert_eq!(event.event_type, EventType::ProviderUnmapped);
        assert_eq!(event.subject, None);
        assert_eq!(event.time, cx().received_at);
    }
}
