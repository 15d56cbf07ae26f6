//! Checks on subscription requests, before anything is stored.
//!
//! A subscription is configuration that runs on every event, so it is checked once, strictly,
//! here: the delivery worker can then trust what it reads. Every problem is reported at once, with
//! the JSON path of the offending field, so a client can fix a request in one round trip (422).
//! Limits are constants so the API docs and messages quote the same numbers.

use std::collections::BTreeMap;

use super::matching::parse_pattern;
use super::model::{CreateSubscription, UpdateSubscription};

pub const MAX_URL_CHARS: usize = 2048;
/// The highest `rateLimitPerSecond` (the tenants' `maxDeliveriesPerSecond` has the same).
pub use crate::tenancy::validate::MAX_RATE_LIMIT;
pub const MAX_EVENTS: usize = 50;
pub const MAX_SOURCES: usize = 50;
pub const MAX_CARRIERS: usize = 50;
pub const MAX_CARRIER_CHARS: usize = 32;
pub const MAX_DESCRIPTION_CHARS: usize = 500;
pub const MAX_HEADERS: usize = 20;
pub const MAX_HEADER_NAME_CHARS: usize = 64;
pub const MAX_HEADER_VALUE_CHARS: usize = 1024;

/// Header names subscribers may not set (compared case-insensitively): shiprelay sets them, or
/// they are hop-by-hop and would break the delivery request.
pub const FORBIDDEN_HEADERS: &[&str] = &[
    "host",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "user-agent",
    "traceparent",
    "tracestate",
];

/// Header name prefixes subscribers may not use: `webhook-*` carries our signature and ids,
/// `content-*` describes the body shiprelay sends (a `Content-Encoding` would make it unreadable),
/// `ce-*` carries the CloudEvent's attributes in binary mode.
pub const FORBIDDEN_HEADER_PREFIXES: &[&str] = &["content-", "proxy-", "webhook-", "ce-"];

pub use crate::field_error::FieldError;

/// Checks a create request; every problem is reported.
pub fn validate_create(
    request: &CreateSubscription,
    known_sources: &[&str],
) -> Result<(), Vec<FieldError>> {
    let fields = Fields {
        url: Some(&request.url),
        events: Some(&request.events),
        sources: request.sources.as_deref(),
        carriers: request.carriers.as_deref(),
        description: request.description.as_deref(),
        headers: request.headers.as_ref(),
        sensitive_headers: request.sensitive_headers.as_ref(),
        rate_limit_per_second: request.rate_limit_per_second,
        filter: request.filter.as_deref(),
    };
    fields.check(known_sources)
}

/// Checks the fields an update sets, by the same rules as create. An empty update is valid.
pub fn validate_update(
    request: &UpdateSubscription,
    known_sources: &[&str],
) -> Result<(), Vec<FieldError>> {
    let fields = Fields {
        url: request.url.as_deref(),
        events: request.events.as_deref(),
        sources: request.sources.as_deref(),
        carriers: request.carriers.as_deref(),
        description: request.description.as_deref(),
        headers: request.headers.as_ref(),
        sensitive_headers: request.sensitive_headers.as_ref(),
        rate_limit_per_second: request.rate_limit_per_second.flatten(),
        filter: request.filter.as_ref().and_then(|f| f.as_deref()),
    };
    fields.check(known_sources)
}

/// The checkable fields of either request; `None` is "not given".
struct Fields<'a> {
    url: Option<&'a str>,
    events: Option<&'a [String]>,
    sources: Option<&'a [String]>,
    carriers: Option<&'a [String]>,
    description: Option<&'a str>,
    headers: Option<&'a BTreeMap<String, String>>,
    sensitive_headers: Option<&'a BTreeMap<String, String>>,
    rate_limit_per_second: Option<u32>,
    filter: Option<&'a [super::filter::Condition]>,
}

