//! Short property-based runs of the entry points the cargo-fuzz targets in `fuzz/` hammer for
//! minutes (see README, Fuzzing): `auth::verify`, `providers::normalize` and `Config::from_toml`.
//! A modest number of cases each, so this file runs in a few seconds as part of `scripts/test`.
//!
//! `auth` already has `verify_never_panics` beside the code (src/auth/mod.rs) over its ten common
//! schemes; the property here covers the scheme variants that one leaves out (base64 and hex with
//! and without a prefix, optional prefixes, zero tolerances, Basic without a user name, token or
//! Basic without a token header) and well-formed `Basic` credentials of random bytes.

use std::path::Path;
use std::sync::OnceLock;

use base64::Engine;
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use serde_json::Value;
use shiprelay::auth::{self, Digest, Encoding, HmacScheme, Scheme};
use shiprelay::config::Config;
use shiprelay::event::Event;
use shiprelay::providers::{self, Context, GenericFields, ProviderKind};
use shiprelay::secret::Secret;

const CASES: u32 = 256;

fn hmac(
    header: &str,
    digest: Digest,
    encoding: Encoding,
    prefix: Option<&str>,
    optional: bool,
) -> Scheme {
    Scheme::Hmac(HmacScheme {
        header: header.into(),
        digest,
        encoding,
        prefix: prefix.map(Into::into),
        prefix_optional: optional,
    })
}

/// The variants `auth::tests::verify_never_panics` does not build.
fn other_schemes() -> Vec<Scheme> {
    vec![
        hmac(
            "X-Sig",
            Digest::Sha256,
            Encoding::Hex,
            Some("sha256="),
            true,
        ),
        hmac("X-Sig", Digest::Sha1, Encoding::Hex, None, false),
        hmac("X-Sig", Digest::Sha256, Encoding::Base64, None, false),
        hmac(
            "X-Sig",
            Digest::Sha256,
            Encoding::Base64,
            Some("sha256="),
            false,
        ),
        hmac("X-Sig", Digest::Sha1, Encoding::Base64, Some(""), true),
        Scheme::StandardWebhooks { tolerance_secs: 0 },
        Scheme::StandardWebhooks {
            tolerance_secs: u64::MAX,
        },
        Scheme::Stripe {
            header: "X-Sig".into(),
            tolerance_secs: 0,
        },
        Scheme::Basic { username: None },
        Scheme::TokenOrBasic {
            header: None,
            username: Some("user".into()),
        },
    ]
}

fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "(sha1=|sha256=)?[0-9a-fA-F]{0,70}",
        "(sha256=)?[A-Za-z0-9+/=]{0,50}",
        "t=-?[0-9]{1,22}(,v1=[0-9a-f]{0,66}){0,3}",
        "(v1,[A-Za-z0-9+/=]{0,50} ?){0,4}",
        "-?[0-9]{1,22}",
        // `Basic ` + base64 of random bytes: gets past base64 to the UTF-8 and `user:pass` parsing
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(|raw| format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )),
    ]
}

const HEADER_NAMES: &[&str] = &[
    "x-sig",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "authorization",
];

fn fixtures() -> &'static [Value] {
    static FIXTURES: OnceLock<Vec<Value>> = OnceLock::new();
    FIXTURES.get_or_init(read_fixtures)
}

fn read_fixtures() -> Vec<Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out: Vec<Value> = Vec::new();
    for dir in std::fs::read_dir(root).expect("tests/fixtures") {
        for file in std::fs::read_dir(dir.expect("dir").path()).expect("provider dir") {
            let text = std::fs::read(file.expect("file").path()).expect("fixture");
            out.push(serde_json::from_slice(&text).expect("fixtures are JSON"));
        }
    }
    out.sort_by_key(|v| v.to_string());
    out
}

