//! Unit tests of `flexops`.

use super::*;
use crate::event::Location;
use serde_json::json;

const SOURCE: &str = "flexops-main";

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn cx() -> Context<'static> {
    Context {
        source_id: SOURCE,
        received_at: at("2026-03-10T14:31:09Z"),
    }
}

fn fixture(json: &str) -> Value {
    serde_json::from_str(json).unwrap()
}

fn only_event(raw: &Value) -> (Option<String>, Event) {
    let parsed = normalize(raw, cx()).unwrap();
    assert_eq!(parsed.events.len(), 1);
    let event = parsed.events.into_iter().next().unwrap();
    (parsed.provider_event_id, event)
}

fn provider(event_id: &str, event_type: &str, status: Option<&str>) -> ProviderInfo {
    ProviderInfo {
        name: "flexops".to_string(),
        event_id: Some(event_id.to_string()),
        event_type: event_type.to_string(),
        status: status.map(str::to_string),
        received_at: cx().received_at,
    }
}

fn us(city: &str, state: &str) -> Option<Location> {
    Some(Location {
        city: Some(city.to_string()),
        state: Some(state.to_string()),
        country: Some("US".to_string()),
        ..Location::default()
    })
}

fn tracking_data(raw: &Value, provider: ProviderInfo) -> EventData {
    EventData::new(Kind::Tracking, provider, raw.clone())
}

#[test]
fn tracking_updated_takes_the_latest_scan() {
    let raw = fixture(include_str!(
        "../../../tests/fixtures/flexops/tracking_updated.json"
    ));
    let (id, event) = only_event(&raw);
    let data = EventData {
        status: Some(TrackingStatus::InTransit),
        carrier: Some("usps".to_string()),
        tracking_number: Some("9400111899223456789017".to_string()),
        location: us("Salt Lake City", "UT"),
        estimated_delivery: Some(at("2026-03-12T17:00:00Z")),
        description: Some("Arrived at USPS Regional Facility".to_string()),
        ..tracking_data(
            &raw,
            provider(
                "evt_01HQ3K8Z4M7T2V9C6B5N1X0ABC",
                "tracking.updated",
                Some("in_transit"),
            ),
        )
    };
    let expected = Event::draft(
        SOURCE,
        EventType::TrackingUpdated,
        Some("usps:9400111899223456789017".to_string()),
        at("2026-03-10T14:30:00Z"),
        data,
    );
    assert_eq!(id.as_deref(), Some("evt_01HQ3K8Z4M7T2V9C6B5N1X0ABC"));
    assert_eq!(event, expected);
    assert_eq!(event.source, "shiprelay/flexops-main");
    assert_eq!(event.data.raw, raw);
}

#[test]
fn tracking_delivered_picks_the_latest_scan_by_timestamp_not_position() {
    let raw = fixture(include_str!(
        "../../../tests/fixtures/flexops/tracking_delivered.json"
    ));
    let (id, event) = only_event(&raw);
    let data = EventData {
        status: Some(TrackingStatus::Delivered),
        carrier: Some("ups".to_string()),
        tracking_number: Some("1Z999AA10123456784".to_string()),
        location: us("Austin", "TX"),
        estimated_delivery: Some(at("2026-03-12T20:00:00Z")),
        description: Some("Delivered, Front Door/Porch".to_string()),
        ..tracking_data(
            &raw,
            provider(
                "evt_01HQ4A2C9D8E7F6G5H4J3K2DEL",
                "tracking.delivered",
                Some("delivered"),
            ),
        )
    };
    let expected = Event::draft(
        SOURCE,
        EventType::TrackingDelivered,
        Some("ups:1Z999AA10123456784".to_string()),
        at("2026-03-12T16:04:00Z"),
        data,
    );
    assert_eq!(id.as_deref(), Some("evt_01HQ4A2C9D8E7F6G5H4J3K2DEL"));
    assert_eq!(event, expected);
}

