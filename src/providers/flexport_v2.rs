//! Normaliser for Flexport API v2+ webhooks (`flexport_v2`, providers.md section 2).
//!
//! Every payload is an Event object whose `type` names a milestone as `/<resource>#<action>`.
//! Flexport has about 80 of them and adds more without a version change, so the mapping is a
//! `match` table that falls through to `provider.unmapped`: an unknown type is delivered with its
//! facts and `raw`, never rejected. Only a body that is not an Event object at all is an error.
//!
//! Shipment milestones are a freight dimension (`data.milestone` = the action), never forced into
//! the parcel status enum. `shipment.delayed` collects every delay and exception Flexport reports,
//! except customs holds and exams, which stay `shipment.customs`.

use serde_json::Value;

use super::common::{self, as_text, location, text, time};
use super::{Context, NormalizeError, Parsed};
use crate::event::{Event, EventData, EventType, Kind, Location, ProviderInfo};

const PROVIDER: &str = "flexport_v2";

pub fn normalize(raw: &Value, cx: Context<'_>) -> Result<Parsed, NormalizeError> {
    let envelope = Envelope::read(raw)?;
    let milestone = Milestone::parse(envelope.event_type);
    let event = match milestone.family {
        Family::Shipment => shipment_event(&envelope, &milestone, raw, cx),
        Family::Invoice => invoice_event(&envelope, raw, cx),
        Family::Unknown => unknown_event(&envelope, raw, cx),
    };
    Ok(Parsed {
        provider_event_id: envelope.id,
        events: vec![event],
    })
}

/// The Event object's own members.
struct Envelope<'a> {
    event_type: &'a str,
    /// `data`, or `Value::Null` when absent (the minimal test-vector event has none).
    data: &'a Value,
    time: Option<chrono::DateTime<chrono::Utc>>,
    id: Option<String>,
}

impl<'a> Envelope<'a> {
    fn read(raw: &'a Value) -> Result<Envelope<'a>, NormalizeError> {
        if !raw.is_object() {
            return Err(shape("the body is not a JSON object"));
        }
        match raw.get("_object") {
            None | Some(Value::Null) => {}
            Some(Value::String(o)) if o == "/event" => {}
            Some(other) => return Err(shape(&format!("`_object` is {other}, not \"/event\""))),
        }
        let (event_type, data) = common::type_and_data(raw, PROVIDER)?;
        Ok(Envelope {
            event_type,
            data,
            time: time(raw, "occurred_at").or_else(|| time(raw, "created_at")),
            id: text(raw, "id"),
        })
    }

    fn provider(&self, status: Option<String>, cx: Context<'_>) -> ProviderInfo {
        ProviderInfo {
            name: PROVIDER.to_string(),
            event_id: self.id.clone(),
            event_type: self.event_type.to_string(),
            status,
            received_at: cx.received_at,
        }
    }

    fn draft(
        &self,
        cx: Context<'_>,
        event_type: EventType,
        subject: Option<String>,
        data: EventData,
    ) -> Event {
        let when = self.time.unwrap_or(cx.received_at);
        Event::draft(cx.source_id, event_type, subject, when, data)
    }
}

/// Which kind of resource a type is about; it decides the kind and subject of the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Shipment,
    Invoice,
    Unknown,
}

/// A `type` split into its parts, and our type for it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Milestone<'a> {
    family: Family,
    action: &'a str,
    event_type: EventType,
}

