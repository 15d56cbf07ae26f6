//! Changing a registry record in place: read it, change it (a pure closure), compare-and-set it,
//! and again from the top when another writer won, a bounded number of times. The store owns the
//! loop and the encoding, so a service only says what changes.

use chrono::{DateTime, Utc};

use super::records::{decode, encode};
use super::{AuditRecord, QueueError, Registry};
use crate::subscriptions::model::Subscription;
use crate::tenancy::Tenant;

/// How many times a change is tried against concurrent writers before it gives up.
pub const MAX_UPDATE_ATTEMPTS: usize = 8;

/// The actor of the changes the relay makes on its own (a subscription disabled by its failures).
pub const RELAY_ACTOR: &str = "shiprelay";

/// What came of a change.
#[derive(Debug)]
pub enum Updated<T> {
    Changed {
        before: T,
        after: T,
    },
    Missing,
    /// Another writer won every attempt.
    Contended,
}

impl Registry {
    /// Changes a subscription's record; a change of URL or a re-enable forgets its failure streak
    /// in the same step.
    pub async fn subscription_update(
        &self,
        id: &str,
        mut change: impl FnMut(&mut Subscription),
    ) -> Result<Updated<Subscription>, QueueError> {
        for _ in 0..MAX_UPDATE_ATTEMPTS {
            let Some(current) = self.subscription(id).await? else {
                return Ok(Updated::Missing);
            };
            let before: Subscription = decode("subscription", &current)?;
            let mut after = before.clone();
            change(&mut after);
            let restart_streak = before.restarts_streak(&after);
            let new = encode(&after)?;
            if self
                .subscription_replace(id, &current, &new, restart_streak)
                .await?
            {
                return Ok(Updated::Changed { before, after });
            }
        }
        Ok(Updated::Contended)
    }

    /// Changes a tenant's record.
    pub async fn tenant_update(
        &self,
        id: &str,
        mut change: impl FnMut(&mut Tenant),
    ) -> Result<Updated<Tenant>, QueueError> {
        for _ in 0..MAX_UPDATE_ATTEMPTS {
            let Some(current) = self.tenant(id).await? else {
                return Ok(Updated::Missing);
            };
            let before: Tenant = decode("tenant", &current)?;
            let mut after = before.clone();
            change(&mut after);
            if self.tenant_replace(id, &current, &encode(&after)?).await? {
                return Ok(Updated::Changed { before, after });
            }
        }
        Ok(Updated::Contended)
    }

    /// The relay disables a subscription that keeps failing: the record says why, and the audit
    /// log says that the relay did it (actor `shiprelay`, action `subscription.disabled`). False
    /// when it was already disabled or is gone; nothing is written then.
    pub async fn subscription_disable(
        &self,
        id: &str,
        reason: &str,
        now: DateTime<Utc>,
        audit_len: usize,
    ) -> Result<bool, QueueError> {
        let change = |sub: &mut Subscription| {
            if sub.enabled {
                sub.enabled = false;
                sub.disabled_reason = Some(reason.to_string());
                sub.updated_at = now;
            }
        };
        let tenant = match self.subscription_update(id, change).await? {
            Updated::Changed { before, .. } if before.enabled => before.tenant,
            Updated::Changed { .. } | Updated::Missing => return Ok(false),
            Updated::Contended => {
                return Err(QueueError::Reply(
                    "the subscription changed concurrently too often".into(),
                ));
            }
        };
        let entry = AuditRecord {
            id: String::new(),
            at: crate::time::rfc3339(now),
            actor: RELAY_ACTOR.to_string(),
            tenant,
            action: "subscription.disabled".to_string(),
            target: id.to_string(),
            correlation_id: String::new(),
        };
        if let Err(error) = self.audit_append(&entry, audit_len).await {
            tracing::warn!(%error, subscription_id = %id, "could not write the audit entry");
        }
        Ok(true)
    }
}
