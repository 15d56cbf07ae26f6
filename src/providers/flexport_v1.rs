//! Normaliser for Flexport API v1 webhooks (`flexport_v1`, providers.md section 1).
//!
//! v1 posts `{"type", "created_at", "data"}`: `ping` tests the endpoint, `shipment_event.<event_type>`
//! carries the full v1 Shipment object and an optional message. v1 has no event id, so the dispatcher
//! deduplicates on a hash of the body. The `<event_type>` list is documented only as "a
//! non-exhaustive sampling", so unlisted suffixes become `shipment.updated` rather than being lost,
//! and an unknown top-level `type` becomes `provider.unmapped`.

use serde_json::Value;

use super::common::{self, location, text, time};
use super::{Context, NormalizeError, Parsed};
use crate::event::{Event, EventData, EventType, Kind, Location, ProviderInfo};

const PROVIDER: &str = "flexport_v1";
const SHIPMENT_EVENT_PREFIX: &str = "shipment_event.";

pub fn normalize(raw: &Value, cx: Context<'_>) -> Result<Parsed, NormalizeError> {
    let envelope = Envelope::read(raw)?;
    let event = match envelope.event_type.strip_prefix(SHIPMENT_EVENT_PREFIX) {
        Some(suffix) => shipment_event(&envelope, suffix, raw, cx)?,
        None if envelope.event_type == "ping" => plain_event(&envelope, EventType::Ping, raw, cx),
        None => plain_event(&envelope, EventType::ProviderUnmapped, raw, cx),
    };
    Ok(Parsed {
        provider_event_id: None,
        events: vec![event],
    })
}

