//! Unit tests of `hmac_header`.

use base64::Engine;

use super::*;
use crate::auth::{Scheme, verify as verify_request};

const GITHUB_SECRET: &str = "It's a Secret to Everybody";
const GITHUB_BODY: &[u8] = b"Hello, World!";
const GITHUB_SIGNATURE: &str =
    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

const SHA1_SECRET: &str = "s3cr3t";
const SHA1_BODY: &[u8] = br#"{"_object":"/event","id":1,"type":"/shipment_leg#departed"}"#;
const SHA1_HEX: &str = "e7487f435580a4dddefdde39d53e2b6597104cf2";

const FLEXOPS_SECRET: &str = "whsec_your_signing_secret";
const FLEXOPS_BODY: &[u8] = br#"{"id":"evt_abc123","type":"tracking.updated"}"#;
const FLEXOPS_HEX: &str = "1e2a4307cf41001830ed6263fd1dbaa3be5375501a606be2b55af96cff5bc219";

fn secrets(values: &[&str]) -> Vec<Secret> {
    values.iter().map(|v| Secret::new(*v)).collect()
}

fn check(
    scheme: &Scheme,
    secret_values: &[&str],
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<(), AuthError> {
    verify_request(scheme, &secrets(secret_values), &headers, body, 0)
}

fn hex_mac(digest: Digest, secret: &str, body: &[u8]) -> String {
    hex::encode(mac::hmac(digest, secret.as_bytes(), &[body]).expect("non-empty key"))
}

fn malformed(header: &str) -> impl Fn(&Result<(), AuthError>) -> bool + '_ {
    move |result| matches!(result, Err(AuthError::Malformed { header: h, .. }) if h == header)
}

fn mismatch(header: &str) -> Result<(), AuthError> {
    Err(AuthError::Mismatch(header.into()))
}

fn shopify_style() -> Scheme {
    Scheme::Hmac(HmacScheme {
        header: "X-Shopify-Hmac-Sha256".into(),
        digest: Digest::Sha256,
        encoding: Encoding::Base64,
        prefix: None,
        prefix_optional: false,
    })
}

#[test]
fn github_vector_verifies() {
    let headers = [("X-Hub-Signature-256", GITHUB_SIGNATURE)];
    let scheme = Scheme::hub_sha256();
    assert_eq!(
        check(&scheme, &[GITHUB_SECRET], &headers, GITHUB_BODY),
        Ok(())
    );
}

#[test]
fn sha1_vector_verifies_as_flexport_v1() {
    let value = format!("sha1={SHA1_HEX}");
    let headers = [("X-Hub-Signature", value.as_str())];
    let scheme = Scheme::hub_sha1();
    assert_eq!(check(&scheme, &[SHA1_SECRET], &headers, SHA1_BODY), Ok(()));
}

#[test]
fn flexops_vector_verifies_with_the_whole_whsec_string_as_key() {
    let headers = [("X-FlexOps-Signature", FLEXOPS_HEX)];
    let scheme = Scheme::flexops();
    assert_eq!(
        check(&scheme, &[FLEXOPS_SECRET], &headers, FLEXOPS_BODY),
        Ok(())
    );
}

#[test]
fn upper_case_hex_verifies() {
    let upper = FLEXOPS_HEX.to_uppercase();
    let headers = [("X-FlexOps-Signature", upper.as_str())];
    let scheme = Scheme::flexops();
    assert_eq!(
        check(&scheme, &[FLEXOPS_SECRET], &headers, FLEXOPS_BODY),
        Ok(())
    );
}

#[test]
fn header_names_are_case_insensitive() {
    let headers = [("x-hub-signature-256", GITHUB_SIGNATURE)];
    let scheme = Scheme::hub_sha256();
    assert_eq!(
        check(&scheme, &[GITHUB_SECRET], &headers, GITHUB_BODY),
        Ok(())
    );
    let headers = [("X-FLEXOPS-SIGNATURE", FLEXOPS_HEX)];
    let scheme = Scheme::flexops();
    assert_eq!(
        check(&scheme, &[FLEXOPS_SECRET], &headers, FLEXOPS_BODY),
        Ok(())
    );
}

#[test]
fn base64_digests_verify() {
    let digest = mac::hmac(Digest::Sha256, b"shpss", &[b"{}"]).expect("non-empty key");
    let encoded = codec::BASE64.encode(digest);
    let headers = [("X-Shopify-Hmac-Sha256", encoded.as_str())];
    assert_eq!(check(&shopify_style(), &["shpss"], &headers, b"{}"), Ok(()));
    assert_eq!(
        check(&shopify_style(), &["other"], &headers, b"{}"),
        mismatch("X-Shopify-Hmac-Sha256")
    );
    let headers = [("X-Shopify-Hmac-Sha256", "not base64!")];
    let result = check(&shopify_style(), &["shpss"], &headers, b"{}");
    assert!(malformed("X-Shopify-Hmac-Sha256")(&result), "{result:?}");
}

