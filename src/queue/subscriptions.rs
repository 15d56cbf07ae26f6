//! Subscription records: a hash per subscription (field `record` holds the JSON, secrets
//! included) and a sorted set of ids by creation time for listing. The records are opaque JSON
//! here; `subscriptions::model` owns their shape.

use super::{QueueError, Registry};

/// What creating a subscription did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionCreate {
    Created,
    /// The tenant has its `maxSubscriptions` already.
    AtLimit,
    NoTenant,
}

#[derive(Debug, Clone)]
pub struct SubscriptionsPage {
    pub records: Vec<String>,
    pub total: u64,
}

impl Registry {
    /// Creates a subscription of `tenant` unless the tenant already has `max` (or does not exist).
    pub async fn subscription_create(
        &self,
        tenant: &str,
        id: &str,
        created_ms: i64,
        record: &str,
        max: u32,
    ) -> Result<SubscriptionCreate, QueueError> {
        let mut invocation = self.scripts.subscription_create.prepare_invoke();
        invocation
            .key(self.keys.subscription(id))
            .key(self.keys.subscriptions())
            .key(self.keys.tenant_subscriptions(tenant))
            .key(self.keys.subscriptions_version())
            .key(self.keys.tenant(tenant))
            .arg(id)
            .arg(created_ms)
            .arg(record)
            .arg(max);
        let mut conn = self.conn();
        let outcome: i64 = self
            .bounded(
                "subscription create script",
                invocation.invoke_async(&mut conn),
            )
            .await?;
        if outcome == 1 {
            self.publish_version().await?;
        }
        Ok(match outcome {
            1 => SubscriptionCreate::Created,
            0 => SubscriptionCreate::AtLimit,
            _ => SubscriptionCreate::NoTenant,
        })
    }

    pub async fn subscription(&self, id: &str) -> Result<Option<String>, QueueError> {
        let mut conn = self.conn();
        self.bounded(
            "HGET",
            redis::cmd("HGET")
                .arg(self.keys.subscription(id))
                .arg("record")
                .query_async(&mut conn),
        )
        .await
    }

    /// Replaces the record only if it is still `current`; false means someone else changed it.
    /// With `restart_streak`, its failure streak is forgotten in the same step (re-enabled, or
    /// pointed at another URL).
    pub async fn subscription_replace(
        &self,
        id: &str,
        current: &str,
        new: &str,
        restart_streak: bool,
    ) -> Result<bool, QueueError> {
        self.replace_record(
            &self.keys.subscription(id),
            current,
            new,
            restart_streak,
            "subscription replace script",
        )
        .await
    }

    /// Compare-and-set of the `record` field of a registry hash (a subscription or a tenant),
    /// bumping the subscriptions version so routers reload; false when another writer won.
    pub(super) async fn replace_record(
        &self,
        hash_key: &str,
        current: &str,
        new: &str,
        restart_streak: bool,
        op: &'static str,
    ) -> Result<bool, QueueError> {
        let mut invocation = self.scripts.subscription_replace.prepare_invoke();
        invocation
            .key(hash_key)
            .key(self.keys.subscriptions_version())
            .arg(current)
            .arg(new)
            .arg(u8::from(restart_streak));
        let mut conn = self.conn();
        let replaced: i64 = self.bounded(op, invocation.invoke_async(&mut conn)).await?;
        if replaced == 1 {
            self.publish_version().await?;
        }
        Ok(replaced == 1)
    }

    /// Deletes the subscription of `tenant`, with its delivery log; false when it did not exist.
    pub async fn subscription_delete(&self, tenant: &str, id: &str) -> Result<bool, QueueError> {
        let mut conn = self.conn();
        let (deleted, _, _, _, _): (i64, i64, i64, i64, i64) = self
            .bounded(
                "subscription delete",
                redis::pipe()
                    .atomic()
                    .del(self.keys.subscription(id))
                    .zrem(self.keys.subscriptions(), id)
                    .zrem(self.keys.tenant_subscriptions(tenant), id)
                    .del(self.keys.attempts(id))
                    .incr(self.keys.subscriptions_version(), 1)
                    .query_async(&mut conn),
            )
            .await?;
        self.publish_version().await?;
        Ok(deleted == 1)
    }

