//! Unit tests of `flexport_logistics`.

use super::*;
use crate::event::Location;
use serde_json::json;

const SOURCE: &str = "flexport-logistics";

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn cx() -> Context<'static> {
    Context {
        source_id: SOURCE,
        received_at: at("2024-05-20T16:31:10Z"),
    }
}

fn fixture(json: &str) -> Value {
    serde_json::from_str(json).unwrap()
}

/// Normalises `raw`, checks the dedupe id and returns the one event.
fn only_event(raw: &Value) -> Event {
    let parsed = normalize(raw, cx()).unwrap();
    assert_eq!(parsed.provider_event_id, text(raw, "logisticsEventId"));
    assert!(parsed.provider_event_id.is_some());
    assert_eq!(parsed.events.len(), 1);
    parsed.events.into_iter().next().unwrap()
}

/// Data with the provider facts every fixture shares: its event id, type and raw status.
fn base(raw: &Value, kind: Kind, status: Option<&str>) -> EventData {
    let provider = ProviderInfo {
        name: "flexport_logistics".to_string(),
        event_id: text(raw, "logisticsEventId"),
        event_type: text(raw, "logisticsEventType").unwrap(),
        status: status.map(str::to_string),
        received_at: cx().received_at,
    };
    EventData::new(kind, provider, raw.clone())
}

fn some(s: &str) -> Option<String> {
    Some(s.to_string())
}

fn check(
    raw: &Value,
    event_type: EventType,
    subject: Option<&str>,
    at: DateTime<Utc>,
    data: EventData,
) {
    let expected = Event::draft(SOURCE, event_type, subject.map(str::to_string), at, data);
    let event = only_event(raw);
    assert_eq!(event, expected);
    assert_eq!(event.data.raw, *raw);
}

#[test]
fn order_shipped() {
    let raw = fixture(include_str!(
        "../../../tests/fixtures/flexport_logistics/order_shipped.json"
    ));
    let data = EventData {
        order_id: some("48213307"),
        ..base(&raw, Kind::Order, None)
    };
    check(
        &raw,
        EventType::OrderShipped,
        Some("order:48213307"),
        at("2024-05-14T18:22:05.412Z"),
        data,
    );
}

#[test]
fn order_cancelled() {
    let raw = fixture(include_str!(
        "../../../tests/fixtures/flexport_logistics/order_cancelled.json"
    ));
    let data = EventData {
        order_id: some("48213415"),
        ..base(&raw, Kind::Order, None)
    };
    check(
        &raw,
        EventType::OrderCancelled,
        Some("order:48213415"),
        at("2024-05-15T09:03:51.007Z"),
        data,
    );
}

#[test]
fn an_order_without_order_id_falls_back_on_the_external_id() {
    let raw = json!({"logisticsEventId": "e1", "logisticsEventType": "Order.Shipped",
                     "externalOrderId": "SHOP-7"});
    let event = only_event(&raw);
    assert_eq!(event.data.order_id.as_deref(), Some("SHOP-7"));
    assert_eq!(event.subject.as_deref(), Some("order:SHOP-7"));
    assert_eq!(event.time, cx().received_at);
}

#[test]
fn shipment_created() {
    let raw = fixture(include_str!(
        "../../../tests/fixtures/flexport_logistics/shipment_created.json"
    ));
    let data = EventData {
        shipment_id: some("90551234"),
        order_id: some("48213307"),
        ..base(&raw, Kind::Shipment, None)
    };
    check(
        &raw,
        EventType::ShipmentCreated,
        Some("shipment:90551234"),
        at("2024-05-14T11:40:18.250Z"),
        data,
    );
}

#[test]
fn shipment_shipped_is_departed() {
    let raw = fixture(include_str!(
        "../../../tests/fixtures/flexport_logistics/shipment_shipped.json"
    ));
    let data = EventData {
        shipment_id: some("90551234"),
        order_id: some("48213307"),
        ..base(&raw, Kind::Shipment, None)
    };
    check(
        &raw,
        EventType::ShipmentDeparted,
        Some("shipment:90551234"),
        at("2024-05-14T18:20:44.930Z"),
        data,
    );
}

#[test]
fn shipment_cancelled_is_an_update_with_status_cancelled() {
    let raw = fixture(include_str!(
        "../../../tests/fixtures/flexport_logistics/shipment_cancelled.json"
    ));
    let data = EventData {
        status: Some(TrackingStatus::Cancelled),
        shipment_id: some("90551377"),
        order_id: some("48213415"),
        ..base(&raw, Kind::Shipment, None)
    };
    check(
        &raw,
        EventType::ShipmentUpdated,
        Some("shipment:90551377"),
        at("2024-05-15T09:03:50.118Z"),
        data,
    );
}

#[test]
fn inbound_received() {
    let raw = fixture(include_str!(
        "../../../tests/fixtures/flexport_logistics/inbound_received.json"
    ));
    let data = base(&raw, Kind::Shipment, None);
    check(
        &raw,
        EventType::InboundReceived,
        None,
        at("2024-05-10T15:12:33.540Z"),
        data,
    );
}

