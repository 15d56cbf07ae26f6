//! Flexport Logistics API webhooks (formerly Deliverr; providers.md section 3).
//!
//! The envelope is flat: `logisticsAccountId`, `logisticsEventId` (the dedupe id),
//! `logisticsEventType` and `logisticsEventTime` sit beside the event's own fields. One provider
//! type maps to one of ours in [`normalize`]'s `match`; each family of types (orders, outbound
//! shipments, inbounds, inventory, returns, tracking) has one small reader for its fields.
//!
//! Choices a reader of the output should know:
//! - `Shipment.Shipped` is `shipment.departed`; `Shipment.Cancelled` is `shipment.updated` with
//!   status `cancelled` (our vocabulary has no `shipment.cancelled`).
//! - Inbound events are kind `shipment` (goods arriving at a warehouse) and their subjects are
//!   `inbound:<shipmentId>`, apart from outbound `shipment:<id>`, since the two are numbered apart.
//! - Returns are kind `order`, with subject `return:<id>`; their label's carrier, tracking code and
//!   tracking status fill the tracking fields, while `provider.status` keeps the return's status.
//! - Parcel tracking gives no carrier: it is detected from `trackingCode` (a `carrier` field wins
//!   if one ever appears). FAILURE and RETURN_TO_SENDER are `tracking.exception`.
//! - `provider.status` is the event's own `status` field, verbatim, wherever it has one.
//! - Time is the event's own `eventTime` (tracking events), else `logisticsEventTime`, else the
//!   time shiprelay received it.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::common::{location, text, time};
use super::{Context, NormalizeError, Parsed, carrier};
use crate::event::{Event, EventData, EventType, Kind, ProviderInfo, TrackingStatus};

const PROVIDER: &str = "flexport_logistics";

pub fn normalize(raw: &Value, cx: Context<'_>) -> Result<Parsed, NormalizeError> {
    let provider_type = envelope_type(raw)?;
    let event_id = text(raw, "logisticsEventId");
    let provider = ProviderInfo {
        name: PROVIDER.to_string(),
        event_id: event_id.clone(),
        event_type: provider_type.to_string(),
        status: text(raw, "status"),
        received_at: cx.received_at,
    };
    let data = EventData::new(Kind::Other, provider, raw.clone());
    let mapped = match provider_type {
        "Order.Shipped" => order(raw, EventType::OrderShipped, data),
        "Order.Cancelled" => order(raw, EventType::OrderCancelled, data),
        "Shipment.Created" => shipment(raw, EventType::ShipmentCreated, None, data),
        "Shipment.Shipped" => shipment(raw, EventType::ShipmentDeparted, None, data),
        "Shipment.Cancelled" => shipment(
            raw,
            EventType::ShipmentUpdated,
            Some(TrackingStatus::Cancelled),
            data,
        ),
        "Inbound.Received" => inbound(raw, EventType::InboundReceived, data),
        "Inbound.ShipmentStatusChanged" => inbound(raw, EventType::ShipmentUpdated, data),
        "Inventory.Adjusted" => inventory_adjusted(raw, data),
        "Return.Updated" => return_updated(raw, data),
        "Freight.TrackingUpdated" => freight_tracking(raw, data),
        "Parcel.TrackingUpdated" => parcel_tracking(raw, data),
        _ => Mapped::new(EventType::ProviderUnmapped, None, data),
    };
    let at = mapped
        .time
        .or_else(|| time(raw, "logisticsEventTime"))
        .unwrap_or(cx.received_at);
    let event = Event::draft(
        cx.source_id,
        mapped.event_type,
        mapped.subject,
        at,
        mapped.data,
    );
    Ok(Parsed {
        provider_event_id: event_id,
        events: vec![event],
    })
}

/// What one family reader makes of an event; `time` is the event's own time, if it has one.
struct Mapped {
    event_type: EventType,
    subject: Option<String>,
    time: Option<DateTime<Utc>>,
    data: EventData,
}

impl Mapped {
    fn new(event_type: EventType, subject: Option<String>, data: EventData) -> Mapped {
        Mapped {
            event_type,
            subject,
            time: None,
            data,
        }
    }
}

/// The envelope's `logisticsEventType`, which every Logistics API event has.
fn envelope_type(raw: &Value) -> Result<&str, NormalizeError> {
    let shape = |reason: &str| NormalizeError::UnexpectedShape {
        provider: PROVIDER,
        reason: reason.to_string(),
    };
    if !raw.is_object() {
        return Err(shape("the body is not a JSON object"));
    }
    raw.get("logisticsEventType")
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| shape("no string `logisticsEventType`"))
}

