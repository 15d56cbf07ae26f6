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

mod envelopes;
