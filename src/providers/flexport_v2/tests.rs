//! Unit tests of `flexport_v2`.

use super::*;
use chrono::{DateTime, Utc};
use serde_json::json;

fn fixture(name: &str) -> Value {
    let body = match name {
        "transit_departed" => {
            include_str!("../../../tests/fixtures/flexport_v2/transit_departed.json")
        }
        "transit_arrived" => {
            include_str!("../../../tests/fixtures/flexport_v2/transit_arrived.json")
        }
        "transit_delivered" => {
            include_str!("../../../tests/fixtures/flexport_v2/transit_delivered.json")
        }
        "estimate_updated" => {
            include_str!("../../../tests/fixtures/flexport_v2/estimate_updated.json")
        }
        "booking_confirmed" => {
            include_str!("../../../tests/fixtures/flexport_v2/booking_confirmed.json")
        }
        "customs_released" => {
            include_str!("../../../tests/fixtures/flexport_v2/customs_released.json")
        }
        "delay_weather" => include_str!("../../../tests/fixtures/flexport_v2/delay_weather.json"),
        "invoice_shared" => {
            include_str!("../../../tests/fixtures/flexport_v2/invoice_shared.json")
        }
        "unknown_type" => include_str!("../../../tests/fixtures/flexport_v2/unknown_type.json"),
        "minimal_test_vector" => {
            include_str!("../../../tests/fixtures/flexport_v2/minimal_test_vector.json")
        }
        other => panic!("no fixture {other}"),
    };
    serde_json::from_str(body).unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn cx() -> Context<'static> {
    Context {
        source_id: "flexport",
        received_at: at("2026-03-10T14:30:00Z"),
    }
}

fn provider(id: Option<&str>, event_type: &str, status: Option<&str>) -> ProviderInfo {
    ProviderInfo {
        name: "flexport_v2".into(),
        event_id: id.map(String::from),
        event_type: event_type.into(),
        status: status.map(String::from),
        received_at: cx().received_at,
    }
}

/// Normalises `raw`, checks the dedupe id and returns the one event.
fn only_event(raw: &Value, id: Option<&str>) -> Event {
    let parsed = normalize(raw, cx()).unwrap();
    assert_eq!(parsed.provider_event_id.as_deref(), id);
    assert_eq!(parsed.events.len(), 1);
    parsed.events.into_iter().next().unwrap()
}

/// What every fixture about shipment 2983 (PO-4471) normalises to.
struct Expected<'a> {
    id: &'a str,
    type_name: &'a str,
    event_type: EventType,
    status: &'a str,
    location: Option<Location>,
    time: &'a str,
}

fn shipment_2983(raw: &Value, e: Expected<'_>) -> Event {
    let action = e.type_name.split_once('#').unwrap().1;
    let mut data = EventData::new(
        Kind::Shipment,
        provider(Some(e.id), e.type_name, Some(e.status)),
        raw.clone(),
    );
    data.milestone = Some(action.into());
    data.shipment_id = Some("2983".into());
    data.order_id = Some("PO-4471".into());
    data.location = e.location;
    Event::draft(
        "flexport",
        e.event_type,
        Some("flexport:shipment:2983".into()),
        at(e.time),
        data,
    )
}

fn place(name: &str, city: &str, state: &str, zip: Option<&str>, country: &str) -> Location {
    Location {
        name: Some(name.into()),
        city: Some(city.into()),
        state: Some(state.into()),
        postal_code: zip.map(String::from),
        country: Some(country.into()),
    }
}

fn check(name: &str, e: Expected<'_>) {
    let raw = fixture(name);
    let id = e.id;
    let expected = shipment_2983(&raw, e);
    let event = only_event(&raw, Some(id));
    assert_eq!(event, expected, "fixture {name}");
    assert_eq!(
        event.data.status, None,
        "milestones are not parcel statuses"
    );
    assert_eq!(event.data.raw, raw);
}

#[test]
fn a_leg_departure_is_shipment_departed() {
    check(
        "transit_departed",
        Expected {
            id: "354987",
            type_name: "/shipment_leg#departed",
            event_type: EventType::ShipmentDeparted,
            status: "in_transit_to_arrival_port",
            location: Some(place(
                "Port of Shanghai",
                "Shanghai",
                "Shanghai",
                Some("200080"),
                "CN",
            )),
            time: "2019-04-16T17:42:00Z",
        },
    );
}

