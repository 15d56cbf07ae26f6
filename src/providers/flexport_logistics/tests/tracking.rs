//! Tracking events: freight and parcel tracking, carrier detection, statuses.

use super::*;

#[test]
fn freight_tracking_updated() {
    let raw = fixture(include_str!(
        "../../../../tests/fixtures/flexport_logistics/freight_tracking_updated.json"
    ));
    let data = EventData {
        status: Some(TrackingStatus::InTransit),
        carrier: some("estes_express"),
        tracking_number: some("ES1048823"),
        shipment_id: some("FRT-88120"),
        location: Some(Location {
            city: some("Ontario"),
            state: some("CA"),
            postal_code: some("91761"),
            country: some("US"),
            ..Location::default()
        }),
        description: some("Departed terminal"),
        ..base(&raw, Kind::Tracking, Some("IN_TRANSIT"))
    };
    check(
        &raw,
        EventType::TrackingUpdated,
        Some("estes_express:ES1048823"),
        at("2024-05-08T21:58:00Z"),
        data,
    );
}

#[test]
fn freight_without_a_tracking_code_is_about_its_shipment() {
    let raw = json!({"logisticsEventId": "e3", "logisticsEventType": "Freight.TrackingUpdated",
                     "shipmentId": "FRT-1", "status": "DELIVERED"});
    let event = only_event(&raw);
    assert_eq!(event.event_type, EventType::TrackingUpdated);
    assert_eq!(event.subject.as_deref(), Some("freight:FRT-1"));
    assert_eq!(event.data.status, Some(TrackingStatus::Delivered));
}

#[test]
fn parcel_tracking_updated_detects_the_carrier() {
    let raw = fixture(include_str!(
        "../../../../tests/fixtures/flexport_logistics/parcel_tracking_updated.json"
    ));
    let data = EventData {
        status: Some(TrackingStatus::OutForDelivery),
        carrier: some("usps"),
        tracking_number: some("9205590175547700001012"),
        location: Some(Location {
            city: some("Reno"),
            state: some("NV"),
            postal_code: some("89502"),
            country: some("US"),
            ..Location::default()
        }),
        description: some("Out for delivery"),
        ..base(&raw, Kind::Tracking, Some("OUT_FOR_DELIVERY"))
    };
    check(
        &raw,
        EventType::TrackingUpdated,
        Some("usps:9205590175547700001012"),
        at("2024-05-16T13:55:00Z"),
        data,
    );
}

#[test]
fn parcel_statuses_choose_the_event_type() {
    let cases = [
        (
            "PRE_TRANSIT",
            TrackingStatus::PreTransit,
            EventType::TrackingUpdated,
        ),
        (
            "IN_TRANSIT",
            TrackingStatus::InTransit,
            EventType::TrackingUpdated,
        ),
        (
            "OUT_FOR_DELIVERY",
            TrackingStatus::OutForDelivery,
            EventType::TrackingUpdated,
        ),
        (
            "DELIVERED",
            TrackingStatus::Delivered,
            EventType::TrackingDelivered,
        ),
        (
            "RETURN_TO_SENDER",
            TrackingStatus::Returned,
            EventType::TrackingException,
        ),
        (
            "FAILURE",
            TrackingStatus::Exception,
            EventType::TrackingException,
        ),
        (
            "UNKNOWN",
            TrackingStatus::Unknown,
            EventType::TrackingUpdated,
        ),
        (
            "LOST_IN_SPACE",
            TrackingStatus::Unknown,
            EventType::TrackingUpdated,
        ),
    ];
    for (status, ours, event_type) in cases {
        let raw = json!({"logisticsEventId": "e4", "logisticsEventType": "Parcel.TrackingUpdated",
                         "trackingCode": "garbage", "status": status});
        let event = only_event(&raw);
        assert_eq!(event.data.status, Some(ours), "{status}");
        assert_eq!(event.event_type, event_type, "{status}");
        assert_eq!(event.subject.as_deref(), Some("unknown:GARBAGE"));
    }
}

#[test]
fn a_parcel_carrier_field_wins_over_detection() {
    let raw = json!({"logisticsEventId": "e5", "logisticsEventType": "Parcel.TrackingUpdated",
                     "trackingCode": "9205590175547700001012", "carrier": "FedEx SmartPost",
                     "status": "DELIVERED", "eventTime": "not a time",
                     "logisticsEventTime": "2024-05-16T14:00:00Z"});
    let event = only_event(&raw);
    assert_eq!(event.data.carrier.as_deref(), Some("fedex"));
    assert_eq!(
        event.subject.as_deref(),
        Some("fedex:9205590175547700001012")
    );
    assert_eq!(event.time, at("2024-05-16T14:00:00Z"));
}
