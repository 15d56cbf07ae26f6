//! Unit tests of `token`.

use super::*;
use crate::auth::{Scheme, verify as verify_request};

fn check(
    scheme: &Scheme,
    secret_values: &[&str],
    headers: &[(&str, &str)],
) -> Result<(), AuthError> {
    let secrets: Vec<Secret> = secret_values.iter().map(|v| Secret::new(*v)).collect();
    verify_request(scheme, &secrets, &headers, b"any body", 0)
}

fn basic(user_password: &str) -> String {
    format!("Basic {}", codec::BASE64.encode(user_password))
}

fn token_scheme() -> Scheme {
    Scheme::Token {
        header: "X-Api-Token".into(),
    }
}

fn basic_scheme(username: Option<&str>) -> Scheme {
    Scheme::Basic {
        username: username.map(Into::into),
    }
}

fn malformed_authorization(reason: &'static str) -> Result<(), AuthError> {
    Err(AuthError::Malformed {
        header: AUTHORIZATION.into(),
        reason,
    })
}

#[test]
fn a_token_equal_to_a_secret_verifies() {
    assert_eq!(
        check(&token_scheme(), &["tok"], &[("X-Api-Token", "tok")]),
        Ok(())
    );
    assert_eq!(
        check(&token_scheme(), &["tok"], &[("x-api-token", " tok ")]),
        Ok(())
    );
}

#[test]
fn a_wrong_or_partial_token_is_a_mismatch() {
    let mismatch = Err(AuthError::Mismatch("X-Api-Token".into()));
    for presented in ["other", "to", "tok2", "TOK", "", "Bearer tok"] {
        let result = check(&token_scheme(), &["tok"], &[("X-Api-Token", presented)]);
        assert_eq!(result, mismatch, "{presented}");
    }
}

#[test]
fn any_rotated_token_verifies() {
    assert_eq!(
        check(&token_scheme(), &["new", "old"], &[("X-Api-Token", "old")]),
        Ok(())
    );
}

#[test]
fn an_empty_secret_never_admits_an_empty_token() {
    assert_eq!(
        check(&token_scheme(), &[""], &[("X-Api-Token", "")]),
        Err(AuthError::Mismatch("X-Api-Token".into()))
    );
}

#[test]
fn a_missing_token_header_is_named() {
    assert_eq!(
        check(&token_scheme(), &["tok"], &[("Authorization", "tok")]),
        Err(AuthError::MissingHeader("X-Api-Token".into()))
    );
}

#[test]
fn basic_with_the_right_user_and_password_verifies() {
    let value = basic("flexport:pw");
    assert_eq!(
        check(
            &basic_scheme(Some("flexport")),
            &["pw"],
            &[("authorization", &value)]
        ),
        Ok(())
    );
    let lower_scheme = value.replacen("Basic", "basic", 1);
    assert_eq!(
        check(
            &basic_scheme(Some("flexport")),
            &["pw"],
            &[("AUTHORIZATION", &lower_scheme)]
        ),
        Ok(())
    );
}

#[test]
fn basic_without_a_configured_user_accepts_any_user() {
    assert_eq!(
        check(
            &basic_scheme(None),
            &["pw"],
            &[("Authorization", &basic("anyone:pw"))]
        ),
        Ok(())
    );
    assert_eq!(
        check(
            &basic_scheme(None),
            &["pw"],
            &[("Authorization", &basic(":pw"))]
        ),
        Ok(())
    );
}

#[test]
fn basic_passwords_may_contain_colons() {
    let value = basic("u:p:w");
    assert_eq!(
        check(
            &basic_scheme(Some("u")),
            &["p:w"],
            &[("Authorization", &value)]
        ),
        Ok(())
    );
}

#[test]
fn basic_with_a_wrong_user_or_password_is_a_mismatch() {
    let mismatch = Err(AuthError::Mismatch(AUTHORIZATION.into()));
    let scheme = basic_scheme(Some("flexport"));
    for credentials in [
        "other:pw",
        "flexport:wrong",
        "Flexport:pw",
        "flexport:",
        "flexportx:pw",
    ] {
        let value = basic(credentials);
        assert_eq!(
            check(&scheme, &["pw"], &[("Authorization", &value)]),
            mismatch,
            "{credentials}"
        );
    }
}