impl<'a> Milestone<'a> {
    fn parse(type_name: &'a str) -> Milestone<'a> {
        let Some((resource, action)) = split_type(type_name) else {
            return Milestone {
                family: Family::Unknown,
                action: "",
                event_type: EventType::ProviderUnmapped,
            };
        };
        let family = family(resource);
        let event_type = match family {
            Family::Shipment => shipment_type(resource, action),
            Family::Invoice => EventType::InvoiceUpdated,
            Family::Unknown => EventType::ProviderUnmapped,
        };
        Milestone {
            family,
            action,
            event_type,
        }
    }
}

/// `/<resource>#<action>` -> (resource, action); `None` for any other shape.
fn split_type(type_name: &str) -> Option<(&str, &str)> {
    let (resource, action) = type_name.strip_prefix('/')?.split_once('#')?;
    let valid = !resource.is_empty() && !action.is_empty() && !action.contains(['#', '/']);
    valid.then_some((resource, action))
}

/// Resources may carry a mode prefix (`/ocean/shipment_container_leg`): the last segment decides.
fn family(resource: &str) -> Family {
    let last = resource.rsplit('/').next().unwrap_or(resource);
    match last {
        "shipment" | "shipment_leg" | "shipment_container" | "shipment_container_leg" => {
            Family::Shipment
        }
        "invoice" => Family::Invoice,
        _ => Family::Unknown,
    }
}

/// Our type for a shipment milestone.
fn shipment_type(resource: &str, action: &str) -> EventType {
    match (resource, action) {
        ("shipment", "created") => EventType::ShipmentCreated,
        ("shipment", "booking_confirmed") => EventType::ShipmentBooked,
        (_, "departed" | "loaded_on_board") => EventType::ShipmentDeparted,
        (_, "arrived" | "unloaded_off_board") => EventType::ShipmentArrived,
        (_, "delivered" | "delivery_completed" | "delivered_in_full") => {
            EventType::ShipmentDelivered
        }
        // Checked before disruptions: a customs hold is a customs event first.
        (_, a) if a.starts_with("customs_") => EventType::ShipmentCustoms,
        (_, a) if is_disruption(a) => EventType::ShipmentDelayed,
        (_, a) if is_progress(a) => EventType::ShipmentUpdated,
        _ => EventType::ProviderUnmapped,
    }
}

/// Delays and exceptions: any action with `delay` or `exception` as a word (Flexport puts it
/// anywhere: `weather_delay`, `vessel_delay_port_congestion`), plus the named failures.
/// `returned_to_shipper` counts: the cargo will not arrive as booked, and subscribers watching for
/// trouble must see it (our vocabulary has no `shipment.returned`).
fn is_disruption(action: &str) -> bool {
    let has_word = action
        .split('_')
        .any(|word| matches!(word, "delay" | "delayed" | "exception"));
    let named = matches!(
        action,
        "missing_cargo" | "cargo_rolled_from_booked_vessel" | "returned_to_shipper"
    );
    has_word
        || named
        || action.ends_with("missed_appointment")
        || action.ends_with("no_attempt_made")
}

/// Transit, estimate and admin milestones that change nothing our types name more precisely.
fn is_progress(action: &str) -> bool {
    matches!(
        action,
        "out_for_delivery"
            | "loaded_on_truck"
            | "schedule_confirmed"
            | "cargo_ready_date_changed"
            | "available_for_pickup"
            | "free_time_expired"
            | "empty_returned"
    ) || action.starts_with("updated_estimated_")
}

fn shipment_event(
    envelope: &Envelope<'_>,
    milestone: &Milestone<'_>,
    raw: &Value,
    cx: Context<'_>,
) -> Event {
    let shipment = shipment_of(envelope.data);
    let mut data = EventData::new(
        Kind::Shipment,
        envelope.provider(text(shipment, "status"), cx),
        raw.clone(),
    );
    data.milestone = Some(milestone.action.to_string());
    data.shipment_id = text(shipment, "id");
    data.order_id = first_purchase_order(shipment);
    data.location = envelope.data.get("location").and_then(event_location);
    let subject = data
        .shipment_id
        .as_ref()
        .map(|id| format!("flexport:shipment:{id}"));
    envelope.draft(cx, milestone.event_type, subject, data)
}

fn invoice_event(envelope: &Envelope<'_>, raw: &Value, cx: Context<'_>) -> Event {
    let invoice = resource_of(envelope.data);
    let data = EventData::new(
        Kind::Other,
        envelope.provider(text(invoice, "status"), cx),
        raw.clone(),
    );
    let subject = text(invoice, "id").map(|id| format!("flexport:invoice:{id}"));
    envelope.draft(cx, EventType::InvoiceUpdated, subject, data)
}

/// A resource we do not know: only the provider facts and `raw`, for a mapping to come later.
fn unknown_event(envelope: &Envelope<'_>, raw: &Value, cx: Context<'_>) -> Event {
    let data = EventData::new(Kind::Other, envelope.provider(None, cx), raw.clone());
    envelope.draft(cx, EventType::ProviderUnmapped, None, data)
}

/// The shipment of a Shipment Event Data: `data.shipment`, or `data.resource` when the resource
/// is itself the shipment (as in some of Flexport's samples). `Null` when there is none.
fn shipment_of(data: &Value) -> &Value {
    if let Some(shipment) = data.get("shipment").filter(|s| s.is_object()) {
        return shipment;
    }
    let resource = resource_of(data);
    match resource.get("_object").and_then(Value::as_str) {
        Some("/shipments" | "/shipment") => resource,
        _ => &Value::Null,
    }
}

fn resource_of(data: &Value) -> &Value {
    data.get("resource")
        .filter(|r| r.is_object())
        .unwrap_or(&Value::Null)
}

/// `metadata.purchase_order` is a list in the docs; a lone string is accepted too.
fn first_purchase_order(shipment: &Value) -> Option<String> {
    match shipment.get("metadata")?.get("purchase_order")? {
        Value::Array(orders) => orders.iter().find_map(as_text),
        single => as_text(single),
    }
}

/// A milestone location: its own fields, completed from a nested `address`, whose ISO
/// `country_code` is preferred over its country name so that every provider reports codes.
fn event_location(value: &Value) -> Option<Location> {
    let address = value.get("address").unwrap_or(&Value::Null);
    let nested = location(address).unwrap_or_default();
    let mut merged = location(value).unwrap_or_default();
    merged.city = merged.city.or(nested.city);
    merged.state = merged.state.or(nested.state);
    merged.postal_code = merged.postal_code.or(nested.postal_code);
    merged.country = merged
        .country
        .or_else(|| text(address, "country_code"))
        .or(nested.country);
    (merged != Location::default()).then_some(merged)
}

fn shape(reason: &str) -> NormalizeError {
    common::shape(PROVIDER, reason)
}

#[cfg(test)]
mod tests;