    /// Records `offset..offset + count` in creation order, and how many there are in all. Any
    /// offset is accepted: one past the end (or past what Redis can index) is an empty page.
    /// Only `tenant`'s when given.
    pub async fn subscriptions_page(
        &self,
        tenant: Option<&str>,
        offset: u64,
        count: u64,
    ) -> Result<SubscriptionsPage, QueueError> {
        let mut conn = self.conn();
        let index = match tenant {
            Some(tenant) => self.keys.tenant_subscriptions(tenant),
            None => self.keys.subscriptions(),
        };
        let (total, ids): (u64, Vec<String>) = match zrange_bounds(offset, count) {
            Some((start, stop)) => {
                self.bounded(
                    "subscriptions page",
                    redis::pipe()
                        .zcard(&index)
                        .zrange(&index, start, stop)
                        .query_async(&mut conn),
                )
                .await?
            }
            None => (
                self.bounded(
                    "ZCARD",
                    redis::cmd("ZCARD").arg(&index).query_async(&mut conn),
                )
                .await?,
                Vec::new(),
            ),
        };
        let records = self.records(&ids).await?;
        Ok(SubscriptionsPage { records, total })
    }

    /// The subscriptions version: it changes whenever any subscription does.
    pub async fn subscriptions_version(&self) -> Result<u64, QueueError> {
        let mut conn = self.conn();
        let version: Option<u64> = self
            .bounded(
                "GET",
                redis::cmd("GET")
                    .arg(self.keys.subscriptions_version())
                    .query_async(&mut conn),
            )
            .await?;
        Ok(version.unwrap_or(0))
    }

    /// Every subscription (id, record), in creation order.
    pub async fn subscriptions_all(&self) -> Result<Vec<(String, String)>, QueueError> {
        let mut conn = self.conn();
        let ids: Vec<String> = self
            .bounded(
                "ZRANGE",
                redis::cmd("ZRANGE")
                    .arg(self.keys.subscriptions())
                    .arg(0)
                    .arg(-1)
                    .query_async(&mut conn),
            )
            .await?;
        self.records_by_id(&ids).await
    }

    async fn records(&self, ids: &[String]) -> Result<Vec<String>, QueueError> {
        Ok(self
            .records_by_id(ids)
            .await?
            .into_iter()
            .map(|(_, record)| record)
            .collect())
    }

    async fn records_by_id(&self, ids: &[String]) -> Result<Vec<(String, String)>, QueueError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for id in ids {
            pipe.hget(self.keys.subscription(id), "record");
        }
        let mut conn = self.conn();
        let records: Vec<Option<String>> = self
            .bounded("subscription records", pipe.query_async(&mut conn))
            .await?;
        // A record deleted between the two reads is simply not listed.
        Ok(ids
            .iter()
            .cloned()
            .zip(records)
            .filter_map(|(id, record)| Some((id, record?)))
            .collect())
    }
}

/// ZRANGE start and stop (inclusive) for a page, or `None` when the page is empty by construction.
fn zrange_bounds(offset: u64, count: u64) -> Option<(isize, isize)> {
    let start = isize::try_from(offset).ok()?;
    let last = offset.checked_add(count.checked_sub(1)?)?;
    Some((start, isize::try_from(last).unwrap_or(isize::MAX)))
}

#[cfg(test)]
mod tests {
    use super::zrange_bounds;

    #[test]
    fn page_bounds_never_overflow() {
        assert_eq!(zrange_bounds(0, 20), Some((0, 19)));
        assert_eq!(zrange_bounds(40, 20), Some((40, 59)));
        assert_eq!(zrange_bounds(0, 0), None);
        assert_eq!(zrange_bounds(u64::MAX, 100), None);
        assert_eq!(
            zrange_bounds(isize::MAX as u64, 100),
            Some((isize::MAX, isize::MAX))
        );
    }
}
