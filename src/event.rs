//! The normalised event: a CloudEvents 1.0 envelope (structured JSON mode) and the vocabularies
//! shiprelay maps every provider onto.
//!
//! Subscribers see exactly this JSON, so any CloudEvents SDK can read it. Field names and enum
//! spellings are a public contract: change them only with a new `specversion`-compatible addition.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// CloudEvents `specversion` we emit.
pub const SPEC_VERSION: &str = "1.0";

/// One normalised event, as stored in `{prefix}:events` and delivered to subscribers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Event {
    pub specversion: String,
    /// shiprelay's id (`evt_` + ULID): stable across retries and replays.
    pub id: String,
    /// `shiprelay/<source id>`.
    pub source: String,
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// What the event is about, e.g. `usps:9400111899223456789012` or `flexport:shipment:2983`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// When it happened per the provider; the time shiprelay received it when the provider says nothing.
    pub time: DateTime<Utc>,
    pub datacontenttype: String,
    /// The W3C trace context the event travels in (CloudEvents distributed-tracing extension):
    /// the provider's, or the one shiprelay's ingest span started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracestate: Option<String>,
    pub data: EventData,
}

/// The `data` member of every event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventData {
    pub kind: Kind,
    /// Normalised parcel tracking status, where the event carries one.
    pub status: Option<TrackingStatus>,
    /// Freight milestone (a separate dimension from the parcel status), e.g. `departed` for Flexport's
    /// `/shipment_leg#departed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub milestone: Option<String>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub shipment_id: Option<String>,
    pub order_id: Option<String>,
    pub location: Option<Location>,
    pub estimated_delivery: Option<DateTime<Utc>>,
    pub description: Option<String>,
    pub provider: ProviderInfo,
    /// The provider's payload, unchanged.
    pub raw: serde_json::Value,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Location {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// What the provider said, verbatim, beside our normalised values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProviderInfo {
    /// Provider kind, e.g. `flexops`, `flexport_v2`.
    pub name: String,
    pub event_id: Option<String>,
    pub event_type: String,
    pub status: Option<String>,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Tracking,
    Shipment,
    Order,
    Other,
}

/// Our parcel tracking status vocabulary (providers.md section 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrackingStatus {
    PreTransit,
    Accepted,
    InTransit,
    OutForDelivery,
    AvailableForPickup,
    FailedAttempt,
    Delivered,
    Returned,
    Exception,
    Cancelled,
    Unknown,
}

macro_rules! event_types {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// The event type vocabulary. `ProviderUnmapped` is a valid provider event we have no mapping for:
        /// it is still stored and delivered, with `raw`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum EventType {
            $(#[serde(rename = $name)] $variant,)*
        }

        impl EventType {
            pub const ALL: &'static [EventType] = &[$(EventType::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(EventType::$variant => $name,)* }
            }

            /// The type named `name` in our vocabulary, if there is one.
            pub fn parse(name: &str) -> Option<EventType> {
                match name { $($name => Some(EventType::$variant),)* _ => None }
            }
        }
    };
}

event_types! {
    TrackingUpdated => "tracking.updated",
    TrackingDelivered => "tracking.delivered",
    TrackingException => "tracking.exception",
    LabelCreated => "label.created",
    LabelCancelled => "label.cancelled",
    ShipmentCreated => "shipment.created",
    ShipmentBooked => "shipment.booked",
    ShipmentDeparted => "shipment.departed",
    ShipmentArrived => "shipment.arrived",
    ShipmentDelivered => "shipment.delivered",
    ShipmentDelayed => "shipment.delayed",
    ShipmentCustoms => "shipment.customs",
    ShipmentUpdated => "shipment.updated",
    OrderShipped => "order.shipped",
    OrderCancelled => "order.cancelled",
    InboundReceived => "inbound.received",
    InventoryAdjusted => "inventory.adjusted",
    ReturnUpdated => "return.updated",
    InvoiceUpdated => "invoice.updated",
    Ping => "ping",
    ProviderUnmapped => "provider.unmapped",
}

// Written by hand: the derive does not see serde renames generated inside `event_types!`.
impl utoipa::PartialSchema for EventType {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(EventType::ALL.iter().map(|t| t.as_str())))
            .description(Some("shiprelay's event type vocabulary"))
            .into()
    }
}

impl utoipa::ToSchema for EventType {}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl EventData {
    /// Data with only the provider facts and the raw payload filled in; normalisers set the rest.
    pub fn new(kind: Kind, provider: ProviderInfo, raw: serde_json::Value) -> EventData {
        EventData {
            kind,
            status: None,
            milestone: None,
            carrier: None,
            tracking_number: None,
            shipment_id: None,
            order_id: None,
            location: None,
            estimated_delivery: None,
            description: None,
            provider,
            raw,
        }
    }
}

