//! What the API does with subscriptions: validate, build, store, and change records with a
//! compare-and-set loop so concurrent updates (from any number of shiprelay processes) never
//! overwrite each other. Every call is scoped: a tenant key reaches its own tenant's subscriptions
//! only, and another tenant's id is [`ServiceError::NotFound`], exactly like an unknown one. Time
//! and randomness are passed in.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::event::{Event, EventData, EventType, Kind, ProviderInfo};
use crate::queue::{Queue, Registry, SubscriptionCreate, Updated, records};
use crate::services::audit::AuditLog;
pub use crate::services::error::ServiceError;
use crate::services::tenants::Tenants;
use crate::subscriptions::model::{self, CreateSubscription, Subscription, UpdateSubscription};
use crate::subscriptions::validate;
use crate::tenancy::{Call, Tenant};

/// How long the subscribe-time DNS check may take.
pub const DNS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Randomness the service needs, passed in so tests can fix it.
pub struct Random {
    pub u128: Box<dyn FnMut() -> u128 + Send>,
    pub secret: Box<dyn FnMut() -> [u8; 32] + Send>,
}

impl Random {
    /// The operating system's randomness (through `rand`).
    pub fn system() -> Random {
        Random {
            u128: Box::new(rand::random),
            secret: Box::new(rand::random),
        }
    }
}

pub struct Subscriptions<'a> {
    pub queue: &'a Queue,
    pub registry: &'a Registry,
    pub audit: &'a AuditLog,
    pub known_sources: &'a [String],
    /// Whether URLs may point at loopback, private, link-local or metadata addresses.
    pub allow_private_targets: bool,
}

