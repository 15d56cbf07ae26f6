//! The Standard Webhooks headers of an outbound delivery, so any Standard Webhooks library can
//! check that a delivery came from the relay and was not altered.
//!
//! During a secret rotation the message is signed with every secret (current first) and the
//! signatures are sent space-separated; a subscriber holding either secret verifies it.

use crate::auth::standard_webhooks::sign;
use crate::secret::Secret;

/// `webhook-id`, `webhook-timestamp` and `webhook-signature` for `body`. Secrets that cannot sign
/// (not base64) are skipped; when none can, `webhook-signature` is left out rather than sent empty.
pub fn webhook_headers(
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
    secrets: &[&Secret],
) -> Vec<(&'static str, String)> {
    let signatures: Vec<String> = secrets
        .iter()
        .filter_map(|secret| sign(secret, msg_id, timestamp, body))
        .collect();
    let mut headers = vec![
        ("webhook-id", msg_id.to_string()),
        ("webhook-timestamp", timestamp.to_string()),
    ];
    if !signatures.is_empty() {
        headers.push(("webhook-signature", signatures.join(" ")));
    }
    headers
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

    use super::*;
    use crate::auth::{Scheme, verify};

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const OTHER_SECRET: &str = "whsec_c2VjcmV0LWtleS1ieXRlcy1mb3Itcm90YXRpb24=";
    const MSG_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SENT_AT: i64 = 1614265330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn value<'a>(headers: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }

    #[test]
    fn reproduces_the_published_vector() {
        let headers = webhook_headers(MSG_ID, SENT_AT, BODY, &[&Secret::new(SECRET)]);
        assert_eq!(
            headers,
            vec![
                ("webhook-id", MSG_ID.to_string()),
                ("webhook-timestamp", SENT_AT.to_string()),
                ("webhook-signature", SIGNATURE.to_string()),
            ]
        );
    }

    #[test]
    fn two_secrets_give_two_signatures_current_first() {
        let (current, previous) = (Secret::new(OTHER_SECRET), Secret::new(SECRET));
        let headers = webhook_headers(MSG_ID, SENT_AT, BODY, &[&current, &previous]);
        let signatures: Vec<&str> = value(&headers, "webhook-signature")
            .expect("signed")
            .split(' ')
            .collect();
        assert_eq!(signatures.len(), 2);
        assert!(signatures[0].starts_with("v1,"));
        assert_ne!(signatures[0], SIGNATURE);
        assert_eq!(signatures[1], SIGNATURE);
    }

    #[test]
    fn each_secret_alone_verifies_a_rotation_delivery() {
        let secrets = [Secret::new(OTHER_SECRET), Secret::new(SECRET)];
        let headers = webhook_headers(MSG_ID, SENT_AT, BODY, &[&secrets[0], &secrets[1]]);
        let pairs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let scheme = Scheme::StandardWebhooks {
            tolerance_secs: 300,
        };
        for secret in &secrets {
            let result = verify(
                &scheme,
                std::slice::from_ref(secret),
                &pairs.as_slice(),
                BODY,
                SENT_AT,
            );
            assert_eq!(result, Ok(()));
        }
        let stranger = Secret::new("whsec_c3RyYW5nZXI=");
        let result = verify(&scheme, &[stranger], &pairs.as_slice(), BODY, SENT_AT);
        assert!(result.is_err());
    }

    #[test]
    fn an_independent_library_verifies_each_secret() {
        let now = chrono::Utc::now().timestamp();
        let body = br#"{"specversion":"1.0","id":"evt_1"}"#;
        let secrets = [Secret::new(OTHER_SECRET), Secret::new(SECRET)];
        let headers = webhook_headers("evt_1", now, body, &[&secrets[0], &secrets[1]]);
        let mut map = HeaderMap::new();
        for (name, value) in &headers {
            map.insert(
                HeaderName::from_static(name),
                HeaderValue::from_str(value).expect("ASCII header value"),
            );
        }
        for secret in [OTHER_SECRET, SECRET] {
            let webhook = standardwebhooks::Webhook::new(secret).expect("valid secret");
            assert!(webhook.verify(body, &map).is_ok(), "{secret}");
        }
    }

    #[test]
    fn secrets_that_cannot_sign_are_skipped() {
        let (bad, good) = (Secret::new("whsec_not base64!"), Secret::new(SECRET));
        let headers = webhook_headers(MSG_ID, SENT_AT, BODY, &[&bad, &good]);
        assert_eq!(value(&headers, "webhook-signature"), Some(SIGNATURE));
        let unsigned = webhook_headers(MSG_ID, SENT_AT, BODY, &[&bad]);
        assert_eq!(value(&unsigned, "webhook-signature"), None);
        assert_eq!(value(&unsigned, "webhook-id"), Some(MSG_ID));
    }
}
