//! Every Redis key shiprelay uses, in one place. Operators read these with redis-cli, so the names
//! are stable and documented in the README. All keys share the `{prefix}` hash tag so that one
//! relay's keys live in one Redis Cluster slot, which multi-key scripts require.

use sha2::{Digest, Sha256};

/// Provider ids longer than this are hashed in the dedupe key, to bound key size.
const MAX_DEDUPE_KEY_LEN: usize = 200;

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

    /// Stream of normalised events (field `event` holds the CloudEvent JSON).
    pub fn events(&self) -> String {
        self.key("events")
    }

    /// Stream of verified payloads that could not be normalised.
    pub fn quarantine(&self) -> String {
        self.key("quarantine")
    }

    /// Event id -> its entry id in the events stream, for lookups by id.
    pub fn event_index(&self, event_id: &str) -> String {
        self.key(&format!("event:{event_id}"))
    }

    /// A subscription's hash (field `record`: the JSON record, secrets included).
    pub fn subscription(&self, id: &str) -> String {
        self.key(&format!("subscription:{id}"))
    }

    /// Delivery jobs, one per (event, subscription); consumer group `deliver`.
    pub fn deliveries(&self) -> String {
        self.key("deliveries")
    }

    /// Jobs waiting for their next attempt, scored by due time (ms).
    pub fn retry(&self) -> String {
        self.key("retry")
    }

    /// Jobs that exhausted their attempts (or whose subscription is disabled), with the reason.
    pub fn dead(&self) -> String {
        self.key("dead")
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

    /// Written by an enqueue of repeats only, when waiting for replicas: it gives `WAIT` a write of
    /// this client to wait for.
    pub fn replication_mark(&self) -> String {
        self.key("replication-mark")
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

    /// The audit log (capped stream).
    pub fn audit(&self) -> String {
        self.key("audit")
    }

    /// Requests of one API key in one second (rate limit window).
    pub fn request_window(&self, scope_id: &str, second: i64) -> String {
        self.key(&format!("ratelimit:{scope_id}:{second}"))
    }

    /// A remembered `Idempotency-Key`, scoped by API key (both hashed: keys are caller-chosen).
    pub fn idempotency(&self, api_key_id: &str, key: &str) -> String {
        let digest = hex::encode(Sha256::digest(key.as_bytes()));
        self.key(&format!("idempotency:{api_key_id}:{digest}"))
    }

    /// Marker that a provider event was accepted; its value is the JSON array of our event ids.
    pub fn seen(&self, source: &str, dedupe_key: &str) -> String {
        if dedupe_key.len() <= MAX_DEDUPE_KEY_LEN {
            self.key(&format!("seen:{source}:{dedupe_key}"))
        } else {
            let digest = hex::encode(Sha256::digest(dedupe_key.as_bytes()));
            self.key(&format!("seen:{source}:sha256:{digest}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_the_prefix_as_a_hash_tag() {
        let keys = Keys::new("shiprelay");
        assert_eq!(keys.events(), "{shiprelay}:events");
        assert_eq!(keys.quarantine(), "{shiprelay}:quarantine");
        assert_eq!(
            keys.seen("flexops", "evt_1"),
            "{shiprelay}:seen:flexops:evt_1"
        );
    }

    #[test]
    fn long_provider_ids_are_hashed() {
        let keys = Keys::new("p");
        let long = "x".repeat(500);
        let key = keys.seen("s", &long);
        assert!(key.starts_with("{p}:seen:s:sha256:"));
        assert_eq!(key.len(), "{p}:seen:s:sha256:".len() + 64);
    }
}
