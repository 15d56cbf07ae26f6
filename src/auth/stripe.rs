//! Stripe-style signatures: `t=<unix>,v1=<hex>[,v1=<hex>...]` in one header, HMAC-SHA256 over
//! `{t}.{body}` keyed with the secret string as it is, so a replayed request expires.

use super::{AuthError, Digest, Encoding, HeaderSource, codec, mac, timestamp};
use crate::secret::Secret;

const DIGEST: Digest = Digest::Sha256;

pub(super) fn verify(
    header: &str,
    tolerance_secs: u64,
    secrets: &[Secret],
    headers: &dyn HeaderSource,
    body: &[u8],
    now_unix: i64,
) -> Result<(), AuthError> {
    let malformed = |reason| AuthError::Malformed {
        header: header.into(),
        reason,
    };
    let value = headers
        .header(header)
        .ok_or_else(|| AuthError::MissingHeader(header.into()))?;
    let signature = parse(value);
    let sent_at = signature
        .sent_at
        .ok_or_else(|| malformed("there is no t= timestamp"))?;
    if signature.v1.is_empty() {
        return Err(malformed("there is no well-formed v1 signature"));
    }
    timestamp::ensure_fresh(header, sent_at, now_unix, tolerance_secs)?;

    let keys = secrets.iter().map(|secret| secret.expose().as_bytes());
    let message = [sent_at.as_bytes(), b".", body];
    if mac::signed_by_any(DIGEST, keys, &message, &signature.v1) {
        Ok(())
    } else {
        Err(AuthError::Mismatch(header.into()))
    }
}

struct StripeSignature<'a> {
    /// The first `t=` value, verbatim: it is part of the signed content.
    sent_at: Option<&'a str>,
    /// Every decodable `v1=` digest; other keys and undecodable digests are skipped.
    v1: Vec<Vec<u8>>,
}

