//! The subscriber URL: parsed, http(s), a host, no credentials, fragment or whitespace, bounded.

use super::*;

fn url_fields(url: &str) -> Vec<String> {
    fields_of(CreateSubscription {
        url: url.into(),
        ..valid()
    })
}

#[test]
fn valid_requests_pass() {
    assert_eq!(validate_create(&valid(), SOURCES), Ok(()));
    let minimal = CreateSubscription {
        url: "http://10.0.0.5:8080/hook".into(),
        events: strings(&["ping"]),
        ..Default::default()
    };
    assert_eq!(validate_create(&minimal, SOURCES), Ok(()));
}

#[test]
fn url_must_parse() {
    assert_eq!(url_fields(""), ["url"]);
    assert_eq!(url_fields("hooks.example.com/x"), ["url"]);
    assert_eq!(url_fields("https://exa mple.com/"), ["url", "url"]);
}

#[test]
fn url_must_be_http_or_https() {
    assert_eq!(url_fields("ftp://example.com/x"), ["url"]);
    assert_eq!(
        url_fields("file:///etc/passwd"),
        ["url", "url"],
        "scheme and host"
    );
    let messages = messages_of(CreateSubscription {
        url: "ftp://example.com".into(),
        ..valid()
    });
    assert!(messages[0].contains("http or https"));
}

#[test]
fn url_must_have_a_host() {
    let messages = messages_of(CreateSubscription {
        url: "mailto:ops@example.com".into(),
        ..valid()
    });
    assert!(
        messages.iter().any(|m| m == "must have a host"),
        "{messages:?}"
    );
}

#[test]
fn url_must_not_carry_credentials() {
    assert_eq!(url_fields("https://user:pw@example.com/"), ["url"]);
    assert_eq!(url_fields("https://user@example.com/"), ["url"]);
    assert_eq!(url_fields("https://:pw@example.com/"), ["url"]);
}

#[test]
fn url_must_not_have_a_fragment() {
    assert_eq!(url_fields("https://example.com/x#top"), ["url"]);
    assert_eq!(url_fields("https://example.com/x#"), ["url"]);
}

#[test]
fn url_must_not_contain_whitespace() {
    assert_eq!(url_fields(" https://example.com/"), ["url"]);
    assert_eq!(url_fields("https://example.com/a\nb"), ["url"]);
}

#[test]
fn url_length_is_limited() {
    let base = "https://example.com/";
    let at_limit = format!("{base}{}", "a".repeat(MAX_URL_CHARS - base.len()));
    assert!(url_fields(&at_limit).is_empty());
    assert_eq!(url_fields(&format!("{at_limit}a")), ["url"]);
}
