//! Credentials without a body signature: a static token header, HTTP Basic, or either (Flexport
//! Logistics lets each subscription choose). Only constant-time comparisons with the secrets.

use base64::Engine;
use subtle::ConstantTimeEq;

use super::{AuthError, HeaderSource, codec};
use crate::secret::Secret;

const AUTHORIZATION: &str = "Authorization";

pub(super) fn verify_token(
    header: &str,
    secrets: &[Secret],
    headers: &dyn HeaderSource,
) -> Result<(), AuthError> {
    let presented = headers
        .header(header)
        .ok_or_else(|| AuthError::MissingHeader(header.into()))?
        .trim();
    if is_one_of(secrets, presented.as_bytes()) {
        Ok(())
    } else {
        Err(AuthError::Mismatch(header.into()))
    }
}

pub(super) fn verify_basic(
    username: Option<&str>,
    secrets: &[Secret],
    headers: &dyn HeaderSource,
) -> Result<(), AuthError> {
    let value = headers
        .header(AUTHORIZATION)
        .ok_or_else(|| AuthError::MissingHeader(AUTHORIZATION.into()))?;
    let credentials = decode_basic(value).map_err(|reason| AuthError::Malformed {
        header: AUTHORIZATION.into(),
        reason,
    })?;
    let (user, password) = split_user_password(&credentials).ok_or(AuthError::Malformed {
        header: AUTHORIZATION.into(),
        reason: "the credentials have no colon between user and password",
    })?;
    let user_matches = username.is_none_or(|expected| bool::from(expected.as_bytes().ct_eq(user)));
    // `&`, not `&&`: both comparisons always run, so timing does not tell which one failed.
    if user_matches & is_one_of(secrets, password) {
        Ok(())
    } else {
        Err(AuthError::Mismatch(AUTHORIZATION.into()))
    }
}

/// The token header when it is configured and present, else HTTP Basic.
pub(super) fn verify_token_or_basic(
    header: Option<&str>,
    username: Option<&str>,
    secrets: &[Secret],
    headers: &dyn HeaderSource,
) -> Result<(), AuthError> {
    match header {
        Some(name) if headers.header(name).is_some() => verify_token(name, secrets, headers),
        _ if headers.header(AUTHORIZATION).is_some() => verify_basic(username, secrets, headers),
        _ => Err(AuthError::MissingHeader(
            header.unwrap_or(AUTHORIZATION).into(),
        )),
    }
}

/// An empty secret never matches, so a blank configuration value cannot admit an empty credential.
fn is_one_of(secrets: &[Secret], presented: &[u8]) -> bool {
    secrets
        .iter()
        .any(|secret| !secret.expose().is_empty() && secret.matches(presented))
}

/// The decoded `user:password` bytes of `Basic <base64>` (scheme name case-insensitive).
fn decode_basic(value: &str) -> Result<Vec<u8>, &'static str> {
    let (scheme, encoded) = value
        .trim()
        .split_once(' ')
        .ok_or("the value is not Basic credentials")?;
    if !scheme.eq_ignore_ascii_case("Basic") {
        return Err("the value is not Basic credentials");
    }
    codec::BASE64
        .decode(encoded.trim())
        .map_err(|_| "the credentials are not valid base64")
}

fn split_user_password(credentials: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = credentials.iter().position(|&byte| byte == b':')?;
    Some((&credentials[..colon], &credentials[colon + 1..]))
}

#[cfg(test)]
mod tests;