fn parse(value: &str) -> StripeSignature<'_> {
    let mut signature = StripeSignature {
        sent_at: None,
        v1: Vec::new(),
    };
    for (key, item) in value.split(',').filter_map(|pair| pair.split_once('=')) {
        let item = item.trim();
        match key.trim() {
            "t" if signature.sent_at.is_none() => signature.sent_at = Some(item),
            "v1" => {
                if let Ok(digest) = codec::decode_digest(Encoding::Hex, item)
                    && digest.len() == DIGEST.output_len()
                {
                    signature.v1.push(digest);
                }
            }
            _ => {}
        }
    }
    signature
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Scheme, verify as verify_request};

    const HEADER: &str = "Stripe-Signature";
    const SECRET: &str = "whsec_stripe_test_secret";
    const SENT_AT: i64 = 1_700_000_000;
    const BODY: &[u8] = br#"{"id":"evt_1"}"#;
    const TOLERANCE: u64 = 300;

    fn scheme() -> Scheme {
        Scheme::Stripe {
            header: HEADER.into(),
            tolerance_secs: TOLERANCE,
        }
    }

    fn v1(secret: &str, sent_at: i64, body: &[u8]) -> String {
        let message = [sent_at.to_string().as_bytes(), b".", body].concat();
        hex::encode(mac::hmac(DIGEST, secret.as_bytes(), &[&message]).expect("non-empty key"))
    }

    fn header_for(secret: &str, body: &[u8]) -> String {
        format!("t={SENT_AT},v1={}", v1(secret, SENT_AT, body))
    }

    fn check_at(
        secret_values: &[&str],
        value: &str,
        body: &[u8],
        now_unix: i64,
    ) -> Result<(), AuthError> {
        let secrets: Vec<Secret> = secret_values.iter().map(|v| Secret::new(*v)).collect();
        verify_request(&scheme(), &secrets, &[(HEADER, value)], body, now_unix)
    }

    fn check(secret_values: &[&str], value: &str, body: &[u8]) -> Result<(), AuthError> {
        check_at(secret_values, value, body, SENT_AT)
    }

    fn malformed(reason: &'static str) -> Result<(), AuthError> {
        Err(AuthError::Malformed {
            header: HEADER.into(),
            reason,
        })
    }

    fn mismatch() -> Result<(), AuthError> {
        Err(AuthError::Mismatch(HEADER.into()))
    }

    #[test]
    fn a_signature_from_the_secret_verifies() {
        assert_eq!(check(&[SECRET], &header_for(SECRET, BODY), BODY), Ok(()));
    }

    #[test]
    fn an_independently_computed_signature_verifies() {
        // Python: hmac.new(SECRET, b'1700000000.{"id":"evt_1"}', sha256).hexdigest()
        let value =
            "t=1700000000,v1=7c0fc9e21f450ba87134ef233aeeaa8a134ff7b9f6addfe9b298dd1bb31531b5";
        assert_eq!(check(&[SECRET], value, BODY), Ok(()));
    }

    #[test]
    fn whitespace_other_keys_and_upper_case_hex_are_accepted() {
        let digest = v1(SECRET, SENT_AT, BODY).to_uppercase();
        let value = format!(" t = {SENT_AT} , v0=abc, scheme=x ,v1= {digest} ,junk");
        assert_eq!(check(&[SECRET], &value, BODY), Ok(()));
    }

    #[test]
    fn any_of_several_v1_signatures_may_match() {
        let value = format!(
            "t={SENT_AT},v1={},v1=zz,v1={}",
            v1("old", SENT_AT, BODY),
            v1(SECRET, SENT_AT, BODY)
        );
        assert_eq!(check(&[SECRET], &value, BODY), Ok(()));
    }

    #[test]
    fn wrong_secret_is_a_mismatch() {
        assert_eq!(
            check(&["other"], &header_for(SECRET, BODY), BODY),
            mismatch()
        );
    }

    #[test]
    fn any_rotated_secret_verifies() {
        assert_eq!(
            check(&["newest", SECRET], &header_for(SECRET, BODY), BODY),
            Ok(())
        );
    }

    #[test]
    fn the_timestamp_is_part_of_the_signed_content() {
        let value = format!("t={},v1={}", SENT_AT + 1, v1(SECRET, SENT_AT, BODY));
        assert_eq!(check(&[SECRET], &value, BODY), mismatch());
    }

    #[test]
    fn the_body_is_signed_even_when_empty() {
        assert_eq!(check(&[SECRET], &header_for(SECRET, b""), b""), Ok(()));
        assert_eq!(check(&[SECRET], &header_for(SECRET, BODY), b""), mismatch());
        assert_eq!(check(&[SECRET], &header_for(SECRET, b""), BODY), mismatch());
    }

    #[test]
    fn timestamps_are_accepted_up_to_the_tolerance_either_way() {
        let value = header_for(SECRET, BODY);
        let tolerance = TOLERANCE as i64;
        let stale = Err(AuthError::StaleTimestamp {
            header: HEADER.into(),
            tolerance_secs: TOLERANCE,
        });
        assert_eq!(
            check_at(&[SECRET], &value, BODY, SENT_AT + tolerance),
            Ok(())
        );
        assert_eq!(
            check_at(&[SECRET], &value, BODY, SENT_AT - tolerance),
            Ok(())
        );
        assert_eq!(
            check_at(&[SECRET], &value, BODY, SENT_AT + tolerance + 1),
            stale
        );
        assert_eq!(
            check_at(&[SECRET], &value, BODY, SENT_AT - tolerance - 1),
            stale
        );
    }

    #[test]
    fn a_truncated_header_is_malformed() {
        let full = header_for(SECRET, BODY);
        assert_eq!(
            check(&[SECRET], &full[..full.len() - 1], BODY),
            malformed("there is no well-formed v1 signature")
        );
        assert_eq!(
            check(&[SECRET], &format!("t={SENT_AT}"), BODY),
            malformed("there is no well-formed v1 signature")
        );
        let without_timestamp = format!("v1={}", v1(SECRET, SENT_AT, BODY));
        assert_eq!(
            check(&[SECRET], &without_timestamp, BODY),
            malformed("there is no t= timestamp")
        );
    }

    #[test]
    fn a_garbled_header_is_malformed() {
        for garbled in ["", "garbage", "t", ",,,=,="] {
            assert_eq!(
                check(&[SECRET], garbled, BODY),
                malformed("there is no t= timestamp"),
                "{garbled}"
            );
        }
        let bad_time = format!("t=yesterday,v1={}", v1(SECRET, SENT_AT, BODY));
        assert!(matches!(
            check(&[SECRET], &bad_time, BODY),
            Err(AuthError::Malformed { .. })
        ));
    }

    #[test]
    fn a_wrong_prefix_is_malformed() {
        let value = format!("t={SENT_AT},v1=sha256={}", v1(SECRET, SENT_AT, BODY));
        assert_eq!(
            check(&[SECRET], &value, BODY),
            malformed("there is no well-formed v1 signature")
        );
        let value = format!("t={SENT_AT},v0={}", v1(SECRET, SENT_AT, BODY));
        assert_eq!(
            check(&[SECRET], &value, BODY),
            malformed("there is no well-formed v1 signature")
        );
    }

    #[test]
    fn the_header_name_is_configurable_and_case_insensitive() {
        let value = header_for(SECRET, BODY);
        let headers = [("stripe-SIGNATURE", value.as_str())];
        let result = verify_request(&scheme(), &[Secret::new(SECRET)], &headers, BODY, SENT_AT);
        assert_eq!(result, Ok(()));
        let custom = Scheme::Stripe {
            header: "X-Acme-Signature".into(),
            tolerance_secs: TOLERANCE,
        };
        let result = verify_request(&custom, &[Secret::new(SECRET)], &headers, BODY, SENT_AT);
        assert_eq!(
            result,
            Err(AuthError::MissingHeader("X-Acme-Signature".into()))
        );
    }
}
