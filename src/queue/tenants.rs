//! Tenant records, tenant API keys (stored under their digest), and the per-key request window.
//! Records are opaque JSON here; `tenancy::model` owns their shape.

use super::{QueueError, Registry};

/// What deleting a tenant did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantDelete {
    Deleted,
    NotFound,
    HasSubscriptions,
}

impl Registry {
    /// Creates the tenant; false when the id is taken.
    pub async fn tenant_create(
        &self,
        id: &str,
        created_ms: i64,
        record: &str,
    ) -> Result<bool, QueueError> {
        let mut invocation = self.scripts.tenant_create.prepare_invoke();
        invocation
            .key(self.keys.tenant(id))
            .key(self.keys.tenants())
            .key(self.keys.subscriptions_version())
            .arg(id)
            .arg(created_ms)
            .arg(record);
        let mut conn = self.conn();
        let created: i64 = self
            .bounded("tenant create script", invocation.invoke_async(&mut conn))
            .await?;
        if created == 1 {
            self.publish_version().await?;
        }
        Ok(created == 1)
    }

    pub async fn tenant(&self, id: &str) -> Result<Option<String>, QueueError> {
        let mut conn = self.conn();
        self.bounded(
            "HGET",
            redis::cmd("HGET")
                .arg(self.keys.tenant(id))
                .arg("record")
                .query_async(&mut conn),
        )
        .await
    }

    /// Every tenant record, in creation order.
    pub async fn tenants_all(&self) -> Result<Vec<String>, QueueError> {
        let mut conn = self.conn();
        let ids: Vec<String> = self
            .bounded(
                "ZRANGE",
                redis::cmd("ZRANGE")
                    .arg(self.keys.tenants())
                    .arg(0)
                    .arg(-1)
                    .query_async(&mut conn),
            )
            .await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for id in &ids {
            pipe.hget(self.keys.tenant(id), "record");
        }
        let records: Vec<Option<String>> = self
            .bounded("tenant records", pipe.query_async(&mut conn))
            .await?;
        Ok(records.into_iter().flatten().collect())
    }

    /// Compare-and-set of a tenant record (bumps the subscriptions version: routing reads tenants'
    /// allowed sources); false when someone else changed it first.
    pub async fn tenant_replace(
        &self,
        id: &str,
        current: &str,
        new: &str,
    ) -> Result<bool, QueueError> {
        self.replace_record(
            &self.keys.tenant(id),
            current,
            new,
            false,
            "tenant replace script",
        )
        .await
    }

    pub async fn tenant_delete(&self, id: &str) -> Result<TenantDelete, QueueError> {
        let mut invocation = self.scripts.tenant_delete.prepare_invoke();
        invocation
            .key(self.keys.tenant(id))
            .key(self.keys.tenants())
            .key(self.keys.tenant_subscriptions(id))
            .key(self.keys.tenant_keys(id))
            .key(self.keys.subscriptions_version())
            .key(self.keys.keys_last_used())
            .arg(id)
            .arg(self.keys.api_key(""));
        let mut conn = self.conn();
        let outcome: i64 = self
            .bounded("tenant delete script", invocation.invoke_async(&mut conn))
            .await?;
        if outcome == 1 {
            self.publish_version().await?;
        }
        Ok(match outcome {
            1 => TenantDelete::Deleted,
            -1 => TenantDelete::HasSubscriptions,
            _ => TenantDelete::NotFound,
        })
    }

    /// The number of subscriptions a tenant has.
    pub async fn tenant_subscription_count(&self, tenant: &str) -> Result<u64, QueueError> {
        let mut conn = self.conn();
        self.bounded(
            "ZCARD",
            redis::cmd("ZCARD")
                .arg(self.keys.tenant_subscriptions(tenant))
                .query_async(&mut conn),
        )
        .await
    }

