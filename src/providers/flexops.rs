//! FlexOps webhooks: `{"id", "type", "createdAt", "data": {...}}` (providers.md section 4).
//!
//! FlexOps already speaks in parcel-tracking terms: its event types are ours, its statuses are
//! our status vocabulary, and its carrier codes are ours, so this normaliser mostly copies. What
//! it adds is the detail of the latest scan: when `data.events` is present, the most recent entry
//! by timestamp (FlexOps lists them newest first, but the order is not promised) gives the
//! location, the description and the event time.
//!
//! A body that is not an object or has no string `type` is not a FlexOps event; any other type
//! (`shipment.rate_available`, or one FlexOps adds later) becomes `provider.unmapped`.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::common::{location, text, time};
use super::{Context, NormalizeError, Parsed, carrier};
use crate::event::{Event, EventData, EventType, Kind, ProviderInfo, TrackingStatus};

const PROVIDER: &str = "flexops";

pub fn normalize(raw: &Value, cx: Context<'_>) -> Result<Parsed, NormalizeError> {
    let provider_type = envelope_type(raw)?;
    let event_type = event_type(provider_type);
    let data = raw.get("data").unwrap_or(&Value::Null);
    let latest = latest_scan(data);
    let event_id = text(raw, "id");
    let provider_status = text(data, "status");
    let tracking_number = text(data, "trackingNumber");
    let carrier = carrier::resolve(text(data, "carrier").as_deref(), tracking_number.as_deref());

    let provider = ProviderInfo {
        name: PROVIDER.to_string(),
        event_id: event_id.clone(),
        event_type: provider_type.to_string(),
        status: provider_status.clone(),
        received_at: cx.received_at,
    };
    let mut out = EventData::new(kind(provider_type), provider, raw.clone());
    out.status = match provider_status.as_deref() {
        Some(status) => Some(tracking_status(status)),
        None => implied_status(event_type),
    };
    out.location = latest
        .and_then(|(scan, _)| scan.get("location"))
        .or_else(|| data.get("location"))
        .and_then(location);
    out.description = latest
        .and_then(|(scan, _)| text(scan, "description"))
        .or_else(|| text(data, "description"));
    out.estimated_delivery = time(data, "estimatedDelivery");

    let subject = carrier::tracking_subject(carrier.as_deref(), tracking_number.as_deref());
    out.carrier = carrier;
    out.tracking_number = tracking_number;
    let at = latest
        .map(|(_, at)| at)
        .or_else(|| time(raw, "createdAt"))
        .unwrap_or(cx.received_at);

    Ok(Parsed {
        provider_event_id: event_id,
        events: vec![Event::draft(cx.source_id, event_type, subject, at, out)],
    })
}

/// The envelope's `type`, which every FlexOps event has.
fn envelope_type(raw: &Value) -> Result<&str, NormalizeError> {
    let shape = |reason: &str| NormalizeError::UnexpectedShape {
        provider: PROVIDER,
        reason: reason.to_string(),
    };
    if !raw.is_object() {
        return Err(shape("the body is not a JSON object"));
    }
    raw.get("type")
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| shape("no string `type`"))
}

fn event_type(provider_type: &str) -> EventType {
    match provider_type {
        "tracking.updated" => EventType::TrackingUpdated,
        "tracking.delivered" => EventType::TrackingDelivered,
        "tracking.exception" => EventType::TrackingException,
        "label.created" => EventType::LabelCreated,
        "label.cancelled" => EventType::LabelCancelled,
        _ => EventType::ProviderUnmapped,
    }
}

fn kind(provider_type: &str) -> Kind {
    match provider_type.split('.').next() {
        Some("tracking" | "label") => Kind::Tracking,
        _ => Kind::Other,
    }
}

/// FlexOps statuses are our vocabulary; a label object says `created` where a tracking status
/// would say `pre_transit` (FlexOps documents `pre_transit` as "label created").
fn tracking_status(status: &str) -> TrackingStatus {
    match status.to_ascii_lowercase().as_str() {
        "pre_transit" | "created" => TrackingStatus::PreTransit,
        "accepted" => TrackingStatus::Accepted,
        "in_transit" => TrackingStatus::InTransit,
        "out_for_delivery" => TrackingStatus::OutForDelivery,
        "available_for_pickup" => TrackingStatus::AvailableForPickup,
        "failed_attempt" => TrackingStatus::FailedAttempt,
        "delivered" => TrackingStatus::Delivered,
        "returned" => TrackingStatus::Returned,
        "exception" => TrackingStatus::Exception,
        "cancelled" | "canceled" => TrackingStatus::Cancelled,
        _ => TrackingStatus::Unknown,
    }
}

/// The status an event type states by itself, for payloads that omit `status`.
/// `tracking.exception` covers both `failed_attempt` and `exception`, so it implies nothing.
fn implied_status(event_type: EventType) -> Option<TrackingStatus> {
    match event_type {
        EventType::TrackingDelivered => Some(TrackingStatus::Delivered),
        EventType::LabelCreated => Some(TrackingStatus::PreTransit),
        EventType::LabelCancelled => Some(TrackingStatus::Cancelled),
        _ => None,
    }
}

/// The most recent entry of `data.events` with a readable timestamp, and that time; the first
/// listed wins a tie.
fn latest_scan(data: &Value) -> Option<(&Value, DateTime<Utc>)> {
    data.get("events")?
        .as_array()?
        .iter()
        .filter_map(|scan| Some((scan, time(scan, "timestamp")?)))
        .fold(None, |latest, (scan, at)| match latest {
            Some((_, latest_at)) if latest_at >= at => latest,
            _ => Some((scan, at)),
        })
}

#[cfg(test)]
mod tests;
