//! Schemes that carry one HMAC of the raw body in one header: GitHub style, FlexOps, Shopify style,
//! Flexport v1, and Flexport v2 (which sends two such headers and lets the stronger one decide).

use super::{AuthError, Digest, Encoding, HeaderSource, HmacScheme, codec, mac};
use crate::secret::Secret;

const FLEXPORT_SHA256_HEADER: &str = "X-Hub-Signature-256";
const FLEXPORT_SHA1_HEADER: &str = "X-Hub-Signature";

/// What may precede the digest in the header value.
#[derive(Debug, Clone, Copy)]
enum Prefix<'a> {
    None,
    Required(&'a str),
    Optional(&'a str),
}

#[derive(Debug, Clone, Copy)]
struct SignatureHeader<'a> {
    name: &'a str,
    digest: Digest,
    encoding: Encoding,
    prefix: Prefix<'a>,
}

pub(super) fn verify(
    scheme: &HmacScheme,
    secrets: &[Secret],
    headers: &dyn HeaderSource,
    body: &[u8],
) -> Result<(), AuthError> {
    let prefix = match (scheme.prefix.as_deref(), scheme.prefix_optional) {
        (None, _) => Prefix::None,
        (Some(prefix), false) => Prefix::Required(prefix),
        (Some(prefix), true) => Prefix::Optional(prefix),
    };
    let signature = SignatureHeader {
        name: &scheme.header,
        digest: scheme.digest,
        encoding: scheme.encoding,
        prefix,
    };
    verify_signature_header(signature, secrets, headers, body)
}

/// Flexport v2 sends SHA-256 and SHA-1 signatures; SHA-1 is only consulted when SHA-256 is absent.
pub(super) fn verify_flexport_v2(
    secrets: &[Secret],
    headers: &dyn HeaderSource,
    body: &[u8],
) -> Result<(), AuthError> {
    let signature = if headers.header(FLEXPORT_SHA256_HEADER).is_some() {
        SignatureHeader {
            name: FLEXPORT_SHA256_HEADER,
            digest: Digest::Sha256,
            encoding: Encoding::Hex,
            prefix: Prefix::Optional("sha256="),
        }
    } else if headers.header(FLEXPORT_SHA1_HEADER).is_some() {
        SignatureHeader {
            name: FLEXPORT_SHA1_HEADER,
            digest: Digest::Sha1,
            encoding: Encoding::Hex,
            prefix: Prefix::Optional("sha1="),
        }
    } else {
        return Err(AuthError::MissingHeader(FLEXPORT_SHA256_HEADER.into()));
    };
    verify_signature_header(signature, secrets, headers, body)
}

fn verify_signature_header(
    signature: SignatureHeader<'_>,
    secrets: &[Secret],
    headers: &dyn HeaderSource,
    body: &[u8],
) -> Result<(), AuthError> {
    let malformed = |reason| AuthError::Malformed {
        header: signature.name.into(),
        reason,
    };
    let value = headers
        .header(signature.name)
        .ok_or_else(|| AuthError::MissingHeader(signature.name.into()))?
        .trim();
    let encoded = match signature.prefix {
        Prefix::None => value,
        Prefix::Required(prefix) => value
            .strip_prefix(prefix)
            .ok_or_else(|| malformed("the digest lacks the expected prefix"))?,
        Prefix::Optional(prefix) => value.strip_prefix(prefix).unwrap_or(value),
    };
    let presented = codec::decode_digest(signature.encoding, encoded).map_err(malformed)?;
    if presented.len() != signature.digest.output_len() {
        return Err(malformed("the digest has the wrong length"));
    }
    let keys = secrets.iter().map(|secret| secret.expose().as_bytes());
    if mac::signed_by_any(signature.digest, keys, &[body], &[presented]) {
        Ok(())
    } else {
        Err(AuthError::Mismatch(signature.name.into()))
    }
}

#[cfg(test)]
mod tests;
