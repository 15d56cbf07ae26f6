//! Standard Webhooks (standardwebhooks.com): verifies inbound requests and signs outbound ones, so
//! the relay's own deliveries are checkable with any Standard Webhooks library.

use base64::Engine;

use super::{AuthError, Digest, Encoding, HeaderSource, codec, mac, timestamp};
use crate::secret::Secret;

const ID_HEADER: &str = "webhook-id";
const TIMESTAMP_HEADER: &str = "webhook-timestamp";
const SIGNATURE_HEADER: &str = "webhook-signature";
const SECRET_PREFIX: &str = "whsec_";
const VERSION_PREFIX: &str = "v1,";
const DIGEST: Digest = Digest::Sha256;

pub(super) fn verify(
    tolerance_secs: u64,
    secrets: &[Secret],
    headers: &dyn HeaderSource,
    body: &[u8],
    now_unix: i64,
) -> Result<(), AuthError> {
    let required = |name: &str| {
        headers
            .header(name)
            .map(str::trim)
            .ok_or_else(|| AuthError::MissingHeader(name.into()))
    };
    let msg_id = required(ID_HEADER)?;
    let sent_at = required(TIMESTAMP_HEADER)?;
    let presented = v1_signatures(required(SIGNATURE_HEADER)?);
    if presented.is_empty() {
        return Err(AuthError::Malformed {
            header: SIGNATURE_HEADER.into(),
            reason: "there is no well-formed v1 signature",
        });
    }
    timestamp::ensure_fresh(TIMESTAMP_HEADER, sent_at, now_unix, tolerance_secs)?;

    let keys = secrets.iter().filter_map(signing_key);
    let message = signed_content(msg_id, sent_at, body);
    if mac::signed_by_any(DIGEST, keys, &message, &presented) {
        Ok(())
    } else {
        Err(AuthError::Mismatch(SIGNATURE_HEADER.into()))
    }
}

/// The `webhook-signature` value for an outbound message; `None` when the secret is not a
/// base64 key (with or without `whsec_`).
pub fn sign(secret: &Secret, msg_id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = signing_key(secret)?;
    let sent_at = timestamp.to_string();
    let signature = mac::hmac(DIGEST, &key, &signed_content(msg_id, &sent_at, body))?;
    Some(format!(
        "{VERSION_PREFIX}{}",
        codec::BASE64.encode(signature)
    ))
}

fn signing_key(secret: &Secret) -> Option<Vec<u8>> {
    let encoded = secret.expose();
    let encoded = encoded.strip_prefix(SECRET_PREFIX).unwrap_or(encoded);
    codec::BASE64.decode(encoded).ok()
}

fn signed_content<'a>(msg_id: &'a str, sent_at: &'a str, body: &'a [u8]) -> [&'a [u8]; 5] {
    [msg_id.as_bytes(), b".", sent_at.as_bytes(), b".", body]
}