impl Subscriptions<'_> {
    fn sources(&self) -> Vec<&str> {
        self.known_sources.iter().map(String::as_str).collect()
    }

    fn tenants(&self) -> Tenants<'_> {
        Tenants {
            queue: self.queue,
            registry: self.registry,
            audit: self.audit,
            known_sources: self.known_sources,
        }
    }

    pub async fn create(
        &self,
        call: &Call,
        mut request: CreateSubscription,
        now: DateTime<Utc>,
        mut random: Random,
    ) -> Result<Subscription, ServiceError> {
        let owner = call
            .principal
            .owner_for_new(request.tenant.as_deref())
            .map_err(|_| no_such_tenant())?;
        validate::validate_create(&request, &self.sources()).map_err(ServiceError::Invalid)?;
        let tenant = self
            .tenants()
            .owner(&owner, now)
            .await?
            .ok_or_else(no_such_tenant)?;
        let headers = request.headers.clone().unwrap_or_default();
        let sensitive = request.sensitive_headers.clone().unwrap_or_default();
        validate::validate_header_maps(&headers, &sensitive).map_err(ServiceError::Invalid)?;
        check_sources(&tenant, request.sources.as_deref().unwrap_or_default())?;
        self.check_target(&request.url).await?;
        request.tenant = Some(tenant.id.clone());
        let id = format!("sub_{}", ulid_at(now, (random.u128)()));
        let secret = model::new_secret((random.secret)());
        let subscription = model::create(request, id, secret, now);
        let record = encode(&subscription)?;
        match self
            .registry
            .subscription_create(
                &tenant.id,
                &subscription.id,
                now.timestamp_millis(),
                &record,
                tenant.max_subscriptions,
            )
            .await?
        {
            SubscriptionCreate::Created => {}
            SubscriptionCreate::AtLimit => {
                return Err(ServiceError::invalid(
                    "(body)",
                    format!(
                        "the tenant has its maximum of {} subscriptions (maxSubscriptions)",
                        tenant.max_subscriptions
                    ),
                ));
            }
            SubscriptionCreate::NoTenant => return Err(no_such_tenant()),
        }
        self.audit
            .record(call, &tenant.id, "subscription.created", &subscription.id)
            .await;
        Ok(subscription)
    }

    /// The SSRF guard at subscribe time (delivery checks again, pinned to the checked address).
    async fn check_target(&self, url: &str) -> Result<(), ServiceError> {
        let check = crate::egress::ssrf::check_url(url, self.allow_private_targets);
        within(check, DNS_TIMEOUT)
            .await
            .map_err(|reason| ServiceError::invalid("url", reason))
    }

    /// The subscription, if it exists and the caller may see it.
    pub async fn get(&self, call: &Call, id: &str) -> Result<Subscription, ServiceError> {
        let subscription = self.load(id).await?.ok_or(ServiceError::NotFound)?;
        call.principal.check_owner(&subscription.tenant)?;
        Ok(subscription)
    }

    async fn load(&self, id: &str) -> Result<Option<Subscription>, ServiceError> {
        match self.registry.subscription(id).await? {
            Some(record) => decode(&record).map(Some),
            None => Ok(None),
        }
    }

    /// Page `page` (1-based) of `size`, in creation order, and the total count; a tenant key's
    /// own only, an admin's all or those of `?tenant=`.
    pub async fn list(
        &self,
        call: &Call,
        tenant: Option<&str>,
        page: u64,
        size: u64,
    ) -> Result<(Vec<Subscription>, u64), ServiceError> {
        let Ok(scope) = call.principal.list_scope(tenant) else {
            return Ok((Vec::new(), 0));
        };
        let offset = (page - 1).saturating_mul(size);
        let found = self
            .registry
            .subscriptions_page(scope, offset, size)
            .await?;
        let items = found
            .records
            .iter()
            .map(|r| decode(r))
            .collect::<Result<_, _>>()?;
        Ok((items, found.total))
    }

    /// A page of the subscription's delivery log, newest first.
    pub async fn attempts(
        &self,
        call: &Call,
        id: &str,
        before: Option<crate::queue::StreamId>,
        size: usize,
    ) -> Result<(Vec<crate::queue::LoggedAttempt>, Option<String>), ServiceError> {
        self.get(call, id).await?;
        Ok(self.queue.attempts_page(id, before, size).await?)
    }

    pub async fn update(
        &self,
        call: &Call,
        id: &str,
        update: UpdateSubscription,
        now: DateTime<Utc>,
    ) -> Result<Subscription, ServiceError> {
        let current = self.get(call, id).await?;
        validate::validate_update(&update, &self.sources()).map_err(ServiceError::Invalid)?;
        let tenant = self
            .tenants()
            .load(&current.tenant)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if let Some(sources) = &update.sources {
            check_sources(&tenant, sources)?;
        }
        validate::validate_header_maps(
            update.headers.as_ref().unwrap_or(&current.headers),
            update
                .sensitive_headers
                .as_ref()
                .unwrap_or(&current.sensitive_headers),
        )
        .map_err(ServiceError::Invalid)?;
        if let Some(url) = &update.url {
            self.check_target(url).await?;
        }
        let updated = self
            .modify(id, |sub| model::apply_update(sub, update.clone(), now))
            .await?;
        self.audit
            .record(call, &updated.tenant, "subscription.updated", id)
            .await;
        Ok(updated)
    }

    pub async fn rotate_secret(
        &self,
        call: &Call,
        id: &str,
        grace: chrono::Duration,
        now: DateTime<Utc>,
        mut random: Random,
    ) -> Result<Subscription, ServiceError> {
        let current = self.get(call, id).await?;
        let secret = model::new_secret((random.secret)());
        let rotated = self
            .modify(id, |sub| model::rotate(sub, secret.clone(), now, grace))
            .await?;
        self.audit
            .record(call, &current.tenant, "subscription.secret_rotated", id)
            .await;
        Ok(rotated)
    }

    /// What waits for each of these subscriptions now.
    pub async fn backlogs(
        &self,
        subscriptions: &[Subscription],
        now: DateTime<Utc>,
    ) -> Result<Vec<model::Backlog>, ServiceError> {
        let ids: Vec<String> = subscriptions.iter().map(|s| s.id.clone()).collect();
        let waiting = self.queue.waiting_jobs(&ids).await?;
        Ok(waiting
            .into_iter()
            .map(|w| model::Backlog {
                ordered: w.ordered,
                rate_limited: w.rate_limited,
                oldest_waiting_seconds: w
                    .oldest_accepted_ms
                    .map(|ms| ((now.timestamp_millis() - ms).max(0) as f64) / 1000.0),
            })
            .collect())
    }

    pub async fn delete(&self, call: &Call, id: &str) -> Result<(), ServiceError> {
        let current = self.get(call, id).await?;
        if !self
            .registry
            .subscription_delete(&current.tenant, id)
            .await?
        {
            return Err(ServiceError::NotFound);
        }
        self.audit
            .record(call, &current.tenant, "subscription.deleted", id)
            .await;
        Ok(())
    }

    /// Appends a `ping` event meant for this subscription alone; returns it.
    pub async fn send_test(
        &self,
        call: &Call,
        id: &str,
        now: DateTime<Utc>,
        mut random: Random,
    ) -> Result<Event, ServiceError> {
        let subscription = self.get(call, id).await?;
        let provider = ProviderInfo {
            name: "shiprelay".into(),
            event_id: None,
            event_type: "ping".into(),
            status: None,
            received_at: now,
        };
        let raw =
            json!({"message": "test event from shiprelay", "subscriptionId": subscription.id});
        let mut event = Event::draft(
            "api",
            EventType::Ping,
            Some(format!("subscription:{}", subscription.id)),
            now,
            EventData::new(Kind::Other, provider, raw),
        );
        event.id = crate::providers::new_event_id(now, (random.u128)());
        self.queue
            .partition_for(&event.id)
            .append_targeted(&event, &subscription.id)
            .await?;
        self.audit
            .record(
                call,
                &subscription.tenant,
                "subscription.tested",
                &subscription.id,
            )
            .await;
        Ok(event)
    }

    /// Reads, changes and writes back with compare-and-set, retrying when another writer won.
    async fn modify(
        &self,
        id: &str,
        change: impl FnMut(&mut Subscription),
    ) -> Result<Subscription, ServiceError> {
        match self.registry.subscription_update(id, change).await? {
            Updated::Changed { after, .. } => Ok(after),
            Updated::Missing => Err(ServiceError::NotFound),
            Updated::Contended => Err(ServiceError::Contended),
        }
    }
}