impl Event {
    /// An event without its shiprelay id: normalisers build these, and `providers::normalize`
    /// assigns the id, so that id generation (time and randomness) stays in one place.
    pub fn draft(
        source_id: &str,
        event_type: EventType,
        subject: Option<String>,
        time: DateTime<Utc>,
        data: EventData,
    ) -> Event {
        Event {
            specversion: SPEC_VERSION.to_string(),
            id: String::new(),
            source: format!("shiprelay/{source_id}"),
            event_type,
            subject,
            time,
            datacontenttype: "application/json".to_string(),
            traceparent: None,
            tracestate: None,
            data,
        }
    }
}

/// The parts of a stored event that routing and delivery jobs need. Reading just these skips
/// building the payload (`data.raw`), which made up most of the router's time.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EventHead {
    pub id: String,
    pub source: String,
    #[serde(rename = "type")]
    pub event_type: EventType,
    #[serde(default)]
    pub subject: Option<String>,
    pub time: DateTime<Utc>,
    pub data: EventHeadData,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EventHeadData {
    #[serde(default)]
    pub carrier: Option<String>,
    pub provider: EventHeadProvider,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EventHeadProvider {
    pub received_at: DateTime<Utc>,
}

impl From<&Event> for EventHead {
    fn from(event: &Event) -> EventHead {
        EventHead {
            id: event.id.clone(),
            source: event.source.clone(),
            event_type: event.event_type,
            subject: event.subject.clone(),
            time: event.time,
            data: EventHeadData {
                carrier: event.data.carrier.clone(),
                provider: EventHeadProvider {
                    received_at: event.data.provider.received_at,
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_type_round_trips_through_its_name() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(*t));
            let json = serde_json::to_string(t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.as_str()));
        }
        assert_eq!(EventType::parse("tracking.nope"), None);
    }

    #[test]
    fn the_openapi_schema_lists_the_wire_names() {
        let schema = serde_json::to_value(<EventType as utoipa::PartialSchema>::schema()).unwrap();
        let names: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(schema["enum"], serde_json::json!(names));
    }

    #[test]
    fn statuses_serialise_in_snake_case() {
        let json = serde_json::to_string(&TrackingStatus::OutForDelivery).unwrap();
        assert_eq!(json, "\"out_for_delivery\"");
    }

    /// Found by `tests/properties.rs`: without serde_json's `float_roundtrip` feature a number in
    /// the provider's payload could come back one ULP off after the stored event was read again.
    #[test]
    fn payload_floats_survive_a_json_round_trip() {
        for text in [
            "2.904941659113441e-244",
            "0.1",
            "1.7976931348623157e308",
            "5e-324",
        ] {
            let raw: serde_json::Value = serde_json::from_str(text).unwrap();
            let printed = serde_json::to_string(&raw).unwrap();
            let again: serde_json::Value = serde_json::from_str(&printed).unwrap();
            assert_eq!(again, raw, "{text} -> {printed}");
            assert_eq!(raw.as_f64(), text.parse::<f64>().ok(), "{text}");
        }
    }

    #[test]
    fn the_head_read_from_a_stored_event_is_the_events_own() {
        let at: DateTime<Utc> = "2026-03-10T14:30:00Z".parse().unwrap();
        let provider = ProviderInfo {
            name: "flexops".into(),
            event_id: Some("e1".into()),
            event_type: "tracking.updated".into(),
            status: None,
            received_at: at + chrono::Duration::seconds(3),
        };
        let raw =
            serde_json::json!({"id": "e1", "deep": {"carrier": "not this one", "x": [1, 2.5]}});
        let mut data = EventData::new(Kind::Tracking, provider, raw);
        data.carrier = Some("usps".into());
        let mut event = Event::draft(
            "flexops_main",
            EventType::TrackingUpdated,
            Some("usps:9400".into()),
            at,
            data,
        );
        event.id = "evt_01TEST".into();
        let stored = serde_json::to_string(&event).unwrap();
        let head: EventHead = serde_json::from_str(&stored).unwrap();
        assert_eq!(head, EventHead::from(&event));
        assert_eq!(head.source, "shiprelay/flexops_main");
        assert_eq!(head.data.carrier.as_deref(), Some("usps"));
        assert_eq!(
            head.data.provider.received_at,
            at + chrono::Duration::seconds(3)
        );
    }
}