/// The parts of the v1 envelope every event type shares.
struct Envelope<'a> {
    event_type: &'a str,
    /// `data`, or `Value::Null` when absent: v1 pings send `{}`, but nothing needs it to exist.
    data: &'a Value,
    created_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl<'a> Envelope<'a> {
    fn read(raw: &'a Value) -> Result<Envelope<'a>, NormalizeError> {
        if !raw.is_object() {
            return Err(shape("the body is not a JSON object"));
        }
        let (event_type, data) = common::type_and_data(raw, PROVIDER)?;
        Ok(Envelope {
            event_type,
            data,
            created_at: time(raw, "created_at"),
        })
    }

    fn provider(&self, status: Option<String>, cx: Context<'_>) -> ProviderInfo {
        ProviderInfo {
            name: PROVIDER.to_string(),
            event_id: None,
            event_type: self.event_type.to_string(),
            status,
            received_at: cx.received_at,
        }
    }
}

/// A ping, or a type we know nothing about: no subject, only the provider facts and `raw`.
fn plain_event(
    envelope: &Envelope<'_>,
    event_type: EventType,
    raw: &Value,
    cx: Context<'_>,
) -> Event {
    let data = EventData::new(Kind::Other, envelope.provider(None, cx), raw.clone());
    let when = envelope.created_at.unwrap_or(cx.received_at);
    Event::draft(cx.source_id, event_type, None, when, data)
}

fn shipment_event(
    envelope: &Envelope<'_>,
    suffix: &str,
    raw: &Value,
    cx: Context<'_>,
) -> Result<Event, NormalizeError> {
    let shipment = match envelope.data.get("shipment") {
        None | Some(Value::Null) => &Value::Null,
        Some(s) if s.is_object() => s,
        Some(_) => return Err(shape("`data.shipment` is not an object")),
    };
    let event_type = shipment_type(suffix);
    let shipment_id = text(shipment, "id");
    let mut data = EventData::new(
        Kind::Shipment,
        envelope.provider(text(shipment, "status"), cx),
        raw.clone(),
    );
    data.milestone = (!suffix.is_empty()).then(|| suffix.to_string());
    data.shipment_id = shipment_id.clone();
    data.description = text(envelope.data, "message");
    data.location = port_location(event_type, shipment);
    let subject = shipment_id.map(|id| format!("flexport:shipment:{id}"));
    let when = envelope.created_at.unwrap_or(cx.received_at);
    Ok(Event::draft(cx.source_id, event_type, subject, when, data))
}

/// Our type for a `shipment_event.<suffix>`. Spellings vary across Flexport's samples (`departure`,
/// `departed`), so each milestone accepts its plausible forms.
fn shipment_type(suffix: &str) -> EventType {
    match suffix {
        "" => EventType::ProviderUnmapped,
        "created" | "shipment_created" => EventType::ShipmentCreated,
        "booking" | "booked" | "booking_confirmed" => EventType::ShipmentBooked,
        "departure" | "departed" | "actual_departure" => EventType::ShipmentDeparted,
        "arrival" | "arrived" | "actual_arrival" => EventType::ShipmentArrived,
        "delivery" | "delivered" => EventType::ShipmentDelivered,
        s if s.starts_with("customs") => EventType::ShipmentCustoms,
        _ => EventType::ShipmentUpdated,
    }
}

/// The port the milestone happened at, as {name, country}; other milestones name no single place.
fn port_location(event_type: EventType, shipment: &Value) -> Option<Location> {
    let port = match event_type {
        EventType::ShipmentDeparted => "departure_port",
        EventType::ShipmentArrived => "arrival_port",
        _ => return None,
    };
    location(shipment.get(port)?)
}

fn shape(reason: &str) -> NormalizeError {
    common::shape(PROVIDER, reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use serde_json::json;

    const PING: &str = include_str!("../../tests/fixtures/flexport_v1/ping.json");
    const DEPARTED: &str = include_str!("../../tests/fixtures/flexport_v1/shipment_departed.json");
    const ARRIVED: &str = include_str!("../../tests/fixtures/flexport_v1/shipment_arrived.json");
    const OTHER: &str = include_str!("../../tests/fixtures/flexport_v1/shipment_other.json");

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn cx() -> Context<'static> {
        Context {
            source_id: "flexport-legacy",
            received_at: at("2026-03-10T14:30:00Z"),
        }
    }

    fn parse(body: &str) -> Value {
        serde_json::from_str(body).unwrap()
    }

    fn provider(event_type: &str, status: Option<&str>) -> ProviderInfo {
        ProviderInfo {
            name: "flexport_v1".into(),
            event_id: None,
            event_type: event_type.into(),
            status: status.map(String::from),
            received_at: cx().received_at,
        }
    }

    fn only_event(raw: &Value) -> Event {
        let parsed = normalize(raw, cx()).unwrap();
        assert_eq!(parsed.provider_event_id, None, "v1 has no event id");
        assert_eq!(parsed.events.len(), 1);
        parsed.events.into_iter().next().unwrap()
    }

    fn shape_error(raw: Value) -> String {
        match normalize(&raw, cx()) {
            Err(NormalizeError::UnexpectedShape { provider, reason }) => {
                assert_eq!(provider, "flexport_v1");
                reason
            }
            other => panic!("expected UnexpectedShape, got {other:?}"),
        }
    }

    #[test]
    fn a_ping_is_a_ping_without_subject() {
        let raw = parse(PING);
        let data = EventData::new(Kind::Other, provider("ping", None), raw.clone());
        let expected = Event::draft(
            "flexport-legacy",
            EventType::Ping,
            None,
            at("2016-02-18T00:54:47.529Z"),
            data,
        );
        assert_eq!(only_event(&raw), expected);
    }

    #[test]
    fn a_departure_is_shipment_departed_at_the_departure_port() {
        let raw = parse(DEPARTED);
        let mut data = EventData::new(
            Kind::Shipment,
            provider(
                "shipment_event.departure",
                Some("In Transit to Arrival Port"),
            ),
            raw.clone(),
        );
        data.milestone = Some("departure".into());
        data.shipment_id = Some("12345".into());
        data.description =
            Some("Cargo departed Hong Kong International Airport on flight CX 096".into());
        data.location = Some(Location {
            name: Some("Hong Kong International Airport, Chek Lap Kok, Hong Kong".into()),
            country: Some("HK".into()),
            ..Location::default()
        });
        let expected = Event::draft(
            "flexport-legacy",
            EventType::ShipmentDeparted,
            Some("flexport:shipment:12345".into()),
            at("2015-07-23T08:12:04.117Z"),
            data,
        );
        let event = only_event(&raw);
        assert_eq!(event, expected);
        assert_eq!(
            event.data.status, None,
            "freight milestones are not parcel statuses"
        );
        assert_eq!(event.data.raw, raw);
    }

    #[test]
    fn an_arrival_is_shipment_arrived_at_the_arrival_port() {
        let raw = parse(ARRIVED);
        let mut data = EventData::new(
            Kind::Shipment,
            provider("shipment_event.arrival", Some("Arrival Port")),
            raw.clone(),
        );
        data.milestone = Some("arrival".into());
        data.shipment_id = Some("12345".into());
        data.description =
            Some("Arrived at Cincinnati/Northern Kentucky International Airport".into());
        data.location = Some(Location {
            name: Some(
                "Cincinnati/Northern Kentucky International Airport, Hebron, Kentucky (near Cincinnati), United States"
                    .into(),
            ),
            country: Some("US".into()),
            ..Location::default()
        });
        let expected = Event::draft(
            "flexport-legacy",
            EventType::ShipmentArrived,
            Some("flexport:shipment:12345".into()),
            at("2015-07-25T14:40:00Z"),
            data,
        );
        assert_eq!(only_event(&raw), expected);
    }

    #[test]
    fn an_unlisted_shipment_event_is_shipment_updated_without_location() {
        let raw = parse(OTHER);
        let mut data = EventData::new(
            Kind::Shipment,
            provider("shipment_event.cargo_ready", Some("Seller's Location")),
            raw.clone(),
        );
        data.milestone = Some("cargo_ready".into());
        data.shipment_id = Some("12346".into());
        let expected = Event::draft(
            "flexport-legacy",
            EventType::ShipmentUpdated,
            Some("flexport:shipment:12346".into()),
            at("2015-07-22T02:00:00Z"),
            data,
        );
        assert_eq!(only_event(&raw), expected);
    }

    #[test]
    fn maps_every_known_suffix() {
        let cases = [
            ("created", EventType::ShipmentCreated),
            ("shipment_created", EventType::ShipmentCreated),
            ("booking", EventType::ShipmentBooked),
            ("booked", EventType::ShipmentBooked),
            ("booking_confirmed", EventType::ShipmentBooked),
            ("departure", EventType::ShipmentDeparted),
            ("departed", EventType::ShipmentDeparted),
            ("actual_departure", EventType::ShipmentDeparted),
            ("arrival", EventType::ShipmentArrived),
            ("arrived", EventType::ShipmentArrived),
            ("actual_arrival", EventType::ShipmentArrived),
            ("delivery", EventType::ShipmentDelivered),
            ("delivered", EventType::ShipmentDelivered),
            ("customs", EventType::ShipmentCustoms),
            ("customs_cleared", EventType::ShipmentCustoms),
            ("customs_hold", EventType::ShipmentCustoms),
            ("cargo_ready", EventType::ShipmentUpdated),
            ("estimated_arrival", EventType::ShipmentUpdated),
            ("", EventType::ProviderUnmapped),
        ];
        for (suffix, expected) in cases {
            let raw = json!({"type": format!("shipment_event.{suffix}"), "data": {"shipment": {"id": 1}}});
            assert_eq!(only_event(&raw).event_type, expected, "suffix {suffix:?}");
        }
    }

    #[test]
    fn an_unknown_top_level_type_is_unmapped_not_rejected() {
        let raw = json!({"type": "invoice_event.paid", "created_at": "2016-02-18T00:54:47Z", "data": {"invoice": {"id": 9}}});
        let data = EventData::new(
            Kind::Other,
            provider("invoice_event.paid", None),
            raw.clone(),
        );
        let expected = Event::draft(
            "flexport-legacy",
            EventType::ProviderUnmapped,
            None,
            at("2016-02-18T00:54:47Z"),
            data,
        );
        assert_eq!(only_event(&raw), expected);
    }

    #[test]
    fn missing_optional_fields_still_normalise() {
        let raw = json!({"type": "shipment_event.arrival"});
        let event = only_event(&raw);
        assert_eq!(event.event_type, EventType::ShipmentArrived);
        assert_eq!(event.subject, None);
        assert_eq!(
            event.time,
            cx().received_at,
            "no created_at: the receive time"
        );
        assert_eq!(event.data.kind, Kind::Shipment);
        assert_eq!(event.data.shipment_id, None);
        assert_eq!(event.data.location, None);
        assert_eq!(event.data.description, None);
        assert_eq!(event.data.provider.status, None);
        assert_eq!(event.data.milestone.as_deref(), Some("arrival"));

        let raw = json!({"type": "shipment_event.departure", "created_at": "yesterday",
                         "data": {"shipment": {"id": "12345", "departure_port": null}, "message": null}});
        let event = only_event(&raw);
        assert_eq!(event.subject.as_deref(), Some("flexport:shipment:12345"));
        assert_eq!(
            event.time,
            cx().received_at,
            "an unreadable created_at: the receive time"
        );
        assert_eq!(event.data.location, None);
        assert_eq!(event.data.description, None);
    }

    #[test]
    fn bad_envelopes_are_unexpected_shapes() {
        assert!(shape_error(json!([1, 2])).contains("object"));
        assert!(shape_error(json!("ping")).contains("object"));
        assert!(shape_error(json!({"data": {}})).contains("`type` is missing"));
        assert!(shape_error(json!({"type": 7})).contains("`type`"));
        assert!(shape_error(json!({"type": " "})).contains("`type`"));
        assert!(shape_error(json!({"type": "ping", "data": [1]})).contains("`data`"));
        let reason =
            shape_error(json!({"type": "shipment_event.arrival", "data": {"shipment": 12345}}));
        assert!(reason.contains("`data.shipment`"));
    }
}