#[test]
fn inbound_status_changed_is_a_shipment_update() {
    let raw = fixture(include_str!(
        "../../../tests/fixtures/flexport_logistics/inbound_status_changed.json"
    ));
    let data = EventData {
        shipment_id: some("310452"),
        ..base(&raw, Kind::Shipment, Some("RECEIVING"))
    };
    check(
        &raw,
        EventType::ShipmentUpdated,
        Some("inbound:310452"),
        at("2024-05-10T08:47:02.001Z"),
        data,
    );
}

#[test]
fn inventory_adjusted() {
    let raw = fixture(include_str!(
        "../../../tests/fixtures/flexport_logistics/inventory_adjusted.json"
    ));
    let data = EventData {
        description: some("DAMAGED"),
        ..base(&raw, Kind::Other, None)
    };
    check(
        &raw,
        EventType::InventoryAdjusted,
        Some("inventory_adjustment:ADJ-220914"),
        at("2024-05-11T13:05:27.660Z"),
        data,
    );
}

#[test]
fn return_updated_tracks_its_label() {
    let raw = fixture(include_str!(
        "../../../tests/fixtures/flexport_logistics/return_updated.json"
    ));
    let data = EventData {
        status: Some(TrackingStatus::InTransit),
        carrier: some("ups"),
        tracking_number: some("1ZV7W8930368203210"),
        order_id: some("48213307"),
        ..base(&raw, Kind::Order, Some("SHIPPED"))
    };
    check(
        &raw,
        EventType::ReturnUpdated,
        Some("return:551872"),
        at("2024-05-20T16:31:09.345Z"),
        data,
    );
}

#[test]
fn a_return_without_a_label_has_no_tracking_fields() {
    let raw = json!({"logisticsEventId": "e2", "logisticsEventType": "Return.Updated",
                     "logisticsEventTime": "2024-05-20T10:00:00Z", "id": 17, "status": "CREATED"});
    let event = only_event(&raw);
    assert_eq!(event.subject.as_deref(), Some("return:17"));
    assert_eq!(event.data.status, None);
    assert_eq!(event.data.carrier, None);
    assert_eq!(event.data.tracking_number, None);
    assert_eq!(event.data.provider.status.as_deref(), Some("CREATED"));
}

#[test]
fn an_unknown_type_is_unmapped() {
    let raw = json!({"logisticsAccountId": "a", "logisticsEventId": "e6",
                     "logisticsEventType": "Product.Created", "logisticsEventTime": "2024-05-01T00:00:00Z",
                     "logisticsSku": "DZWXHJ7QSP3"});
    let data = base(&raw, Kind::Other, None);
    check(
        &raw,
        EventType::ProviderUnmapped,
        None,
        at("2024-05-01T00:00:00Z"),
        data,
    );
}

#[test]
fn rejects_what_is_not_a_logistics_event() {
    for raw in [
        json!([]),
        json!(42),
        json!({"logisticsEventId": "e7"}),
        json!({"logisticsEventId": "e7", "logisticsEventType": null}),
        json!({"logisticsEventId": "e7", "logisticsEventType": ["Order.Shipped"]}),
        json!({"type": "tracking.updated"}),
    ] {
        let err = normalize(&raw, cx()).unwrap_err();
        assert!(
            matches!(
                err,
                NormalizeError::UnexpectedShape {
                    provider: "flexport_logistics",
                    ..
                }
            ),
            "{raw}"
        );
    }
}

#[test]
fn a_bare_event_still_normalises() {
    let raw = json!({"logisticsEventType": "Shipment.Created"});
    let parsed = normalize(&raw, cx()).unwrap();
    assert_eq!(parsed.provider_event_id, None);
    let event = &parsed.events[0];
    assert_eq!(event.event_type, EventType::ShipmentCreated);
    assert_eq!(event.subject, None);
    assert_eq!(event.time, cx().received_at);
    assert_eq!(event.data.shipment_id, None);
    assert_eq!(event.data.order_id, None);
}

const FIXTURES: &[&str] = &[
    include_str!("../../../tests/fixtures/flexport_logistics/order_shipped.json"),
    include_str!("../../../tests/fixtures/flexport_logistics/order_cancelled.json"),
    include_str!("../../../tests/fixtures/flexport_logistics/shipment_created.json"),
    include_str!("../../../tests/fixtures/flexport_logistics/shipment_shipped.json"),
    include_str!("../../../tests/fixtures/flexport_logistics/shipment_cancelled.json"),
    include_str!("../../../tests/fixtures/flexport_logistics/inbound_received.json"),
    include_str!("../../../tests/fixtures/flexport_logistics/inbound_status_changed.json"),
    include_str!("../../../tests/fixtures/flexport_logistics/inventory_adjusted.json"),
    include_str!("../../../tests/fixtures/flexport_logistics/return_updated.json"),
    include_str!("../../../tests/fixtures/flexport_logistics/freight_tracking_updated.json"),
    include_str!("../../../tests/fixtures/flexport_logistics/parcel_tracking_updated.json"),
];

use crate::providers::test_support::with_each_member_retyped;

#[test]
fn never_fails_on_any_field_of_any_type() {
    for json in FIXTURES {
        for raw in with_each_member_retyped(&fixture(json)) {
            // Only a retyped envelope type is a shape error; anything else still normalises.
            let has_type = raw
                .get("logisticsEventType")
                .and_then(Value::as_str)
                .is_some_and(|t| !t.is_empty());
            assert_eq!(normalize(&raw, cx()).is_ok(), has_type, "{raw}");
        }
    }
}

mod tracking;