#[test]
fn wrong_secret_is_a_mismatch() {
    let headers = [("X-Hub-Signature-256", GITHUB_SIGNATURE)];
    let scheme = Scheme::hub_sha256();
    assert_eq!(
        check(&scheme, &["not it"], &headers, GITHUB_BODY),
        mismatch("X-Hub-Signature-256")
    );
}

#[test]
fn a_changed_body_is_a_mismatch() {
    let headers = [("X-Hub-Signature-256", GITHUB_SIGNATURE)];
    let scheme = Scheme::hub_sha256();
    assert_eq!(
        check(&scheme, &[GITHUB_SECRET], &headers, b"Hello, World?"),
        mismatch("X-Hub-Signature-256")
    );
}

#[test]
fn no_secrets_is_a_mismatch() {
    let headers = [("X-Hub-Signature-256", GITHUB_SIGNATURE)];
    let scheme = Scheme::hub_sha256();
    assert_eq!(
        check(&scheme, &[], &headers, GITHUB_BODY),
        mismatch("X-Hub-Signature-256")
    );
}

#[test]
fn a_missing_header_is_named() {
    let scheme = Scheme::hub_sha256();
    assert_eq!(
        check(
            &scheme,
            &[GITHUB_SECRET],
            &[("X-Hub-Signature", "sha1=00")],
            GITHUB_BODY
        ),
        Err(AuthError::MissingHeader("X-Hub-Signature-256".into()))
    );
}

#[test]
fn a_truncated_digest_is_malformed() {
    let scheme = Scheme::hub_sha256();
    let is_malformed = malformed("X-Hub-Signature-256");
    for value in [
        &GITHUB_SIGNATURE[..GITHUB_SIGNATURE.len() - 2],
        &GITHUB_SIGNATURE[..GITHUB_SIGNATURE.len() - 1],
        "sha256=",
    ] {
        let result = check(
            &scheme,
            &[GITHUB_SECRET],
            &[("X-Hub-Signature-256", value)],
            GITHUB_BODY,
        );
        assert!(is_malformed(&result), "{value}: {result:?}");
    }
}

#[test]
fn a_garbled_digest_is_malformed() {
    let scheme = Scheme::hub_sha256();
    let is_malformed = malformed("X-Hub-Signature-256");
    for value in [
        "sha256=zz",
        "garbage",
        "",
        "sha256=757107ea0eb2509fc2\u{e9}",
    ] {
        let result = check(
            &scheme,
            &[GITHUB_SECRET],
            &[("X-Hub-Signature-256", value)],
            GITHUB_BODY,
        );
        assert!(is_malformed(&result), "{value}: {result:?}");
    }
}

#[test]
fn a_required_prefix_must_be_exactly_present() {
    let is_malformed = malformed("X-Hub-Signature");
    let sha1_with_sha256_prefix = format!("sha256={SHA1_HEX}");
    for value in [SHA1_HEX, sha1_with_sha256_prefix.as_str()] {
        let result = check(
            &Scheme::hub_sha1(),
            &[SHA1_SECRET],
            &[("X-Hub-Signature", value)],
            SHA1_BODY,
        );
        assert!(is_malformed(&result), "{value}: {result:?}");
    }
}

#[test]
fn a_prefix_where_none_is_expected_is_malformed() {
    let value = format!("sha256={FLEXOPS_HEX}");
    let result = check(
        &Scheme::flexops(),
        &[FLEXOPS_SECRET],
        &[("X-FlexOps-Signature", &value)],
        FLEXOPS_BODY,
    );
    assert!(malformed("X-FlexOps-Signature")(&result), "{result:?}");
}

#[test]
fn an_optional_prefix_accepts_both_forms() {
    let scheme = Scheme::Hmac(HmacScheme {
        prefix_optional: true,
        ..match Scheme::hub_sha1() {
            Scheme::Hmac(hmac) => hmac,
            _ => unreachable!(),
        }
    });
    let prefixed = format!("sha1={SHA1_HEX}");
    for value in [SHA1_HEX, prefixed.as_str()] {
        let headers = [("X-Hub-Signature", value)];
        assert_eq!(
            check(&scheme, &[SHA1_SECRET], &headers, SHA1_BODY),
            Ok(()),
            "{value}"
        );
    }
}

#[test]
fn an_empty_body_is_signed_like_any_other() {
    let empty_mac = format!("sha256={}", hex_mac(Digest::Sha256, GITHUB_SECRET, b""));
    let headers = [("X-Hub-Signature-256", empty_mac.as_str())];
    let scheme = Scheme::hub_sha256();
    assert_eq!(check(&scheme, &[GITHUB_SECRET], &headers, b""), Ok(()));
    let headers = [("X-Hub-Signature-256", GITHUB_SIGNATURE)];
    assert_eq!(
        check(&scheme, &[GITHUB_SECRET], &headers, b""),
        mismatch("X-Hub-Signature-256")
    );
}