#[test]
fn a_container_unloaded_off_board_is_shipment_arrived() {
    check(
        "transit_arrived",
        Expected {
            id: "355120",
            type_name: "/ocean/shipment_container_leg#unloaded_off_board",
            event_type: EventType::ShipmentArrived,
            status: "arrival_port",
            location: Some(place(
                "Port of Long Beach",
                "Long Beach",
                "CA",
                Some("90802"),
                "US",
            )),
            time: "2019-05-02T07:30:00Z",
        },
    );
}

#[test]
fn a_completed_delivery_is_shipment_delivered() {
    check(
        "transit_delivered",
        Expected {
            id: "355301",
            type_name: "/shipment_leg#delivery_completed",
            event_type: EventType::ShipmentDelivered,
            status: "final_destination",
            location: Some(place(
                "Greenwood Distribution Center",
                "Greenwood",
                "IN",
                Some("46143"),
                "US",
            )),
            time: "2019-05-06T20:47:00Z",
        },
    );
}

#[test]
fn an_estimate_change_is_shipment_updated() {
    check(
        "estimate_updated",
        Expected {
            id: "355042",
            type_name: "/shipment_leg#updated_estimated_time_of_arrival",
            event_type: EventType::ShipmentUpdated,
            status: "in_transit_to_arrival_port",
            location: None,
            time: "2019-04-25T10:59:58Z",
        },
    );
}

#[test]
fn a_booking_confirmation_is_shipment_booked() {
    check(
        "booking_confirmed",
        Expected {
            id: "354801",
            type_name: "/shipment#booking_confirmed",
            event_type: EventType::ShipmentBooked,
            status: "seller_location",
            location: None,
            time: "2019-04-08T15:20:30Z",
        },
    );
}

#[test]
fn a_customs_release_is_shipment_customs() {
    check(
        "customs_released",
        Expected {
            id: "355188",
            type_name: "/shipment#customs_entry_release_status_released",
            event_type: EventType::ShipmentCustoms,
            status: "arrival_port",
            location: Some(place("Port of Long Beach", "Long Beach", "CA", None, "US")),
            time: "2019-05-03T16:40:00Z",
        },
    );
}

#[test]
fn a_weather_delay_is_shipment_delayed() {
    check(
        "delay_weather",
        Expected {
            id: "355077",
            type_name: "/shipment#weather_delay",
            event_type: EventType::ShipmentDelayed,
            status: "in_transit_to_arrival_port",
            location: None,
            time: "2019-04-27T03:00:00Z",
        },
    );
}

#[test]
fn an_invoice_event_is_invoice_updated_about_the_invoice() {
    let raw = fixture("invoice_shared");
    let data = EventData::new(
        Kind::Other,
        provider(
            Some("356002"),
            "/invoice#invoice_shared",
            Some("outstanding"),
        ),
        raw.clone(),
    );
    let expected = Event::draft(
        "flexport",
        EventType::InvoiceUpdated,
        Some("flexport:invoice:4SzihRl_Qq2F1FcjoNI9xQ".into()),
        at("2021-02-24T02:53:39.983Z"),
        data,
    );
    assert_eq!(only_event(&raw, Some("356002")), expected);
}

#[test]
fn an_unknown_resource_is_unmapped_with_its_facts() {
    let raw = fixture("unknown_type");
    let data = EventData::new(
        Kind::Other,
        provider(Some("357310"), "/purchase_order#archived", None),
        raw.clone(),
    );
    let expected = Event::draft(
        "flexport",
        EventType::ProviderUnmapped,
        None,
        at("2024-06-11T09:29:41Z"),
        data,
    );
    assert_eq!(only_event(&raw, Some("357310")), expected);
}

#[test]
fn the_signature_test_vector_body_normalises_without_data() {
    let raw = fixture("minimal_test_vector");
    let mut data = EventData::new(
        Kind::Shipment,
        provider(Some("1"), "/shipment_leg#departed", None),
        raw.clone(),
    );
    data.milestone = Some("departed".into());
    let expected = Event::draft(
        "flexport",
        EventType::ShipmentDeparted,
        None,
        cx().received_at,
        data,
    );
    assert_eq!(only_event(&raw, Some("1")), expected);
}

