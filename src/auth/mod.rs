//! Inbound request authentication: pure functions from (scheme, secrets, headers, raw body, now)
//! to accept or a reason to refuse.
//!
//! Every comparison with a secret or a computed digest is constant-time, and no error carries a
//! secret or an expected digest, so errors can go to logs and problem bodies as they are. Secrets
//! are tried newest first; any one of them verifies, which is how rotation works without downtime.
//! Time is passed in (`now_unix`) so that timestamp tolerance is testable.

mod codec;
mod hmac_header;
mod mac;
pub mod standard_webhooks;
mod stripe;
mod timestamp;
mod token;

use crate::secret::Secret;

/// Case-insensitive header lookup, so this module does not depend on an HTTP framework.
pub trait HeaderSource {
    /// The header's value, if present and valid UTF-8 (the first one, if repeated).
    fn header(&self, name: &str) -> Option<&str>;
}

impl HeaderSource for [(&str, &str)] {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// Lets an unsized source such as a slice of pairs be passed as `&dyn HeaderSource` (`&slice`).
impl<H: HeaderSource + ?Sized> HeaderSource for &H {
    fn header(&self, name: &str) -> Option<&str> {
        (**self).header(name)
    }
}

impl<const N: usize> HeaderSource for [(&str, &str); N] {
    fn header(&self, name: &str) -> Option<&str> {
        self.as_slice().header(name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digest {
    Sha1,
    Sha256,
}

impl Digest {
    /// Length in bytes of this digest's HMAC.
    pub fn output_len(self) -> usize {
        match self {
            Digest::Sha1 => 20,
            Digest::Sha256 => 32,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Hex,
    Base64,
}

/// An HMAC over the raw body, carried in one header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HmacScheme {
    pub header: String,
    pub digest: Digest,
    pub encoding: Encoding,
    /// Text before the digest, e.g. `sha256=`.
    pub prefix: Option<String>,
    /// Accept the digest with or without `prefix` (for senders whose format is not settled).
    pub prefix_optional: bool,
}

/// How a source proves a request is genuine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scheme {
    /// One HMAC header (covers GitHub style, FlexOps, Shopify style and most others).
    Hmac(HmacScheme),
    /// Flexport v2: `X-Hub-Signature-256` (HMAC-SHA256) when present, else `X-Hub-Signature`
    /// (HMAC-SHA1); hex, with or without the `sha256=`/`sha1=` prefix.
    FlexportV2,
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`, key is the
    /// base64-decoded part of a `whsec_` secret.
    StandardWebhooks { tolerance_secs: u64 },
    /// Stripe style: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=...]` over `{t}.{body}`.
    Stripe { header: String, tolerance_secs: u64 },
    /// A static token in a named header, equal to one of the secrets.
    Token { header: String },
    /// HTTP Basic: the password is one of the secrets; the user name must match when set.
    Basic { username: Option<String> },
    /// Flexport Logistics API: a token header (when configured) or HTTP Basic credentials.
    TokenOrBasic {
        header: Option<String>,
        username: Option<String>,
    },
}

impl Scheme {
    /// GitHub style `X-Hub-Signature: sha1=<hex>` (also Flexport API v1).
    pub fn hub_sha1() -> Scheme {
        Scheme::Hmac(HmacScheme {
            header: "X-Hub-Signature".into(),
            digest: Digest::Sha1,
            encoding: Encoding::Hex,
            prefix: Some("sha1=".into()),
            prefix_optional: false,
        })
    }

    /// GitHub style `X-Hub-Signature-256: sha256=<hex>`.
    pub fn hub_sha256() -> Scheme {
        Scheme::Hmac(HmacScheme {
            header: "X-Hub-Signature-256".into(),
            digest: Digest::Sha256,
            encoding: Encoding::Hex,
            prefix: Some("sha256=".into()),
            prefix_optional: false,
        })
    }

    /// FlexOps: `X-FlexOps-Signature: <hex HMAC-SHA256>`, the whole `whsec_...` string as key.
    pub fn flexops() -> Scheme {
        Scheme::Hmac(HmacScheme {
            header: "X-FlexOps-Signature".into(),
            digest: Digest::Sha256,
            encoding: Encoding::Hex,
            prefix: None,
            prefix_optional: false,
        })
    }
}

/// Why a request was refused. Safe to log and to show to the caller: it names headers, never
/// secrets or digests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the {0} header is missing")]
    MissingHeader(String),
    #[error("the {header} header is malformed: {reason}")]
    Malformed {
        header: String,
        reason: &'static str,
    },
    #[error("the {0} header does not match any configured secret")]
    Mismatch(String),
    #[error("the {header} timestamp is outside the allowed tolerance of {tolerance_secs} s")]
    StaleTimestamp { header: String, tolerance_secs: u64 },
}

/// Accepts the request when `headers` carry a credential that one of `secrets` verifies for `body`.
pub fn verify(
    scheme: &Scheme,
    secrets: &[Secret],
    headers: &dyn HeaderSource,
    body: &[u8],
    now_unix: i64,
) -> Result<(), AuthError> {
    match scheme {
        Scheme::Hmac(hmac) => hmac_header::verify(hmac, secrets, headers, body),
        Scheme::FlexportV2 => hmac_header::verify_flexport_v2(secrets, headers, body),
        Scheme::StandardWebhooks { tolerance_secs } => {
            standard_webhooks::verify(*tolerance_secs, secrets, headers, body, now_unix)
        }
        Scheme::Stripe {
            header,
            tolerance_secs,
        } => stripe::verify(header, *tolerance_secs, secrets, headers, body, now_unix),
        Scheme::Token { header } => token::verify_token(header, secrets, headers),
        Scheme::Basic { username } => token::verify_basic(username.as_deref(), secrets, headers),
        Scheme::TokenOrBasic { header, username } => {
            token::verify_token_or_basic(header.as_deref(), username.as_deref(), secrets, headers)
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn every_scheme() -> Vec<Scheme> {
        vec![
            Scheme::hub_sha1(),
            Scheme::hub_sha256(),
            Scheme::flexops(),
            Scheme::Hmac(HmacScheme {
                header: "X-Shopify-Hmac-Sha256".into(),
                digest: Digest::Sha256,
                encoding: Encoding::Base64,
                prefix: Some("sha256=".into()),
                prefix_optional: true,
            }),
            Scheme::FlexportV2,
            Scheme::StandardWebhooks {
                tolerance_secs: 300,
            },
            Scheme::Stripe {
                header: "Stripe-Signature".into(),
                tolerance_secs: u64::MAX,
            },
            Scheme::Token {
                header: "X-Token".into(),
            },
            Scheme::Basic {
                username: Some("u".into()),
            },
            Scheme::TokenOrBasic {
                header: Some("X-Token".into()),
                username: None,
            },
        ]
    }

    const HEADER_NAMES: &[&str] = &[
        "X-Hub-Signature",
        "X-Hub-Signature-256",
        "X-FlexOps-Signature",
        "X-Shopify-Hmac-Sha256",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "Stripe-Signature",
        "X-Token",
        "Authorization",
    ];

    /// Header values that look almost right, so the parsers get past their first checks.
    fn header_value() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "(sha1=|sha256=|v1,|t=|Basic )?[0-9a-fA-F=+/, v1t:]{0,80}",
            "t=-?[0-9]{1,25},v1=[0-9a-f]{0,70}",
            "(v1,[A-Za-z0-9+/=]{0,50} ?){0,4}",
        ]
    }

    proptest! {
        #[test]
        fn verify_never_panics(
            values in proptest::collection::vec(header_value(), HEADER_NAMES.len()),
            body in proptest::collection::vec(any::<u8>(), 0..256),
            secrets in proptest::collection::vec("(whsec_)?[A-Za-z0-9+/=:]{0,24}", 0..3),
            now_unix in any::<i64>(),
        ) {
            let headers: Vec<(&str, &str)> = HEADER_NAMES
                .iter()
                .copied()
                .zip(values.iter().map(String::as_str))
                .collect();
            let secrets: Vec<Secret> = secrets.into_iter().map(Secret::new).collect();
            for scheme in every_scheme() {
                let _ = verify(&scheme, &secrets, &headers.as_slice(), &body, now_unix);
            }
        }
    }

    #[test]
    fn errors_never_contain_the_secret_or_the_expected_digest() {
        let secret = Secret::new("s3cr3t-value");
        let expected = hex::encode(
            mac::hmac(Digest::Sha256, secret.expose().as_bytes(), &[b"body"]).unwrap_or_default(),
        );
        let headers = [("X-Hub-Signature-256", "sha256=00")];
        let error = verify(
            &Scheme::hub_sha256(),
            std::slice::from_ref(&secret),
            &headers,
            b"body",
            0,
        )
        .expect_err("a bad digest is refused");
        let shown = format!("{error} {error:?}");
        assert!(
            !shown.contains(secret.expose()) && !shown.contains(&expected),
            "{shown}"
        );
    }
}