#[test]
fn any_rotated_secret_verifies() {
    let headers = [("X-Hub-Signature-256", GITHUB_SIGNATURE)];
    let scheme = Scheme::hub_sha256();
    assert_eq!(
        check(&scheme, &["newest", GITHUB_SECRET], &headers, GITHUB_BODY),
        Ok(())
    );
    assert_eq!(
        check(&scheme, &[GITHUB_SECRET, "older"], &headers, GITHUB_BODY),
        Ok(())
    );
}

#[test]
fn flexport_v2_prefers_sha256_and_accepts_bare_hex() {
    let sha256 = hex_mac(Digest::Sha256, SHA1_SECRET, SHA1_BODY);
    let prefixed = format!("sha256={sha256}");
    for value in [sha256.as_str(), prefixed.as_str()] {
        let headers = [
            ("X-Hub-Signature-256", value),
            ("X-Hub-Signature", "sha1=00"),
        ];
        assert_eq!(
            check(&Scheme::FlexportV2, &[SHA1_SECRET], &headers, SHA1_BODY),
            Ok(())
        );
    }
}

#[test]
fn flexport_v2_sha256_alone_decides_when_present() {
    let sha1 = format!("sha1={SHA1_HEX}");
    let wrong_sha256 = hex_mac(Digest::Sha256, "other", SHA1_BODY);
    let headers = [
        ("X-Hub-Signature-256", wrong_sha256.as_str()),
        ("X-Hub-Signature", sha1.as_str()),
    ];
    assert_eq!(
        check(&Scheme::FlexportV2, &[SHA1_SECRET], &headers, SHA1_BODY),
        mismatch("X-Hub-Signature-256")
    );
    let headers = [
        ("X-Hub-Signature-256", "garbage"),
        ("X-Hub-Signature", sha1.as_str()),
    ];
    let result = check(&Scheme::FlexportV2, &[SHA1_SECRET], &headers, SHA1_BODY);
    assert!(malformed("X-Hub-Signature-256")(&result), "{result:?}");
}

#[test]
fn flexport_v2_falls_back_to_sha1() {
    let prefixed = format!("sha1={SHA1_HEX}");
    for value in [SHA1_HEX, prefixed.as_str()] {
        let headers = [("x-hub-signature", value)];
        assert_eq!(
            check(&Scheme::FlexportV2, &[SHA1_SECRET], &headers, SHA1_BODY),
            Ok(())
        );
    }
    let headers = [("X-Hub-Signature", SHA1_HEX)];
    assert_eq!(
        check(&Scheme::FlexportV2, &["other"], &headers, SHA1_BODY),
        mismatch("X-Hub-Signature")
    );
    let sha256_in_sha1_header =
        format!("sha256={}", hex_mac(Digest::Sha256, SHA1_SECRET, SHA1_BODY));
    let headers = [("X-Hub-Signature", sha256_in_sha1_header.as_str())];
    let result = check(&Scheme::FlexportV2, &[SHA1_SECRET], &headers, SHA1_BODY);
    assert!(malformed("X-Hub-Signature")(&result), "{result:?}");
}

#[test]
fn flexport_v2_without_either_header_names_the_sha256_one() {
    assert_eq!(
        check(&Scheme::FlexportV2, &[SHA1_SECRET], &[], SHA1_BODY),
        Err(AuthError::MissingHeader("X-Hub-Signature-256".into()))
    );
}

#[test]
fn flexport_v2_rotation_and_empty_body() {
    let empty = hex_mac(Digest::Sha256, "second", b"");
    let headers = [("X-Hub-Signature-256", empty.as_str())];
    assert_eq!(
        check(&Scheme::FlexportV2, &["first", "second"], &headers, b""),
        Ok(())
    );
    assert_eq!(
        check(&Scheme::FlexportV2, &["first", "second"], &headers, b"x"),
        mismatch("X-Hub-Signature-256")
    );
}

#[test]
fn an_empty_secret_never_verifies() {
    use hmac::{Hmac, KeyInit, Mac};
    let mut empty_key_mac =
        <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(b"").expect("any key length");
    empty_key_mac.update(b"body");
    let forged = format!(
        "sha256={}",
        hex::encode(empty_key_mac.finalize().into_bytes())
    );
    let headers = [("X-Hub-Signature-256", forged.as_str())];
    assert_eq!(
        check(&Scheme::hub_sha256(), &[""], &headers, b"body"),
        mismatch("X-Hub-Signature-256")
    );
}
