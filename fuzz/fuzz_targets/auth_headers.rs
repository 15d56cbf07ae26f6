//! Every signature/credential header parser behind `auth::verify`, for every `Scheme` variant:
//! never panics, whatever the headers, body, secrets and clock.
//!
//! Input layout (readable, so real requests make good seeds; see `fuzz/seeds/auth_headers/`):
//!
//! ```text
//! <secret>[\t<secret>...]\n
//! <now, unix seconds>\n
//! <Header-Name>: <value>\n      (any number of lines)
//! \n
//! <body bytes>
//! ```
#![no_main]

use libfuzzer_sys::fuzz_target;
use shiprelay::auth::{self, Digest, Encoding, HmacScheme, Scheme};
use shiprelay::secret::Secret;

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

fn schemes() -> Vec<Scheme> {
    let mut all = vec![
        Scheme::hub_sha1(),
        Scheme::hub_sha256(),
        Scheme::flexops(),
        // hex / base64, with a prefix (required or optional) and without one
        hmac(
            "X-Hub-Signature-256",
            Digest::Sha256,
            Encoding::Hex,
            Some("sha256="),
            true,
        ),
        hmac("X-Hub-Signature", Digest::Sha1, Encoding::Hex, None, false),
        hmac(
            "X-Shopify-Hmac-Sha256",
            Digest::Sha256,
            Encoding::Base64,
            None,
            false,
        ),
        hmac(
            "X-Shopify-Hmac-Sha256",
            Digest::Sha256,
            Encoding::Base64,
            Some("sha256="),
            false,
        ),
        hmac(
            "X-Shopify-Hmac-Sha256",
            Digest::Sha256,
            Encoding::Base64,
            Some("sha256="),
            true,
        ),
        hmac("X-Sig", Digest::Sha1, Encoding::Base64, Some(""), true),
        Scheme::FlexportV2,
        Scheme::Token {
            header: "X-Token".into(),
        },
        Scheme::Basic { username: None },
        Scheme::Basic {
            username: Some("user".into()),
        },
        Scheme::TokenOrBasic {
            header: None,
            username: None,
        },
        Scheme::TokenOrBasic {
            header: Some("X-Token".into()),
            username: Some("user".into()),
        },
    ];
    for tolerance_secs in [0, 300, u64::MAX] {
        all.push(Scheme::StandardWebhooks { tolerance_secs });
        all.push(Scheme::Stripe {
            header: "Stripe-Signature".into(),
            tolerance_secs,
        });
    }
    all
}

fuzz_target!(|data: &[u8]| {
    let split = data.windows(2).position(|w| w == b"\n\n");
    let (head, body) = match split {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split('\n');
    let secrets: Vec<Secret> = lines
        .next()
        .unwrap_or_default()
        .split('\t')
        .map(Secret::new)
        .collect();
    let now_line = lines.next().unwrap_or_default().trim();
    let now_unix = now_line.parse::<i64>().unwrap_or_else(|_| {
        now_line
            .bytes()
            .fold(0i64, |a, b| a.wrapping_mul(31).wrapping_add(b as i64))
    });
    let headers: Vec<(&str, &str)> = lines
        .map(|line| match line.split_once(':') {
            Some((name, value)) => (name, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        })
        .collect();
    for scheme in schemes() {
        let _ = auth::verify(&scheme, &secrets, &headers.as_slice(), body, now_unix);
    }
});