#[test]
fn tracking_exception_keeps_the_failed_attempt_status() {
    let raw = fixture(include_str!(
        "../../../tests/fixtures/flexops/tracking_exception.json"
    ));
    let (id, event) = only_event(&raw);
    let data = EventData {
        status: Some(TrackingStatus::FailedAttempt),
        carrier: Some("fedex".to_string()),
        tracking_number: Some("794612345678".to_string()),
        location: us("Portland", "OR"),
        estimated_delivery: Some(at("2026-03-12T21:00:00Z")),
        description: Some("Delivery attempted: customer not available".to_string()),
        ..tracking_data(
            &raw,
            provider(
                "evt_01HQ4F7R2S3T4U5V6W7X8Y9EXC",
                "tracking.exception",
                Some("failed_attempt"),
            ),
        )
    };
    let expected = Event::draft(
        SOURCE,
        EventType::TrackingException,
        Some("fedex:794612345678".to_string()),
        at("2026-03-11T19:45:00Z"),
        data,
    );
    assert_eq!(id.as_deref(), Some("evt_01HQ4F7R2S3T4U5V6W7X8Y9EXC"));
    assert_eq!(event, expected);
}

#[test]
fn label_created_is_pre_transit_at_the_envelope_time() {
    let raw = fixture(include_str!(
        "../../../tests/fixtures/flexops/label_created.json"
    ));
    let (id, event) = only_event(&raw);
    let data = EventData {
        status: Some(TrackingStatus::PreTransit),
        carrier: Some("canada_post".to_string()),
        tracking_number: Some("7023210039414604".to_string()),
        ..tracking_data(
            &raw,
            provider(
                "evt_01HQ2Z1Y0X9W8V7U6T5S4R3LBL",
                "label.created",
                Some("pre_transit"),
            ),
        )
    };
    let expected = Event::draft(
        SOURCE,
        EventType::LabelCreated,
        Some("canada_post:7023210039414604".to_string()),
        at("2026-03-09T21:15:03Z"),
        data,
    );
    assert_eq!(id.as_deref(), Some("evt_01HQ2Z1Y0X9W8V7U6T5S4R3LBL"));
    assert_eq!(event, expected);
}

#[test]
fn label_cancelled_is_cancelled() {
    let raw = fixture(include_str!(
        "../../../tests/fixtures/flexops/label_cancelled.json"
    ));
    let (id, event) = only_event(&raw);
    let data = EventData {
        status: Some(TrackingStatus::Cancelled),
        carrier: Some("dhl".to_string()),
        tracking_number: Some("3318810025".to_string()),
        ..tracking_data(
            &raw,
            provider(
                "evt_01HQ3B4N5M6L7K8J9H0G1F2CNL",
                "label.cancelled",
                Some("cancelled"),
            ),
        )
    };
    let expected = Event::draft(
        SOURCE,
        EventType::LabelCancelled,
        Some("dhl:3318810025".to_string()),
        at("2026-03-10T09:02:44Z"),
        data,
    );
    assert_eq!(id.as_deref(), Some("evt_01HQ3B4N5M6L7K8J9H0G1F2CNL"));
    assert_eq!(event, expected);
}

#[test]
fn rate_available_is_unmapped_but_kept() {
    let raw = fixture(include_str!(
        "../../../tests/fixtures/flexops/rate_available.json"
    ));
    let (id, event) = only_event(&raw);
    let data = EventData::new(
        Kind::Other,
        provider(
            "evt_01HQ1P2Q3R4S5T6U7V8W9X0RTE",
            "shipment.rate_available",
            None,
        ),
        raw.clone(),
    );
    let expected = Event::draft(
        SOURCE,
        EventType::ProviderUnmapped,
        None,
        at("2026-03-09T20:58:30Z"),
        data,
    );
    assert_eq!(id.as_deref(), Some("evt_01HQ1P2Q3R4S5T6U7V8W9X0RTE"));
    assert_eq!(event, expected);
}