fn kinds() -> Vec<ProviderKind> {
    vec![
        ProviderKind::FlexportV1,
        ProviderKind::FlexportV2,
        ProviderKind::FlexportLogistics,
        ProviderKind::FlexOps,
        ProviderKind::Generic(GenericFields::default()),
        ProviderKind::Generic(GenericFields {
            id_pointer: Some("/event/id".into()),
            type_pointer: Some("/event/type".into()),
            subject_pointer: Some("/shipment/reference".into()),
            time_pointer: Some("/event/occurred_at".into()),
        }),
        ProviderKind::Generic(GenericFields {
            id_pointer: Some(String::new()),
            type_pointer: Some("/".into()),
            subject_pointer: Some("/~1a/0/~0b".into()),
            time_pointer: Some("/a~".into()),
        }),
    ]
}

/// Every normaliser on `body`: no panic, and every event reads back from its JSON unchanged.
fn normalize_everywhere(body: &[u8]) -> Result<(), TestCaseError> {
    let cx = Context {
        source_id: "prop",
        received_at: Utc.timestamp_opt(1_773_153_000, 0).unwrap(),
    };
    let mut n = 0u128;
    let mut random = || {
        n += 1;
        n
    };
    for kind in kinds() {
        if let Ok(normalized) = providers::normalize(&kind, cx, body, &mut random) {
            for event in normalized.events {
                let json = serde_json::to_string(&event).expect("an event serialises");
                let back: Event = serde_json::from_str(&json).expect("an event reads back");
                prop_assert_eq!(back, event, "{} changed in a round trip", kind.name());
            }
        }
    }
    Ok(())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[a-z_./#]{0,30}".prop_map(Value::String),
        "20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9](Z|[+-][0-9]{2}:[0-9]{2})"
            .prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec(("[a-z_]{1,12}", inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// Every JSON pointer in `value`, including the root.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                pointers(
                    v,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                pointers(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn verify_never_panics_for_any_scheme(
        values in proptest::collection::vec(header_value(), HEADER_NAMES.len()),
        body in proptest::collection::vec(any::<u8>(), 0..128),
        secrets in proptest::collection::vec("(whsec_)?[A-Za-z0-9+/=:]{0,24}", 0..3),
        now_unix in any::<i64>(),
    ) {
        let headers: Vec<(&str, &str)> =
            HEADER_NAMES.iter().copied().zip(values.iter().map(String::as_str)).collect();
        let secrets: Vec<Secret> = secrets.into_iter().map(Secret::new).collect();
        for scheme in other_schemes() {
            let _ = auth::verify(&scheme, &secrets, &headers.as_slice(), &body, now_unix);
        }
    }

    #[test]
    fn normalize_never_panics_on_random_bytes(body in proptest::collection::vec(any::<u8>(), 0..256)) {
        normalize_everywhere(&body)?;
    }

    #[test]
    fn normalize_never_panics_on_random_json_and_round_trips(
        value in json_value(),
        fixture in any::<prop::sample::Index>(),
        spot in any::<prop::sample::Index>(),
    ) {
        // The value alone, and grafted into a real fixture so the envelope checks pass.
        normalize_everywhere(value.to_string().as_bytes())?;
        let fixtures = fixtures();
        let mut doc = fixtures[fixture.index(fixtures.len())].clone();
        let mut spots = Vec::new();
        pointers(&doc, String::new(), &mut spots);
        let spot = &spots[spot.index(spots.len())];
        if let Some(slot) = doc.pointer_mut(spot) {
            *slot = value;
        }
        normalize_everywhere(doc.to_string().as_bytes())?;
    }

    #[test]
    fn config_never_panics(
        text in prop_oneof![
            any::<String>(),
            "(\\[(server|redis|ingest|api|delivery|metrics|log)\\]\n|\\[\\[sources\\]\\]\n|[a-z_]{1,16} = (\"[^\"\n]{0,20}\"|-?[0-9]{1,20}|true|\\[\\]|\\{\\})\n){0,12}",
        ],
        env in proptest::collection::vec(
            ("SHIPRELAY_[A-Z0-9_]{0,30}", "[ -~]{0,20}"), 0..4),
    ) {
        let _ = Config::from_toml(&text, env);
    }
}
