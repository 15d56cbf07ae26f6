//! Every normaliser behind `providers::normalize`, for every `ProviderKind` (Generic with several
//! pointer sets, including odd ones): never panics, and when it succeeds every event serialises to
//! JSON and deserialises back to an equal `Event`.
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use shiprelay::event::Event;
use shiprelay::providers::{self, Context, GenericFields, ProviderKind};

fn generic(
    id: Option<&str>,
    ty: Option<&str>,
    subject: Option<&str>,
    time: Option<&str>,
) -> ProviderKind {
    ProviderKind::Generic(GenericFields {
        id_pointer: id.map(Into::into),
        type_pointer: ty.map(Into::into),
        subject_pointer: subject.map(Into::into),
        time_pointer: time.map(Into::into),
    })
}

fuzz_target!(|data: &[u8]| {
    let kinds = [
        ProviderKind::FlexportV1,
        ProviderKind::FlexportV2,
        ProviderKind::FlexportLogistics,
        ProviderKind::FlexOps,
        generic(None, None, None, None),
        generic(
            Some("/event/id"),
            Some("/event/type"),
            Some("/shipment/reference"),
            Some("/event/occurred_at"),
        ),
        generic(Some("/id"), Some("/type"), Some("/subject"), Some("/time")),
        generic(Some(""), Some("/"), Some("/~1a/0/~0b"), Some("/a~")),
        generic(None, Some("/0"), Some("/data/0/id"), Some("/created_at")),
    ];
    let cx = Context {
        source_id: "fuzz",
        received_at: Utc.timestamp_opt(1_773_153_000, 0).unwrap(),
    };
    let mut counter = 0u128;
    let mut random = || {
        counter += 1;
        counter
    };
    for kind in &kinds {
        let Ok(normalized) = providers::normalize(kind, cx, data, &mut random) else {
            continue;
        };
        for event in &normalized.events {
            let json = serde_json::to_string(event).expect("an event serialises");
            let back: Event = serde_json::from_str(&json)
                .unwrap_or_else(|e| panic!("{e}: an event does not read back: {json}"));
            assert_eq!(&back, event, "round trip changed the event: {json}");
        }
    }
});