#[test]
fn an_unknown_type_is_unmapped_with_its_tracking_facts() {
    let raw = json!({"id": "evt_9", "type": "tracking.rerouted", "createdAt": "2026-03-10T10:00:00Z",
                     "data": {"trackingNumber": "794612345678", "carrier": "FedEx", "status": "in_transit"}});
    let (_, event) = only_event(&raw);
    assert_eq!(event.event_type, EventType::ProviderUnmapped);
    assert_eq!(event.data.kind, Kind::Tracking);
    assert_eq!(event.data.provider.event_type, "tracking.rerouted");
    assert_eq!(event.subject.as_deref(), Some("fedex:794612345678"));
    assert_eq!(event.data.status, Some(TrackingStatus::InTransit));
}

#[test]
fn rejects_what_is_not_a_flexops_envelope() {
    for raw in [
        json!([1, 2]),
        json!("tracking.updated"),
        json!(null),
        json!({"id": "evt_1", "data": {}}),
        json!({"id": "evt_1", "type": 7}),
        json!({"id": "evt_1", "type": " "}),
    ] {
        let err = normalize(&raw, cx()).unwrap_err();
        assert!(
            matches!(
                err,
                NormalizeError::UnexpectedShape {
                    provider: "flexops",
                    ..
                }
            ),
            "{raw}"
        );
    }
}

#[test]
fn a_minimal_event_still_normalises() {
    let raw = json!({"type": "tracking.delivered"});
    let parsed = normalize(&raw, cx()).unwrap();
    assert_eq!(parsed.provider_event_id, None);
    let event = &parsed.events[0];
    assert_eq!(event.event_type, EventType::TrackingDelivered);
    assert_eq!(event.subject, None);
    assert_eq!(event.time, cx().received_at);
    assert_eq!(event.data.status, Some(TrackingStatus::Delivered));
    assert_eq!(event.data.provider.status, None);
    assert_eq!(event.data.carrier, None);
    assert_eq!(event.data.location, None);
}

#[test]
fn detects_the_carrier_when_flexops_omits_it() {
    let raw = json!({"id": "evt_2", "type": "tracking.updated", "createdAt": "2026-03-10T10:00:00Z",
                     "data": {"trackingNumber": "1z999aa10123456784", "status": "in_transit"}});
    let (_, event) = only_event(&raw);
    assert_eq!(event.data.carrier.as_deref(), Some("ups"));
    assert_eq!(event.subject.as_deref(), Some("ups:1Z999AA10123456784"));
    assert_eq!(event.time, at("2026-03-10T10:00:00Z"));
}

#[test]
fn an_undetectable_number_gets_an_unknown_subject() {
    let raw = json!({"type": "tracking.updated",
                     "data": {"trackingNumber": "XYZ-42", "status": "teleported",
                              "events": [{"timestamp": "not a time", "description": "?"}]}});
    let (_, event) = only_event(&raw);
    assert_eq!(event.subject.as_deref(), Some("unknown:XYZ-42"));
    assert_eq!(event.data.carrier, None);
    assert_eq!(event.data.status, Some(TrackingStatus::Unknown));
    assert_eq!(event.data.provider.status.as_deref(), Some("teleported"));
    assert_eq!(event.data.description, None);
    assert_eq!(event.time, cx().received_at);
}

const FIXTURES: &[&str] = &[
    include_str!("../../../tests/fixtures/flexops/tracking_updated.json"),
    include_str!("../../../tests/fixtures/flexops/tracking_delivered.json"),
    include_str!("../../../tests/fixtures/flexops/tracking_exception.json"),
    include_str!("../../../tests/fixtures/flexops/label_created.json"),
    include_str!("../../../tests/fixtures/flexops/label_cancelled.json"),
    include_str!("../../../tests/fixtures/flexops/rate_available.json"),
];

use crate::providers::test_support::with_each_member_retyped;

#[test]
fn never_fails_on_any_field_of_any_type() {
    for json in FIXTURES {
        for raw in with_each_member_retyped(&fixture(json)) {
            // Only a retyped envelope type is a shape error; anything else still normalises.
            let has_type = raw
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| !t.is_empty());
            assert_eq!(normalize(&raw, cx()).is_ok(), has_type, "{raw}");
        }
    }
}