/// The decodable v1 signatures of a space-separated list; other versions and garbage are skipped.
fn v1_signatures(value: &str) -> Vec<Vec<u8>> {
    value
        .split_ascii_whitespace()
        .filter_map(|entry| entry.strip_prefix(VERSION_PREFIX))
        .filter_map(|encoded| codec::decode_digest(Encoding::Base64, encoded).ok())
        .filter(|signature| signature.len() == DIGEST.output_len())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Scheme, verify as verify_request};

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const MSG_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SENT_AT: i64 = 1614265330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    const TOLERANCE: u64 = 300;
    const SCHEME: Scheme = Scheme::StandardWebhooks {
        tolerance_secs: TOLERANCE,
    };

    fn check_at(
        secret_values: &[&str],
        signature: &str,
        body: &[u8],
        now_unix: i64,
    ) -> Result<(), AuthError> {
        let sent_at = SENT_AT.to_string();
        let headers = [
            ("webhook-id", MSG_ID),
            ("webhook-timestamp", sent_at.as_str()),
            ("webhook-signature", signature),
        ];
        let secrets: Vec<Secret> = secret_values.iter().map(|v| Secret::new(*v)).collect();
        verify_request(&SCHEME, &secrets, &headers, body, now_unix)
    }

    fn check(secret_values: &[&str], signature: &str, body: &[u8]) -> Result<(), AuthError> {
        check_at(secret_values, signature, body, SENT_AT)
    }

    fn mismatch() -> Result<(), AuthError> {
        Err(AuthError::Mismatch("webhook-signature".into()))
    }

    fn malformed_signature() -> Result<(), AuthError> {
        Err(AuthError::Malformed {
            header: "webhook-signature".into(),
            reason: "there is no well-formed v1 signature",
        })
    }

    fn stale() -> Result<(), AuthError> {
        Err(AuthError::StaleTimestamp {
            header: "webhook-timestamp".into(),
            tolerance_secs: TOLERANCE,
        })
    }

    #[test]
    fn published_vector_verifies() {
        assert_eq!(check(&[SECRET], SIGNATURE, BODY), Ok(()));
    }

    #[test]
    fn sign_reproduces_the_published_vector() {
        let signed = sign(&Secret::new(SECRET), MSG_ID, SENT_AT, BODY);
        assert_eq!(signed.as_deref(), Some(SIGNATURE));
    }

    #[test]
    fn sign_accepts_a_secret_without_the_whsec_prefix() {
        let bare = Secret::new(&SECRET[SECRET_PREFIX.len()..]);
        assert_eq!(
            sign(&bare, MSG_ID, SENT_AT, BODY).as_deref(),
            Some(SIGNATURE)
        );
    }

    #[test]
    fn sign_refuses_a_secret_that_is_not_base64() {
        assert_eq!(
            sign(&Secret::new("whsec_not base64!"), MSG_ID, SENT_AT, BODY),
            None
        );
        assert_eq!(sign(&Secret::new("whsec_"), MSG_ID, SENT_AT, BODY), None);
    }

    #[test]
    fn signed_output_verifies() {
        let secret = "whsec_c2VjcmV0LWtleS1ieXRlcw==";
        let signature = sign(&Secret::new(secret), MSG_ID, SENT_AT, b"").expect("base64 secret");
        assert_eq!(check(&[secret], &signature, b""), Ok(()));
    }

    #[test]
    fn wrong_secret_is_a_mismatch() {
        assert_eq!(check(&["whsec_c2VjcmV0"], SIGNATURE, BODY), mismatch());
    }

    #[test]
    fn a_secret_that_is_not_base64_never_verifies() {
        assert_eq!(check(&["whsec_***"], SIGNATURE, BODY), mismatch());
        assert_eq!(check(&["whsec_***", SECRET], SIGNATURE, BODY), Ok(()));
    }

    #[test]
    fn any_rotated_secret_verifies() {
        assert_eq!(check(&["whsec_c2VjcmV0", SECRET], SIGNATURE, BODY), Ok(()));
    }

    #[test]
    fn any_v1_entry_may_match_and_other_versions_are_ignored() {
        let other = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        let listed = format!("v2,abc {other}  v1a,xyz {SIGNATURE}");
        assert_eq!(check(&[SECRET], &listed, BODY), Ok(()));
        assert_eq!(check(&[SECRET], other, BODY), mismatch());
    }

    #[test]
    fn only_other_versions_is_malformed() {
        let v2 = SIGNATURE.replacen("v1,", "v2,", 1);
        assert_eq!(check(&[SECRET], &v2, BODY), malformed_signature());
    }

    #[test]
    fn a_truncated_signature_is_malformed() {
        for truncated in [&SIGNATURE[..SIGNATURE.len() - 4], "v1,", "v1"] {
            assert_eq!(
                check(&[SECRET], truncated, BODY),
                malformed_signature(),
                "{truncated}"
            );
        }
    }

    #[test]
    fn a_garbled_signature_is_malformed() {
        for garbled in [
            "",
            "garbage",
            "v1,***",
            "v1;g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        ] {
            assert_eq!(
                check(&[SECRET], garbled, BODY),
                malformed_signature(),
                "{garbled}"
            );
        }
    }

    #[test]
    fn the_body_is_signed_even_when_empty() {
        let empty = sign(&Secret::new(SECRET), MSG_ID, SENT_AT, b"").expect("base64 secret");
        assert_eq!(check(&[SECRET], &empty, b""), Ok(()));
        assert_eq!(check(&[SECRET], &empty, BODY), mismatch());
        assert_eq!(check(&[SECRET], SIGNATURE, b""), mismatch());
    }

    #[test]
    fn timestamps_are_accepted_up_to_the_tolerance_either_way() {
        let tolerance = TOLERANCE as i64;
        assert_eq!(
            check_at(&[SECRET], SIGNATURE, BODY, SENT_AT + tolerance),
            Ok(())
        );
        assert_eq!(
            check_at(&[SECRET], SIGNATURE, BODY, SENT_AT - tolerance),
            Ok(())
        );
        assert_eq!(
            check_at(&[SECRET], SIGNATURE, BODY, SENT_AT + tolerance + 1),
            stale()
        );
        assert_eq!(
            check_at(&[SECRET], SIGNATURE, BODY, SENT_AT - tolerance - 1),
            stale()
        );
    }

    #[test]
    fn a_timestamp_that_is_not_a_number_is_malformed() {
        for sent_at in ["soon", "1614265330.5", "99999999999999999999999"] {
            let headers = [
                ("webhook-id", MSG_ID),
                ("webhook-timestamp", sent_at),
                ("webhook-signature", SIGNATURE),
            ];
            let result = verify_request(&SCHEME, &[Secret::new(SECRET)], &headers, BODY, SENT_AT);
            assert!(
                matches!(&result, Err(AuthError::Malformed { header, .. }) if header == "webhook-timestamp"),
                "{sent_at}: {result:?}"
            );
        }
    }

    #[test]
    fn each_missing_header_is_named() {
        let sent_at = SENT_AT.to_string();
        let all = [
            ("webhook-id", MSG_ID),
            ("webhook-timestamp", sent_at.as_str()),
            ("webhook-signature", SIGNATURE),
        ];
        for missing in 0..all.len() {
            let headers: Vec<(&str, &str)> = (0..all.len())
                .filter(|&i| i != missing)
                .map(|i| all[i])
                .collect();
            let result = verify_request(
                &SCHEME,
                &[Secret::new(SECRET)],
                &headers.as_slice(),
                BODY,
                SENT_AT,
            );
            assert_eq!(result, Err(AuthError::MissingHeader(all[missing].0.into())));
        }
    }

    #[test]
    fn header_names_are_case_insensitive() {
        let sent_at = SENT_AT.to_string();
        let headers = [
            ("Webhook-Id", MSG_ID),
            ("WEBHOOK-TIMESTAMP", sent_at.as_str()),
            ("Webhook-Signature", SIGNATURE),
        ];
        let result = verify_request(&SCHEME, &[Secret::new(SECRET)], &headers, BODY, SENT_AT);
        assert_eq!(result, Ok(()));
    }
}
