//! Authentication of API keys: admin keys from config (constant-time digest comparison) and tenant
//! keys looked up by digest in Redis, each looked-up answer cached for one second per process, so
//! a revoked key is refused by every process within a second or two while a busy caller costs
//! Redis at most one lookup a second. `lastUsedAt` is written at most once a minute per process.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::queue::{Queue, QueueError, Registry, records};
use crate::secret::Secret;
use crate::tenancy::Principal;
use crate::tenancy::keys::{AdminKey, digest, raw_digest};
use crate::tenancy::model::TenantKey;

const CACHE_TTL: Duration = Duration::from_secs(1);
const TOUCH_EVERY: Duration = Duration::from_secs(60);
const MAX_CACHED: usize = 10_000;

pub struct KeyDirectory {
    registry: Registry,
    admin: Vec<AdminKey>,
    cache: Mutex<HashMap<String, (Instant, Option<Principal>)>>,
    touched: Mutex<HashMap<String, Instant>>,
}

impl KeyDirectory {
    /// `admin_keys` as configured (plain or `sha256:`; malformed entries were refused by config
    /// validation and are skipped).
    pub fn new(queue: Queue, admin_keys: &[Secret]) -> KeyDirectory {
        KeyDirectory {
            registry: queue.registry(),
            admin: admin_keys.iter().filter_map(AdminKey::parse).collect(),
            cache: Mutex::default(),
            touched: Mutex::default(),
        }
    }

    /// The principal a presented key stands for; `None` for an unknown or revoked key.
    pub async fn authenticate(&self, presented: &str) -> Result<Option<Principal>, QueueError> {
        let raw = raw_digest(presented);
        // Every admin key is compared (no early exit), so timing tells nothing about them.
        let admin = self.admin.iter().fold(None, |found, key| {
            if key.matches(&raw) {
                Some(key.actor())
            } else {
                found
            }
        });
        if let Some(actor) = admin {
            return Ok(Some(Principal::Admin { actor }));
        }
        let hex_digest = digest(presented);
        if let Some(cached) = self.cached(&hex_digest) {
            return Ok(cached);
        }
        let principal = self.lookup(&hex_digest).await?;
        self.remember(hex_digest, principal.clone());
        if let Some(Principal::Tenant { key_id, .. }) = &principal {
            self.touch(key_id);
        }
        Ok(principal)
    }

    /// Drops every cached answer: after a revocation or a tenant deletion in this process, so
    /// this process refuses the key at once (others within the cache's second).
    pub fn forget(&self) {
        self.cache.lock().unwrap().clear();
    }

    async fn lookup(&self, hex_digest: &str) -> Result<Option<Principal>, QueueError> {
        let Some(record) = self.registry.key_lookup(hex_digest).await? else {
            return Ok(None);
        };
        let key: TenantKey = records::decode("key", &record)?;
        let Some(tenant) = self.registry.tenant(&key.tenant).await? else {
            return Ok(None);
        };
        let tenant = records::decode("tenant", &tenant)?;
        Ok(Some(Principal::Tenant {
            tenant,
            key_id: key.id,
            role: key.role,
        }))
    }

    fn cached(&self, hex_digest: &str) -> Option<Option<Principal>> {
        let cache = self.cache.lock().unwrap();
        let (at, principal) = cache.get(hex_digest)?;
        (at.elapsed() < CACHE_TTL).then(|| principal.clone())
    }

    fn remember(&self, hex_digest: String, principal: Option<Principal>) {
        let mut cache = self.cache.lock().unwrap();
        if cache.len() >= MAX_CACHED {
            cache.retain(|_, (at, _)| at.elapsed() < CACHE_TTL);
        }
        cache.insert(hex_digest, (Instant::now(), principal));
    }

    /// Records `lastUsedAt` in the background, at most once a minute per key and process.
    fn touch(&self, key_id: &str) {
        {
            let mut touched = self.touched.lock().unwrap();
            if touched
                .get(key_id)
                .is_some_and(|at| at.elapsed() < TOUCH_EVERY)
            {
                return;
            }
            if touched.len() >= MAX_CACHED {
                touched.retain(|_, at| at.elapsed() < TOUCH_EVERY);
            }
            touched.insert(key_id.to_string(), Instant::now());
        }
        let registry = self.registry.clone();
        let key_id = key_id.to_string();
        tokio::spawn(async move {
            let now = chrono::Utc::now().timestamp_millis();
            if let Err(error) = registry.key_touch(&key_id, now).await {
                tracing::warn!(%error, key_id, "could not record when the key was last used");
            }
        });
    }
}
