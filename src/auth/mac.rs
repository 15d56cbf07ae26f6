//! The one place that computes an HMAC, so every scheme signs and compares the same way.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};

use super::Digest;

/// HMAC of the concatenation of `message` parts; `None` for an empty key, so that a secret left
/// blank by mistake can never verify (anyone could forge a MAC under the empty key).
pub(super) fn hmac(digest: Digest, key: &[u8], message: &[&[u8]]) -> Option<Vec<u8>> {
    if key.is_empty() {
        return None;
    }
    match digest {
        Digest::Sha1 => hmac_with::<Hmac<Sha1>>(key, message),
        Digest::Sha256 => hmac_with::<Hmac<Sha256>>(key, message),
    }
}

fn hmac_with<M: Mac + KeyInit>(key: &[u8], message: &[&[u8]]) -> Option<Vec<u8>> {
    let mut mac = <M as KeyInit>::new_from_slice(key).ok()?;
    for part in message {
        mac.update(part);
    }
    Some(mac.finalize().into_bytes().to_vec())
}

/// True when the MAC of `message` under some key equals some presented digest.
///
/// Each key's MAC is computed once and compared with every presented digest in constant time, so a
/// header listing many signatures costs one HMAC per key, not one per signature.
pub(super) fn signed_by_any<K: AsRef<[u8]>>(
    digest: Digest,
    keys: impl IntoIterator<Item = K>,
    message: &[&[u8]],
    presented: &[Vec<u8>],
) -> bool {
    keys.into_iter().any(|key| {
        let Some(expected) = hmac(digest, key.as_ref(), message) else {
            return false;
        };
        presented
            .iter()
            .fold(Choice::from(0), |found, candidate| {
                found | expected.as_slice().ct_eq(candidate)
            })
            .into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_concatenated() {
        let whole = hmac(Digest::Sha256, b"k", &[b"a.b"]);
        let parts = hmac(Digest::Sha256, b"k", &[b"a", b".", b"b"]);
        assert!(whole.is_some());
        assert_eq!(whole, parts);
    }

    #[test]
    fn output_lengths_match_the_digest() {
        for digest in [Digest::Sha1, Digest::Sha256] {
            let mac = hmac(digest, b"k", &[b"body"]).map(|m| m.len());
            assert_eq!(mac, Some(digest.output_len()));
        }
    }

    #[test]
    fn an_empty_key_never_signs() {
        assert_eq!(hmac(Digest::Sha256, b"", &[b"body"]), None);
        let forged = hmac_with::<Hmac<Sha256>>(b"", &[b"body"]).unwrap_or_default();
        assert!(!signed_by_any(Digest::Sha256, [b""], &[b"body"], &[forged]));
    }

    #[test]
    fn any_presented_digest_may_match() {
        let good = hmac(Digest::Sha1, b"k", &[b"body"]).unwrap_or_default();
        let presented = vec![vec![0; 20], good, vec![1; 3]];
        assert!(signed_by_any(
            Digest::Sha1,
            [b"x", b"k"],
            &[b"body"],
            &presented
        ));
        assert!(!signed_by_any(Digest::Sha1, [b"x"], &[b"body"], &presented));
    }
}