fn order(raw: &Value, event_type: EventType, mut data: EventData) -> Mapped {
    data.kind = Kind::Order;
    data.order_id = order_id(raw);
    let subject = prefixed("order", data.order_id.as_deref());
    Mapped::new(event_type, subject, data)
}

/// An outbound (fulfilment) shipment of an order.
fn shipment(
    raw: &Value,
    event_type: EventType,
    status: Option<TrackingStatus>,
    mut data: EventData,
) -> Mapped {
    data.kind = Kind::Shipment;
    data.status = status;
    data.shipment_id = text(raw, "id");
    data.order_id = order_id(raw);
    let subject = prefixed("shipment", data.shipment_id.as_deref());
    Mapped::new(event_type, subject, data)
}

/// An inbound shipment of inventory to Flexport's warehouses.
fn inbound(raw: &Value, event_type: EventType, mut data: EventData) -> Mapped {
    data.kind = Kind::Shipment;
    data.shipment_id = text(raw, "shipmentId");
    let subject = prefixed("inbound", data.shipment_id.as_deref());
    Mapped::new(event_type, subject, data)
}

fn inventory_adjusted(raw: &Value, mut data: EventData) -> Mapped {
    data.description = text(raw, "reason");
    let subject = prefixed("inventory_adjustment", text(raw, "adjustmentId").as_deref());
    Mapped::new(EventType::InventoryAdjusted, subject, data)
}

fn return_updated(raw: &Value, mut data: EventData) -> Mapped {
    let label = raw.get("shippingLabel").unwrap_or(&Value::Null);
    let tracking_number = text(label, "trackingCode");
    data.kind = Kind::Order;
    data.order_id = order_id(raw);
    data.carrier = carrier::resolve(
        text(label, "carrier").as_deref(),
        tracking_number.as_deref(),
    );
    data.status = text(label, "trackingStatus").map(|s| parcel_status(&s));
    data.tracking_number = tracking_number;
    let subject = prefixed("return", text(raw, "id").as_deref());
    Mapped::new(EventType::ReturnUpdated, subject, data)
}

/// Freight tracking fields are not documented: read the parcel ones when present, and fall back
/// on the freight shipment for the subject.
fn freight_tracking(raw: &Value, data: EventData) -> Mapped {
    let mut mapped = tracking(raw, data);
    if mapped.subject.is_none() {
        mapped.subject = prefixed("freight", mapped.data.shipment_id.as_deref());
    }
    mapped
}

fn parcel_tracking(raw: &Value, data: EventData) -> Mapped {
    let mut mapped = tracking(raw, data);
    mapped.event_type = match mapped.data.status {
        Some(TrackingStatus::Delivered) => EventType::TrackingDelivered,
        Some(TrackingStatus::Exception | TrackingStatus::Returned) => EventType::TrackingException,
        _ => EventType::TrackingUpdated,
    };
    mapped
}

/// The tracking fields of a parcel or freight event, as `tracking.updated`.
fn tracking(raw: &Value, mut data: EventData) -> Mapped {
    let tracking_number = text(raw, "trackingCode").or_else(|| text(raw, "trackingNumber"));
    let carrier = carrier::resolve(text(raw, "carrier").as_deref(), tracking_number.as_deref());
    data.kind = Kind::Tracking;
    data.status = text(raw, "status").map(|s| parcel_status(&s));
    data.shipment_id = text(raw, "shipmentId");
    data.location = raw.get("location").and_then(location);
    data.description = text(raw, "message").or_else(|| text(raw, "description"));
    let subject = carrier::tracking_subject(carrier.as_deref(), tracking_number.as_deref());
    data.carrier = carrier;
    data.tracking_number = tracking_number;
    Mapped {
        time: time(raw, "eventTime"),
        ..Mapped::new(EventType::TrackingUpdated, subject, data)
    }
}

/// The Logistics API's parcel tracking vocabulary (upper case) onto ours.
fn parcel_status(status: &str) -> TrackingStatus {
    match status.to_ascii_uppercase().as_str() {
        "PRE_TRANSIT" => TrackingStatus::PreTransit,
        "IN_TRANSIT" => TrackingStatus::InTransit,
        "OUT_FOR_DELIVERY" => TrackingStatus::OutForDelivery,
        "DELIVERED" => TrackingStatus::Delivered,
        "RETURN_TO_SENDER" => TrackingStatus::Returned,
        "FAILURE" => TrackingStatus::Exception,
        _ => TrackingStatus::Unknown,
    }
}

fn order_id(raw: &Value) -> Option<String> {
    text(raw, "orderId").or_else(|| text(raw, "externalOrderId"))
}

fn prefixed(prefix: &str, id: Option<&str>) -> Option<String> {
    id.map(|id| format!("{prefix}:{id}"))
}

#[cfg(test)]
mod tests;
