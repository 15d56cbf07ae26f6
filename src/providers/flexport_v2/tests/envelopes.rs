//! The envelope itself: every documented milestone, unknown and malformed types, fallbacks and bad shapes.

use super::*;

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