#[test]
fn maps_every_documented_milestone() {
    use EventType::*;
    let cases = [
        ("/shipment_leg#departed", ShipmentDeparted),
        (
            "/ocean/shipment_container_leg#loaded_on_board",
            ShipmentDeparted,
        ),
        ("/shipment_leg#arrived", ShipmentArrived),
        (
            "/ocean/shipment_container_leg#unloaded_off_board",
            ShipmentArrived,
        ),
        ("/shipment_leg#delivered", ShipmentDelivered),
        ("/shipment_leg#delivery_completed", ShipmentDelivered),
        ("/shipment#delivered_in_full", ShipmentDelivered),
        ("/shipment#created", ShipmentCreated),
        ("/shipment#booking_confirmed", ShipmentBooked),
        (
            "/shipment#customs_entry_release_status_released",
            ShipmentCustoms,
        ),
        ("/shipment#customs_agriculture_hold", ShipmentCustoms),
        ("/shipment#customs_undergoing_x_ray_exam", ShipmentCustoms),
        ("/shipment#weather_delay", ShipmentDelayed),
        ("/shipment#port_strike_delay", ShipmentDelayed),
        ("/shipment#vessel_delay_port_congestion", ShipmentDelayed),
        ("/shipment#trucking_delay_traffic", ShipmentDelayed),
        ("/shipment#missing_cargo", ShipmentDelayed),
        ("/shipment#cargo_rolled_from_booked_vessel", ShipmentDelayed),
        ("/shipment#returned_to_shipper", ShipmentDelayed),
        ("/shipment#delivery_missed_appointment", ShipmentDelayed),
        ("/shipment#no_attempt_made", ShipmentDelayed),
        ("/shipment#documentation_exception", ShipmentDelayed),
        ("/shipment#exception_damaged_cargo", ShipmentDelayed),
        ("/shipment#delayed_at_transshipment", ShipmentDelayed),
        ("/shipment#delayload", ProviderUnmapped),
        ("/shipment_leg#out_for_delivery", ShipmentUpdated),
        ("/ocean/shipment_leg#loaded_on_truck", ShipmentUpdated),
        ("/shipment#schedule_confirmed", ShipmentUpdated),
        (
            "/shipment_leg#updated_estimated_time_of_departure",
            ShipmentUpdated,
        ),
        (
            "/shipment_leg#updated_estimated_time_of_arrival",
            ShipmentUpdated,
        ),
        (
            "/shipment_leg#updated_estimated_out_for_delivery",
            ShipmentUpdated,
        ),
        ("/shipment#cargo_ready_date_changed", ShipmentUpdated),
        (
            "/ocean/shipment_container_leg#available_for_pickup",
            ShipmentUpdated,
        ),
        (
            "/ocean/shipment_container#free_time_expired",
            ShipmentUpdated,
        ),
        ("/ocean/shipment_container#empty_returned", ShipmentUpdated),
        ("/invoice#invoice_shared", InvoiceUpdated),
        ("/invoice#invoice_payment_made", InvoiceUpdated),
        ("/invoice#invoice_voided", InvoiceUpdated),
    ];
    for (type_name, expected) in cases {
        let raw = json!({"_object": "/event", "id": 5, "type": type_name});
        assert_eq!(
            only_event(&raw, Some("5")).event_type,
            expected,
            "{type_name}"
        );
    }
}

