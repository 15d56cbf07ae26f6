//! API keys: tenant keys are `srk_` + 32 random bytes (base64url), shown once and stored only as
//! their SHA-256 (they are long random strings, so a fast hash is right: there is nothing to
//! brute-force). Admin keys come from config, in plain text or as `sha256:<hex>` so a config file
//! need hold no key. Pure: randomness is passed in.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::secret::Secret;

pub const KEY_PREFIX: &str = "srk_";
const DIGEST_PREFIX: &str = "sha256:";
/// How much of a key `GET /v1/tenants/{id}/keys` shows.
pub const SHOWN_PREFIX_CHARS: usize = 8;

/// A new tenant key from 32 random bytes.
pub fn new_key(random: [u8; 32]) -> Secret {
    Secret::new(format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(random)))
}

/// The hex SHA-256 of a presented key: what is stored and looked up.
pub fn digest(presented: &str) -> String {
    hex::encode(Sha256::digest(presented.as_bytes()))
}

/// An admin key as configured: the digest to compare with.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminKey {
    digest: [u8; 32],
}

impl std::fmt::Debug for AdminKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminKey([redacted])")
    }
}

impl AdminKey {
    /// `sha256:<64 hex>` or the key itself; `None` for a malformed digest form.
    pub fn parse(configured: &Secret) -> Option<AdminKey> {
        let text = configured.expose();
        let digest = match text.strip_prefix(DIGEST_PREFIX) {
            Some(hex_digest) => hex::decode(hex_digest).ok()?.try_into().ok()?,
            None => Sha256::digest(text.as_bytes()).into(),
        };
        Some(AdminKey { digest })
    }

    /// Whether `presented` is this key, compared in constant time.
    pub fn matches(&self, presented_digest: &[u8; 32]) -> bool {
        self.digest.ct_eq(presented_digest).into()
    }

    /// `admin:<first 12 hex of the digest>`: names the key in the audit log without revealing it.
    pub fn actor(&self) -> String {
        format!("admin:{}", &hex::encode(self.digest)[..12])
    }
}

/// Whether a configured admin key entry is well-formed (config validation).
pub fn is_valid_admin_entry(configured: &str) -> bool {
    match configured.strip_prefix(DIGEST_PREFIX) {
        Some(hex_digest) => {
            hex_digest.len() == 64 && hex_digest.bytes().all(|b| b.is_ascii_hexdigit())
        }
        None => configured.chars().count() >= 16,
    }
}

/// The raw SHA-256 of a presented key, for admin comparison.
pub fn raw_digest(presented: &str) -> [u8; 32] {
    Sha256::digest(presented.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_prefixed_base64url_of_32_bytes() {
        let key = new_key([0xfb; 32]);
        let text = key.expose();
        assert!(text.starts_with("srk_"));
        assert_eq!(text.len(), 4 + 43);
        assert!(!text.contains('+') && !text.contains('/') && !text.contains('='));
    }

    #[test]
    fn the_digest_is_the_hex_sha256() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn admin_keys_match_in_plain_and_digest_form() {
        let plain = AdminKey::parse(&Secret::new("dev-api-key-change-me-0123456789")).unwrap();
        let hashed = AdminKey::parse(&Secret::new(format!(
            "sha256:{}",
            digest("dev-api-key-change-me-0123456789")
        )))
        .unwrap();
        let presented = raw_digest("dev-api-key-change-me-0123456789");
        assert!(plain.matches(&presented) && hashed.matches(&presented));
        assert!(!plain.matches(&raw_digest("another-key-0123456789")));
        assert_eq!(plain.actor(), hashed.actor());
        assert!(plain.actor().starts_with("admin:") && plain.actor().len() == 18);
    }

    #[test]
    fn malformed_digest_entries_are_refused() {
        assert!(AdminKey::parse(&Secret::new("sha256:zz")).is_none());
        assert!(!is_valid_admin_entry("sha256:abc"));
        assert!(!is_valid_admin_entry("short"));
        assert!(is_valid_admin_entry(&format!("sha256:{}", digest("x"))));
        assert!(is_valid_admin_entry("a-long-enough-key-123"));
    }
}