#[test]
fn basic_rotation_accepts_an_older_password() {
    let value = basic("u:old");
    assert_eq!(
        check(
            &basic_scheme(Some("u")),
            &["new", "old"],
            &[("Authorization", &value)]
        ),
        Ok(())
    );
}

#[test]
fn basic_credentials_that_are_not_base64_are_malformed() {
    let result = check(
        &basic_scheme(None),
        &["pw"],
        &[("Authorization", "Basic not*base64")],
    );
    assert_eq!(
        result,
        malformed_authorization("the credentials are not valid base64")
    );
}

#[test]
fn basic_credentials_without_a_colon_are_malformed() {
    let value = basic("userpw");
    assert_eq!(
        check(
            &basic_scheme(None),
            &["userpw"],
            &[("Authorization", &value)]
        ),
        malformed_authorization("the credentials have no colon between user and password")
    );
}

#[test]
fn other_authorization_schemes_are_malformed() {
    for value in ["Bearer pw", "pw", "", "Basic"] {
        let result = check(&basic_scheme(None), &["pw"], &[("Authorization", value)]);
        assert_eq!(
            result,
            malformed_authorization("the value is not Basic credentials"),
            "{value}"
        );
    }
}

#[test]
fn a_truncated_basic_value_is_refused() {
    let value = basic("user:password");
    assert_eq!(value, "Basic dXNlcjpwYXNzd29yZA==");
    let scheme = basic_scheme(None);
    // Cut inside a base64 group: no longer base64.
    assert_eq!(
        check(
            &scheme,
            &["password"],
            &[("Authorization", "Basic dXNlcjpwYXNzd29yZ")]
        ),
        malformed_authorization("the credentials are not valid base64")
    );
    // Cut at a group boundary: valid base64 of "user:passwor".
    assert_eq!(
        check(
            &scheme,
            &["password"],
            &[("Authorization", "Basic dXNlcjpwYXNzd29y")]
        ),
        Err(AuthError::Mismatch(AUTHORIZATION.into()))
    );
}

#[test]
fn basic_without_authorization_is_missing() {
    assert_eq!(
        check(&basic_scheme(None), &["pw"], &[]),
        Err(AuthError::MissingHeader(AUTHORIZATION.into()))
    );
}

#[test]
fn token_or_basic_prefers_a_present_token_header() {
    let scheme = Scheme::TokenOrBasic {
        header: Some("X-Token".into()),
        username: Some("u".into()),
    };
    let good_basic = basic("u:tok");
    assert_eq!(check(&scheme, &["tok"], &[("x-token", "tok")]), Ok(()));
    assert_eq!(
        check(
            &scheme,
            &["tok"],
            &[("X-Token", "bad"), ("Authorization", &good_basic)]
        ),
        Err(AuthError::Mismatch("X-Token".into()))
    );
}

#[test]
fn token_or_basic_falls_back_to_basic() {
    let scheme = Scheme::TokenOrBasic {
        header: Some("X-Token".into()),
        username: Some("u".into()),
    };
    assert_eq!(
        check(&scheme, &["tok"], &[("Authorization", &basic("u:tok"))]),
        Ok(())
    );
    assert_eq!(
        check(&scheme, &["tok"], &[("Authorization", &basic("v:tok"))]),
        Err(AuthError::Mismatch(AUTHORIZATION.into()))
    );
    let without_token_header = Scheme::TokenOrBasic {
        header: None,
        username: None,
    };
    assert_eq!(
        check(
            &without_token_header,
            &["tok"],
            &[("Authorization", &basic("x:tok"))]
        ),
        Ok(())
    );
}

#[test]
fn token_or_basic_names_the_missing_credential() {
    let with_token = Scheme::TokenOrBasic {
        header: Some("X-Token".into()),
        username: None,
    };
    let without_token = Scheme::TokenOrBasic {
        header: None,
        username: None,
    };
    assert_eq!(
        check(&with_token, &["tok"], &[]),
        Err(AuthError::MissingHeader("X-Token".into()))
    );
    assert_eq!(
        check(&without_token, &["tok"], &[("X-Token", "tok")]),
        Err(AuthError::MissingHeader(AUTHORIZATION.into()))
    );
}
