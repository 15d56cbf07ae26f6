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