#[test]
fn unknown_and_malformed_types_are_unmapped_never_rejected() {
    let cases = [
        ("/shipment#teleported", Kind::Shipment),
        ("/shipment_leg#created", Kind::Shipment),
        ("/booking#amended", Kind::Other),
        ("/air/cargo_hold#sealed", Kind::Other),
        ("shipment_leg#departed", Kind::Other),
        ("/shipment_leg", Kind::Other),
        ("/shipment_leg#", Kind::Other),
        ("/#departed", Kind::Other),
        ("/shipment#departed#twice", Kind::Other),
        ("tracking.updated", Kind::Other),
    ];
    for (type_name, kind) in cases {
        let raw = json!({"_object": "/event", "id": "e-9", "type": type_name,
                         "data": {"shipment": {"id": 7, "status": "departure_port"}}});
        let event = only_event(&raw, Some("e-9"));
        assert_eq!(event.event_type, EventType::ProviderUnmapped, "{type_name}");
        assert_eq!(event.data.kind, kind, "{type_name}");
        assert_eq!(event.data.provider.event_type, type_name);
        assert_eq!(event.data.raw, raw);
    }
    let raw = json!({"_object": "/event", "id": 6, "type": "/shipment#teleported",
                     "data": {"shipment": {"id": 7}}});
    let event = only_event(&raw, Some("6"));
    assert_eq!(event.subject.as_deref(), Some("flexport:shipment:7"));
    assert_eq!(event.data.milestone.as_deref(), Some("teleported"));
}

#[test]
fn falls_back_from_occurred_at_to_created_at_to_received_at() {
    let raw = json!({"type": "/shipment_leg#arrived", "created_at": "2019-04-16T18:05:10Z"});
    assert_eq!(only_event(&raw, None).time, at("2019-04-16T18:05:10Z"));
    let raw = json!({"type": "/shipment_leg#arrived", "occurred_at": "garbage"});
    assert_eq!(only_event(&raw, None).time, cx().received_at);
}

#[test]
fn reads_the_shipment_from_the_resource_and_a_lone_purchase_order() {
    let raw = json!({"_object": "/event", "id": 8, "type": "/shipment#created", "data": {
        "resource": {"_object": "/shipments", "id": 2984, "status": "seller_location",
                     "metadata": {"purchase_order": "PO-9"}},
        "location": {"name": "Shenzhen Factory", "country_code": "CN"}}});
    let event = only_event(&raw, Some("8"));
    assert_eq!(event.event_type, EventType::ShipmentCreated);
    assert_eq!(event.subject.as_deref(), Some("flexport:shipment:2984"));
    assert_eq!(event.data.shipment_id.as_deref(), Some("2984"));
    assert_eq!(event.data.order_id.as_deref(), Some("PO-9"));
    assert_eq!(
        event.data.provider.status.as_deref(),
        Some("seller_location")
    );
    let location = event.data.location.unwrap();
    assert_eq!(location.name.as_deref(), Some("Shenzhen Factory"));
    assert_eq!(location.country.as_deref(), Some("CN"));
}

#[test]
fn missing_optional_fields_still_normalise() {
    let raw = json!({"type": "/shipment#weather_delay", "data": {"shipment": {"id": 1,
                     "metadata": {"purchase_order": []}}, "location": null}});
    let event = only_event(&raw, None);
    assert_eq!(event.event_type, EventType::ShipmentDelayed);
    assert_eq!(event.data.order_id, None);
    assert_eq!(event.data.location, None);
    assert_eq!(event.data.provider.status, None);
    assert_eq!(event.data.provider.event_id, None);
    let raw = json!({"type": "/invoice#invoice_voided", "id": 3});
    let event = only_event(&raw, Some("3"));
    assert_eq!(event.event_type, EventType::InvoiceUpdated);
    assert_eq!(event.subject, None);
}

#[test]
fn bad_envelopes_are_unexpected_shapes() {
    let cases = [
        (json!(null), "object"),
        (json!([{"type": "/shipment_leg#departed"}]), "object"),
        (json!({"_object": "/event", "id": 1}), "`type` is missing"),
        (json!({"type": null}), "`type`"),
        (json!({"type": ["/shipment_leg#departed"]}), "`type`"),
        (json!({"type": ""}), "`type`"),
        (
            json!({"_object": "/api/response", "type": "/shipment_leg#departed"}),
            "`_object`",
        ),
        (
            json!({"type": "/shipment_leg#departed", "data": "x"}),
            "`data`",
        ),
    ];
    for (raw, needle) in cases {
        match normalize(&raw, cx()) {
            Err(NormalizeError::UnexpectedShape { provider, reason }) => {
                assert_eq!(provider, "flexport_v2");
                assert!(reason.contains(needle), "{raw}: {reason}");
            }
            other => panic!("{raw}: expected UnexpectedShape, got {other:?}"),
        }
    }
}