    /// Stores a tenant key record under `digest`; false when the tenant does not exist.
    pub async fn key_create(
        &self,
        tenant: &str,
        key_id: &str,
        digest: &str,
        record: &str,
    ) -> Result<bool, QueueError> {
        let mut invocation = self.scripts.key_create.prepare_invoke();
        invocation
            .key(self.keys.tenant(tenant))
            .key(self.keys.tenant_keys(tenant))
            .key(self.keys.api_key(digest))
            .arg(key_id)
            .arg(digest)
            .arg(record);
        let mut conn = self.conn();
        let created: i64 = self
            .bounded("key create script", invocation.invoke_async(&mut conn))
            .await?;
        Ok(created == 1)
    }

    /// A tenant's key records with when each was last used (ms), in no particular order.
    pub async fn keys_of(&self, tenant: &str) -> Result<Vec<(String, Option<i64>)>, QueueError> {
        let mut conn = self.conn();
        let pairs: Vec<(String, String)> = self
            .bounded(
                "HGETALL",
                redis::cmd("HGETALL")
                    .arg(self.keys.tenant_keys(tenant))
                    .query_async(&mut conn),
            )
            .await?;
        if pairs.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for (key_id, digest) in &pairs {
            pipe.get(self.keys.api_key(digest));
            pipe.hget(self.keys.keys_last_used(), key_id);
        }
        let replies: Vec<Option<String>> = self
            .bounded("key records", pipe.query_async(&mut conn))
            .await?;
        Ok(replies
            .chunks(2)
            .filter_map(|pair| {
                let record = pair[0].clone()?;
                Some((record, pair[1].as_deref().and_then(|ms| ms.parse().ok())))
            })
            .collect())
    }

    /// Revokes a tenant key; false when the tenant has no such key.
    pub async fn key_revoke(&self, tenant: &str, key_id: &str) -> Result<bool, QueueError> {
        let mut invocation = self.scripts.key_revoke.prepare_invoke();
        invocation
            .key(self.keys.tenant_keys(tenant))
            .key(self.keys.keys_last_used())
            .arg(key_id)
            .arg(self.keys.api_key(""));
        let mut conn = self.conn();
        let revoked: i64 = self
            .bounded("key revoke script", invocation.invoke_async(&mut conn))
            .await?;
        Ok(revoked == 1)
    }

    /// The key record stored under `digest`, if that key exists (is not revoked).
    pub async fn key_lookup(&self, digest: &str) -> Result<Option<String>, QueueError> {
        let mut conn = self.conn();
        self.bounded(
            "GET",
            redis::cmd("GET")
                .arg(self.keys.api_key(digest))
                .query_async(&mut conn),
        )
        .await
    }

    pub async fn key_touch(&self, key_id: &str, at_ms: i64) -> Result<(), QueueError> {
        let mut conn = self.conn();
        self.bounded(
            "HSET",
            redis::cmd("HSET")
                .arg(self.keys.keys_last_used())
                .arg(key_id)
                .arg(at_ms)
                .query_async::<()>(&mut conn),
        )
        .await
    }

    /// Counts a request of `scope_id` in the window of `second`; returns the count so far.
    pub async fn count_request(&self, scope_id: &str, second: i64) -> Result<u64, QueueError> {
        let mut invocation = self.scripts.request_window.prepare_invoke();
        invocation.key(self.keys.request_window(scope_id, second));
        let mut conn = self.conn();
        self.bounded("request window script", invocation.invoke_async(&mut conn))
            .await
    }

    /// Puts an existing subscription into its tenant's index (upgrade of data written before
    /// tenants existed; idempotent).
    pub async fn index_subscription(
        &self,
        tenant: &str,
        id: &str,
        created_ms: i64,
    ) -> Result<(), QueueError> {
        let mut conn = self.conn();
        self.bounded(
            "ZADD",
            redis::cmd("ZADD")
                .arg(self.keys.tenant_subscriptions(tenant))
                .arg("NX")
                .arg(created_ms)
                .arg(id)
                .query_async::<()>(&mut conn),
        )
        .await
    }
}