impl Fields<'_> {
    fn check(&self, known_sources: &[&str]) -> Result<(), Vec<FieldError>> {
        let mut errors = Errors::default();
        if let Some(url) = self.url {
            check_url(url, &mut errors);
        }
        if let Some(events) = self.events {
            check_events(events, &mut errors);
        }
        if let Some(sources) = self.sources {
            check_sources(sources, known_sources, &mut errors);
        }
        if let Some(carriers) = self.carriers {
            check_carriers(carriers, &mut errors);
        }
        if let Some(description) = self.description {
            check_description(description, &mut errors);
        }
        if let Some(headers) = self.headers {
            check_headers(headers, "headers", &mut errors);
        }
        if let Some(sensitive) = self.sensitive_headers {
            check_headers(sensitive, "sensitiveHeaders", &mut errors);
        }
        if let Some(rate) = self.rate_limit_per_second
            && !(1..=MAX_RATE_LIMIT).contains(&rate)
        {
            errors.add(
                "rateLimitPerSecond",
                format!("must be 1 to {MAX_RATE_LIMIT} (null: no limit)"),
            );
        }
        if let Some(filter) = self.filter {
            errors.0.extend(super::filter::validate(filter));
        }
        errors.into_result()
    }
}

#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    fn into_result(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}

fn too_long(text: &str, max: usize) -> bool {
    // Counting stops just past the limit, so a huge value costs no more than a small one.
    text.chars().nth(max).is_some()
}

fn check_url(text: &str, errors: &mut Errors) {
    if too_long(text, MAX_URL_CHARS) {
        errors.add(
            "url",
            format!("must be at most {MAX_URL_CHARS} characters (MAX_URL_CHARS)"),
        );
        return;
    }
    // The url crate silently drops these; a stored URL should be exactly what is called.
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        errors.add("url", "must not contain whitespace or control characters");
    }
    let url = match url::Url::parse(text) {
        Ok(url) => url,
        Err(e) => {
            errors.add("url", format!("must be an absolute http(s) URL: {e}"));
            return;
        }
    };
    if !matches!(url.scheme(), "http" | "https") {
        errors.add("url", "scheme must be http or https");
    }
    if url.host_str().is_none_or(str::is_empty) {
        errors.add("url", "must have a host");
    }
    if !url.username().is_empty() || url.password().is_some() {
        errors.add(
            "url",
            "must not contain credentials; send them in `headers` instead",
        );
    }
    if url.fragment().is_some() {
        errors.add("url", "must not have a fragment (`#...`)");
    }
}

fn check_events(events: &[String], errors: &mut Errors) {
    if events.is_empty() {
        errors.add(
            "events",
            "must list at least one pattern, e.g. `tracking.*`",
        );
    }
    if events.len() > MAX_EVENTS {
        errors.add(
            "events",
            format!("must list at most {MAX_EVENTS} patterns (MAX_EVENTS)"),
        );
    }
    for (i, pattern) in events.iter().enumerate() {
        if let Err(message) = parse_pattern(pattern) {
            errors.add(format!("events[{i}]"), message);
        } else if let Some(first) = events[..i].iter().position(|p| p == pattern) {
            errors.add(format!("events[{i}]"), format!("repeats events[{first}]"));
        }
    }
}

fn check_sources(sources: &[String], known_sources: &[&str], errors: &mut Errors) {
    if sources.len() > MAX_SOURCES {
        errors.add(
            "sources",
            format!("must list at most {MAX_SOURCES} sources (MAX_SOURCES)"),
        );
    }
    for (i, source) in sources.iter().enumerate() {
        if !known_sources.contains(&source.as_str()) {
            errors.add(
                format!("sources[{i}]"),
                "is not the id of a configured source",
            );
        }
    }
}

fn check_carriers(carriers: &[String], errors: &mut Errors) {
    if carriers.len() > MAX_CARRIERS {
        errors.add(
            "carriers",
            format!("must list at most {MAX_CARRIERS} carriers (MAX_CARRIERS)"),
        );
    }
    for (i, carrier) in carriers.iter().enumerate() {
        if !is_carrier_code(carrier) {
            errors.add(
                format!("carriers[{i}]"),
                format!(
                    "must be a carrier code of 1 to {MAX_CARRIER_CHARS} (MAX_CARRIER_CHARS) \
                     lower-case letters, digits or `_`, e.g. `usps`"
                ),
            );
        }
    }
}

