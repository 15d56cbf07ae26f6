//! What `shiprelay listen` prints for one delivery: a pure function of the request's headers, body,
//! the secrets and the time, so the wording and the verdict are unit-tested without a server.

use serde_json::Value;

use crate::auth::{self, HeaderSource, Scheme};
use crate::secret::Secret;

/// One delivery as the listener saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub event_id: String,
    pub event_type: String,
    pub subject: String,
    /// `None` when verified; otherwise why not.
    pub rejection: Option<String>,
}

impl Report {
    pub fn verified(&self) -> bool {
        self.rejection.is_none()
    }

    /// `<event id> <type> <subject> verified` or `... NOT verified: <reason>`; `-` for what the
    /// delivery did not carry.
    pub fn line(&self) -> String {
        let verdict = match &self.rejection {
            None => "verified".to_string(),
            Some(reason) => format!("NOT verified: {reason}"),
        };
        format!(
            "{} {} {} {verdict}",
            self.event_id, self.event_type, self.subject
        )
    }
}

/// Checks a delivery's Standard Webhooks signature against `secrets` and names its event.
pub fn inspect(
    secrets: &[Secret],
    tolerance_secs: u64,
    headers: &dyn HeaderSource,
    body: &[u8],
    now_unix: i64,
) -> Report {
    let scheme = Scheme::StandardWebhooks { tolerance_secs };
    let rejection = auth::verify(&scheme, secrets, headers, body, now_unix)
        .err()
        .map(|error| error.to_string());
    let event: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let field = |name: &str, header: &str| {
        event
            .get(name)
            .and_then(Value::as_str)
            .or_else(|| headers.header(header))
            .unwrap_or("-")
            .to_string()
    };
    Report {
        event_id: field("id", "webhook-id"),
        event_type: field("type", "ce-type"),
        subject: field("subject", "ce-subject"),
        rejection,
    }
}

/// The secrets `listen` accepts: Standard Webhooks keys, `whsec_` + base64, or bare base64.
pub fn check_secret(secret: &str) -> Result<(), String> {
    use base64::Engine;
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    match base64::engine::general_purpose::STANDARD.decode(encoded) {
        Ok(key) if !key.is_empty() => Ok(()),
        _ => Err(
            "a subscription secret is `whsec_` followed by base64 (the `secret` field of the \
             subscription's create or rotate-secret answer)"
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::webhook_headers;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const OTHER: &str = "whsec_c2VjcmV0LWtleS1ieXRlcy1mb3Itcm90YXRpb24=";
    const NOW: i64 = 1_800_000_000;
    const BODY: &[u8] = br#"{"id":"evt_1","type":"tracking.updated","subject":"ups:1Z9"}"#;

    fn signed_with(secret: &str, at: i64) -> Vec<(&'static str, String)> {
        webhook_headers("evt_1", at, BODY, &[&Secret::new(secret)])
    }

    fn inspect_with(headers: &[(&'static str, String)], body: &[u8]) -> Report {
        let pairs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        inspect(&[Secret::new(SECRET)], 300, &pairs.as_slice(), body, NOW)
    }

    #[test]
    fn a_delivery_signed_with_the_secret_is_verified_and_named() {
        let report = inspect_with(&signed_with(SECRET, NOW), BODY);
        assert_eq!(report.line(), "evt_1 tracking.updated ups:1Z9 verified");
        assert!(report.verified());
    }

    #[test]
    fn another_secret_is_not_verified_and_says_why() {
        let report = inspect_with(&signed_with(OTHER, NOW), BODY);
        assert!(!report.verified());
        assert_eq!(
            report.line(),
            "evt_1 tracking.updated ups:1Z9 NOT verified: the webhook-signature header does not \
             match any configured secret"
        );
    }

    #[test]
    fn an_altered_body_is_not_verified() {
        let altered = br#"{"id":"evt_1","type":"tracking.updated","subject":"ups:1Z8"}"#;
        assert!(!inspect_with(&signed_with(SECRET, NOW), altered).verified());
    }

    #[test]
    fn an_old_timestamp_is_not_verified() {
        let report = inspect_with(&signed_with(SECRET, NOW - 301), BODY);
        assert!(report.rejection.unwrap().contains("tolerance"));
    }

    #[test]
    fn an_unsigned_request_names_the_missing_header_and_falls_back_to_dashes() {
        let report = inspect_with(&[], b"not json");
        assert_eq!(
            report.line(),
            "- - - NOT verified: the webhook-id header is missing"
        );
    }

    #[test]
    fn binary_mode_headers_name_the_event_when_the_body_does_not() {
        let headers = vec![
            ("webhook-id", "evt_2".to_string()),
            ("ce-type", "order.shipped".to_string()),
            ("ce-subject", "order:7".to_string()),
        ];
        let report = inspect_with(&headers, br#"{"orderId": 7}"#);
        assert_eq!(
            (
                report.event_id.as_str(),
                report.event_type.as_str(),
                report.subject.as_str()
            ),
            ("evt_2", "order.shipped", "order:7")
        );
    }

    #[test]
    fn secrets_must_be_standard_webhooks_keys() {
        assert!(check_secret(SECRET).is_ok());
        assert!(check_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_ok());
        assert!(check_secret("whsec_not base64!").is_err());
        assert!(check_secret("").is_err());
    }
}
