//! The registry's Redis keys (tenants, API keys, subscriptions, audit, idempotency, quarantine),
//! in one place. Operators read these with redis-cli, so the names are stable and documented in
//! the README. They share the `{prefix}` hash tag: one slot, so multi-key scripts can change them
//! together; they are small and read through caches. Per-event keys live in partitions
//! ([`super::partition::PartKeys`]).

use sha2::{Digest, Sha256};

/// Provider ids longer than this are hashed in the dedupe key, to bound key size.
const MAX_DEDUPE_KEY_LEN: usize = 200;

/// `dedupe_key` itself, or `sha256:<hex>` of it when it is longer than a key should be.
pub fn hashed_if_long(dedupe_key: &str) -> String {
    if dedupe_key.len() <= MAX_DEDUPE_KEY_LEN {
        dedupe_key.to_string()
    } else {
        format!(
            "sha256:{}",
            hex::encode(Sha256::digest(dedupe_key.as_bytes()))
        )
    }
}

#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    pub fn new(prefix: &str) -> Keys {
        Keys {
            prefix: prefix.to_string(),
        }
    }

    fn key(&self, name: &str) -> String {
        format!("{{{}}}:{name}", self.prefix)
    }

    /// Stream of verified payloads that could not be normalised.
    pub fn quarantine(&self) -> String {
        self.key("quarantine")
    }

    /// A subscription's hash (field `record`: the JSON record, secrets included).
    pub fn subscription(&self, id: &str) -> String {
        self.key(&format!("subscription:{id}"))
    }

    /// A subscription's delivery log (capped stream).
    pub fn attempts(&self, subscription_id: &str) -> String {
        self.key(&format!("attempts:{subscription_id}"))
    }

    /// Incremented on every subscription change, so routers know when to reload.
    pub fn subscriptions_version(&self) -> String {
        self.key("subscriptions:version")
    }

    /// Sorted set of subscription ids, scored by creation time (ms): the list order.
    pub fn subscriptions(&self) -> String {
        self.key("subscriptions")
    }

    /// A tenant record (hash, field `record`: JSON).
    pub fn tenant(&self, id: &str) -> String {
        self.key(&format!("tenant:{id}"))
    }

    /// Sorted set of tenant ids, scored by creation time (ms).
    pub fn tenants(&self) -> String {
        self.key("tenants")
    }

    /// Sorted set of a tenant's subscription ids, scored by creation time (ms).
    pub fn tenant_subscriptions(&self, tenant: &str) -> String {
        self.key(&format!("tenant:{tenant}:subscriptions"))
    }

    /// Hash of a tenant's key ids to the digests they are stored under.
    pub fn tenant_keys(&self, tenant: &str) -> String {
        self.key(&format!("tenant:{tenant}:keys"))
    }

    /// A tenant API key's record (JSON), under the SHA-256 of the key: looked up, never scanned.
    pub fn api_key(&self, digest: &str) -> String {
        self.key(&format!("apikey:{digest}"))
    }

    /// Hash of tenant key ids to when each was last used (ms).
    pub fn keys_last_used(&self) -> String {
        self.key("apikeys:last-used")
    }

    /// One minute's counts for the console's figures (hash, expiring; see `metrics::minutes`).
    pub fn minute(&self, unix_minute: i64) -> String {
        self.key(&format!("minute:{unix_minute}"))
    }

    /// The audit log (capped stream).
    pub fn audit(&self) -> String {
        self.key("audit")
    }

    /// Requests of one API key in one second (rate limit window).
    pub fn request_window(&self, scope_id: &str, second: i64) -> String {
        self.key(&format!("ratelimit:{scope_id}:{second}"))
    }

    /// The next free delivery slot (µs, Redis's clock) under a rate limit: `scope` is
    /// `subscription` or `tenant`.
    pub fn delivery_rate(&self, scope: &str, id: &str) -> String {
        self.key(&format!("delivery-rate:{scope}:{id}"))
    }

    /// A remembered `Idempotency-Key`, scoped by API key (both hashed: keys are caller-chosen).
    pub fn idempotency(&self, api_key_id: &str, key: &str) -> String {
        let digest = hex::encode(Sha256::digest(key.as_bytes()));
        self.key(&format!("idempotency:{api_key_id}:{digest}"))
    }

    /// Written by readiness checks: the registry is ready when its master takes a write.
    pub fn probe(&self) -> String {
        self.key("probe")
    }

    /// A key of the layout before partitions (`{prefix}:events`, `deliveries`, `retry`, `dead`),
    /// read only by the upgrade that moves what it holds.
    pub fn legacy(&self, name: &str) -> String {
        self.key(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::partition::PartKeys;

    #[test]
    fn keys_carry_their_hash_tag() {
        let keys = Keys::new("shiprelay");
        assert_eq!(keys.quarantine(), "{shiprelay}:quarantine");
        assert_eq!(keys.legacy("events"), "{shiprelay}:events");
        let part = PartKeys::new("shiprelay:3".into());
        assert_eq!(part.events(), "{shiprelay:3}:events");
        assert_eq!(
            part.seen("flexops", "evt_1"),
            "{shiprelay:3}:seen:flexops:evt_1"
        );
    }

    #[test]
    fn long_provider_ids_are_hashed() {
        let part = PartKeys::new("p:0".into());
        let long = "x".repeat(500);
        let key = part.seen("s", &long);
        assert!(key.starts_with("{p:0}:seen:s:sha256:"));
        assert_eq!(key.len(), "{p:0}:seen:s:sha256:".len() + 64);
    }
}
