//! `Retry-After`: as seconds, as an HTTP date, and every value the parser must refuse or cap.

use super::*;

#[tokio::test]
async fn retry_after_seconds_are_reported() {
    let server = TestServer::answering(&response(
        "503 Service Unavailable",
        "Retry-After: 7\r\n",
        "",
    ))
    .await;
    let attempt = sender(config(true))
        .send(
            &server.url("127.0.0.1"),
            "application/json",
            &no_headers(),
            Vec::new(),
        )
        .await;
    assert_eq!(
        attempt.outcome,
        AttemptOutcome::Status {
            code: 503,
            retry_after: Some(Duration::from_secs(7))
        }
    );
    assert_eq!(attempt.response_excerpt, None);
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_reported() {
    let when = Utc::now() + chrono::TimeDelta::seconds(120);
    let header = format!(
        "Retry-After: {}\r\n",
        when.format("%a, %d %b %Y %H:%M:%S GMT")
    );
    let server = TestServer::answering(&response("429 Too Many Requests", &header, "")).await;
    let attempt = sender(config(true))
        .send(
            &server.url("127.0.0.1"),
            "application/json",
            &no_headers(),
            Vec::new(),
        )
        .await;
    let AttemptOutcome::Status {
        code: 429,
        retry_after: Some(retry_after),
    } = attempt.outcome
    else {
        panic!("{:?}", attempt.outcome);
    };
    assert!(
        (Duration::from_secs(115)..=Duration::from_secs(120)).contains(&retry_after),
        "{retry_after:?}"
    );
}

#[test]
fn retry_after_values() {
    let now = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .expect("a date")
        .with_timezone(&Utc);
    let parse = |value| parse_retry_after(value, now);
    assert_eq!(parse("0"), Some(Duration::ZERO));
    assert_eq!(parse(" 120 "), Some(Duration::from_secs(120)));
    assert_eq!(
        parse("99999999999999999999999"),
        Some(Duration::from_secs(u64::MAX))
    );
    assert_eq!(
        parse("Thu, 01 Jan 2026 00:01:30 GMT"),
        Some(Duration::from_secs(90))
    );
    assert_eq!(parse("Wed, 31 Dec 2025 23:00:00 GMT"), Some(Duration::ZERO));
    for invalid in ["", "-5", "1.5", "soon", "2026-01-01T00:01:00Z"] {
        assert_eq!(parse(invalid), None, "{invalid}");
    }
}
