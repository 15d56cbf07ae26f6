//! What a delivery puts on the wire for each [`Format`]: the body, its content type and the
//! CloudEvents headers, from the stored event. Pure, so every format is unit-tested here and the
//! signature is computed over exactly the body that is sent.
//!
//! - `json`: the stored CloudEvent as `application/json` (plain webhook consumers).
//! - `cloudevents-structured`: the same body as `application/cloudevents+json; charset=utf-8`,
//!   the HTTP binding's structured mode, which strict SDKs require.
//! - `cloudevents-binary`: every attribute but `data` as a `ce-*` header (string values
//!   percent-encoded as the binding asks), `datacontenttype` as `Content-Type`, `data` as the body.

use serde_json::{Map, Value};

use crate::subscriptions::model::Format;

pub const STRUCTURED_CONTENT_TYPE: &str = "application/cloudevents+json; charset=utf-8";

/// One delivery's body and the headers that describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct Wire {
    pub content_type: String,
    /// `ce-*` headers (binary mode only).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The wire form of the stored event `event_json` in `format`; an error when binary mode cannot
/// read the stored event.
pub fn render(format: Format, event_json: &str) -> Result<Wire, String> {
    match format {
        Format::Json => Ok(Wire {
            content_type: "application/json".into(),
            headers: Vec::new(),
            body: event_json.as_bytes().to_vec(),
        }),
        Format::CloudeventsStructured => Ok(Wire {
            content_type: STRUCTURED_CONTENT_TYPE.into(),
            headers: Vec::new(),
            body: event_json.as_bytes().to_vec(),
        }),
        Format::CloudeventsBinary => {
            let event: Map<String, Value> = serde_json::from_str(event_json)
                .map_err(|e| format!("the stored event cannot be read: {e}"))?;
            Ok(binary(event))
        }
    }
}

fn binary(mut event: Map<String, Value>) -> Wire {
    let data = event.remove("data").unwrap_or(Value::Null);
    let content_type = match event.remove("datacontenttype") {
        Some(Value::String(s)) => s,
        _ => "application/json".to_string(),
    };
    let headers = event
        .into_iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(name, value)| {
            let text = match value {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (format!("ce-{name}"), percent_encode(&text))
        })
        .collect();
    Wire {
        content_type,
        headers,
        body: serde_json::to_vec(&data).expect("a JSON value serialises"),
    }
}

/// The binding's header value encoding: space, `"`, `%` and everything outside printable ASCII
/// as `%XX` of its UTF-8 bytes.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if (0x21..=0x7e).contains(&byte) && byte != b'"' && byte != b'%' {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn stored() -> String {
        json!({
            "specversion": "1.0",
            "id": "evt_01",
            "source": "shiprelay/flexops",
            "type": "tracking.updated",
            "subject": "usps:9400 1",
            "time": "2026-03-10T14:30:00Z",
            "datacontenttype": "application/json",
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "data": {"status": "delivered", "city": "Köln"}
        })
        .to_string()
    }

    #[test]
    fn json_and_structured_send_the_stored_event_unchanged() {
        let json = render(Format::Json, &stored()).unwrap();
        assert_eq!(json.content_type, "application/json");
        assert_eq!(json.body, stored().as_bytes());
        assert!(json.headers.is_empty());
        let structured = render(Format::CloudeventsStructured, &stored()).unwrap();
        assert_eq!(
            structured.content_type,
            "application/cloudevents+json; charset=utf-8"
        );
        assert_eq!(structured.body, stored().as_bytes());
    }

    #[test]
    fn binary_sends_attributes_as_headers_and_data_as_the_body() {
        let wire = render(Format::CloudeventsBinary, &stored()).unwrap();
        assert_eq!(wire.content_type, "application/json");
        let body: Value = serde_json::from_slice(&wire.body).unwrap();
        assert_eq!(body, json!({"status": "delivered", "city": "Köln"}));
        let header = |name: &str| {
            wire.headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("ce-specversion"), Some("1.0"));
        assert_eq!(header("ce-id"), Some("evt_01"));
        assert_eq!(header("ce-source"), Some("shiprelay/flexops"));
        assert_eq!(header("ce-type"), Some("tracking.updated"));
        assert_eq!(header("ce-subject"), Some("usps:9400%201"));
        assert_eq!(header("ce-time"), Some("2026-03-10T14:30:00Z"));
        assert_eq!(
            header("ce-traceparent"),
            Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        );
        assert_eq!(header("ce-datacontenttype"), None);
        assert_eq!(header("ce-data"), None);
    }

    #[test]
    fn binary_leaves_out_absent_attributes() {
        let mut event: Map<String, Value> = serde_json::from_str(&stored()).unwrap();
        event.remove("subject");
        event.insert("tracestate".into(), Value::Null);
        let wire = render(Format::CloudeventsBinary, &Value::Object(event).to_string()).unwrap();
        assert!(
            wire.headers
                .iter()
                .all(|(n, _)| n != "ce-subject" && n != "ce-tracestate")
        );
    }

    #[test]
    fn header_values_are_percent_encoded_per_the_binding() {
        assert_eq!(percent_encode("a b\"c%d"), "a%20b%22c%25d");
        assert_eq!(percent_encode("Köln"), "K%C3%B6ln");
        assert_eq!(percent_encode("plain:123/x"), "plain:123/x");
    }

    #[test]
    fn an_unreadable_stored_event_is_an_error_in_binary_mode_only() {
        assert!(render(Format::CloudeventsBinary, "{not json").is_err());
        assert!(render(Format::Json, "{not json").is_ok());
    }
}