/// A target check that does not answer within `limit` (a resolver that hangs) is a refusal with
/// the reason, not a hung request.
async fn within(
    check: impl std::future::Future<Output = Result<(), String>>,
    limit: std::time::Duration,
) -> Result<(), String> {
    match tokio::time::timeout(limit, check).await {
        Ok(result) => result,
        Err(_) => Err(format!(
            "the host did not resolve within {} s; check the name and retry",
            limit.as_secs_f64()
        )),
    }
}

fn no_such_tenant() -> ServiceError {
    ServiceError::invalid("tenant", "no such tenant")
}

/// A subscription's sources must be its tenant's to receive.
fn check_sources(tenant: &Tenant, sources: &[String]) -> Result<(), ServiceError> {
    validate::validate_tenant_sources(sources, &tenant.allowed_sources)
        .map_err(ServiceError::Invalid)
}

fn ulid_at(now: DateTime<Utc>, random: u128) -> ulid::Ulid {
    ulid::Ulid::from_parts(u64::try_from(now.timestamp_millis()).unwrap_or(0), random)
}

fn encode(subscription: &Subscription) -> Result<String, ServiceError> {
    Ok(records::encode(subscription)?)
}

fn decode(record: &str) -> Result<Subscription, ServiceError> {
    Ok(records::decode("subscription", record)?)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::within;

    #[tokio::test]
    async fn a_resolver_that_never_answers_is_a_refusal_naming_the_time_limit() {
        let hung = std::future::pending::<Result<(), String>>();
        let refused = within(hung, Duration::from_millis(20)).await.unwrap_err();
        assert_eq!(
            refused,
            "the host did not resolve within 0.02 s; check the name and retry"
        );
        assert_eq!(
            within(async { Ok(()) }, Duration::from_secs(2)).await,
            Ok(())
        );
        assert_eq!(
            within(
                async { Err("private address".to_string()) },
                Duration::from_secs(2)
            )
            .await,
            Err("private address".to_string())
        );
    }
}