fn is_carrier_code(text: &str) -> bool {
    (1..=MAX_CARRIER_CHARS).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn check_description(description: &str, errors: &mut Errors) {
    if too_long(description, MAX_DESCRIPTION_CHARS) {
        errors.add(
            "description",
            format!("must be at most {MAX_DESCRIPTION_CHARS} characters (MAX_DESCRIPTION_CHARS)"),
        );
    }
}

fn check_headers(headers: &BTreeMap<String, String>, map: &str, errors: &mut Errors) {
    if headers.len() > MAX_HEADERS {
        errors.add(
            map,
            format!("must have at most {MAX_HEADERS} entries (MAX_HEADERS)"),
        );
    }
    let mut seen: Vec<String> = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        let field = format!("{map}.{name}");
        check_header_name(name, &field, errors);
        check_header_value(value, &field, errors);
        let lower = name.to_ascii_lowercase();
        if seen.contains(&lower) {
            errors.add(
                field,
                "repeats another header name (names are case-insensitive)",
            );
        } else {
            seen.push(lower);
        }
    }
}

/// The rules that span a subscription's two header maps, checked on the record as it will be
/// stored: at most [`MAX_HEADERS`] in all, and no name in both.
pub fn validate_header_maps(
    headers: &BTreeMap<String, String>,
    sensitive: &BTreeMap<String, String>,
) -> Result<(), Vec<FieldError>> {
    let mut errors = Errors::default();
    if headers.len() + sensitive.len() > MAX_HEADERS {
        errors.add(
            "sensitiveHeaders",
            format!("headers and sensitiveHeaders together must have at most {MAX_HEADERS} entries (MAX_HEADERS)"),
        );
    }
    for name in sensitive.keys() {
        if headers.keys().any(|h| h.eq_ignore_ascii_case(name)) {
            errors.add(
                format!("sensitiveHeaders.{name}"),
                "is also in `headers`; a header is one or the other",
            );
        }
    }
    errors.into_result()
}

/// A tenant's subscription may only name sources its tenant is allowed.
pub fn validate_tenant_sources(
    sources: &[String],
    allowed: &[String],
) -> Result<(), Vec<FieldError>> {
    let mut errors = Errors::default();
    for (i, source) in sources.iter().enumerate() {
        if !crate::tenancy::model::allows(allowed, source) {
            errors.add(
                format!("sources[{i}]"),
                format!("`{source}` is not among this tenant's allowed sources"),
            );
        }
    }
    errors.into_result()
}

fn check_header_name(name: &str, field: &str, errors: &mut Errors) {
    if name.is_empty() || !name.bytes().all(is_tchar) {
        errors.add(
            field,
            "name must be an HTTP token (RFC 7230): letters, digits and !#$%&'*+-.^_`|~",
        );
    }
    if too_long(name, MAX_HEADER_NAME_CHARS) {
        errors.add(
            field,
            format!(
                "name must be at most {MAX_HEADER_NAME_CHARS} characters (MAX_HEADER_NAME_CHARS)"
            ),
        );
    }
    if is_forbidden(name) {
        errors.add(
            field,
            format!(
                "is set by shiprelay or hop-by-hop and cannot be overridden: {}, {}*",
                FORBIDDEN_HEADERS.join(", "),
                FORBIDDEN_HEADER_PREFIXES.join("*, ")
            ),
        );
    }
}

fn is_forbidden(name: &str) -> bool {
    FORBIDDEN_HEADERS
        .iter()
        .any(|f| name.eq_ignore_ascii_case(f))
        || FORBIDDEN_HEADER_PREFIXES.iter().any(|prefix| {
            name.get(..prefix.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
        })
}

/// RFC 7230 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn check_header_value(value: &str, field: &str, errors: &mut Errors) {
    if too_long(value, MAX_HEADER_VALUE_CHARS) {
        errors.add(
            field,
            format!(
                "value must be at most {MAX_HEADER_VALUE_CHARS} characters (MAX_HEADER_VALUE_CHARS)"
            ),
        );
    }
    if !value.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        errors.add(
            field,
            "value must be visible ASCII characters and spaces (no line breaks)",
        );
    }
}

#[cfg(test)]
mod tests;
