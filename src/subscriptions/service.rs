//! What the API does with subscriptions: validate, build, store, and change records with a
//! compare-and-set loop so concurrent updates (from any number of shiprelay processes) never
//! overwrite each other. Time and randomness are passed in.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::model::{self, CreateSubscription, Subscription, UpdateSubscription};
use super::validate::{self, FieldError};
use crate::event::{Event, EventData, EventType, Kind, ProviderInfo};
use crate::queue::{Queue, QueueError};

/// How often a compare-and-set update is retried against concurrent writers.
const MAX_UPDATE_ATTEMPTS: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("no subscription with id `{0}`")]
    NotFound(String),
    #[error("invalid subscription")]
    Invalid(Vec<FieldError>),
    #[error("the subscription changed concurrently too often; retry")]
    Contended,
    #[error(transparent)]
    Unavailable(#[from] QueueError),
}

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
    pub known_sources: &'a [String],
    /// Whether URLs may point at loopback, private, link-local or metadata addresses.
    pub allow_private_targets: bool,
}

impl Subscriptions<'_> {
    fn sources(&self) -> Vec<&str> {
        self.known_sources.iter().map(String::as_str).collect()
    }

    pub async fn create(
        &self,
        request: CreateSubscription,
        now: DateTime<Utc>,
        mut random: Random,
    ) -> Result<Subscription, ServiceError> {
        validate::validate_create(&request, &self.sources()).map_err(ServiceError::Invalid)?;
        self.check_target(&request.url).await?;
        let id = format!("sub_{}", ulid_at(now, (random.u128)()));
        let secret = model::new_secret((random.secret)());
        let subscription = model::create(request, id, secret, now);
        let record = encode(&subscription)?;
        self.queue
            .subscription_create(&subscription.id, now.timestamp_millis(), &record)
            .await?;
        Ok(subscription)
    }

    /// The SSRF guard at subscribe time (delivery checks again, pinned to the checked address).
    async fn check_target(&self, url: &str) -> Result<(), ServiceError> {
        crate::delivery::ssrf::check_url(url, self.allow_private_targets)
            .await
            .map_err(|reason| ServiceError::Invalid(vec![FieldError::new("url", reason)]))
    }

    pub async fn get(&self, id: &str) -> Result<Subscription, ServiceError> {
        let record = self
            .queue
            .subscription(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(id.to_string()))?;
        decode(&record)
    }

    /// Page `page` (1-based) of `size`, in creation order, and the total count.
    pub async fn list(
        &self,
        page: u64,
        size: u64,
    ) -> Result<(Vec<Subscription>, u64), ServiceError> {
        let offset = (page - 1).saturating_mul(size);
        let found = self.queue.subscriptions_page(offset, size).await?;
        let items = found
            .records
            .iter()
            .map(|r| decode(r))
            .collect::<Result<_, _>>()?;
        Ok((items, found.total))
    }

    pub async fn update(
        &self,
        id: &str,
        update: UpdateSubscription,
        now: DateTime<Utc>,
    ) -> Result<Subscription, ServiceError> {
        validate::validate_update(&update, &self.sources()).map_err(ServiceError::Invalid)?;
        if let Some(url) = &update.url {
            self.check_target(url).await?;
        }
        self.modify(id, |sub| model::apply_update(sub, update.clone(), now))
            .await
    }

    pub async fn rotate_secret(
        &self,
        id: &str,
        grace: chrono::Duration,
        now: DateTime<Utc>,
        mut random: Random,
    ) -> Result<Subscription, ServiceError> {
        let secret = model::new_secret((random.secret)());
        self.modify(id, |sub| model::rotate(sub, secret.clone(), now, grace))
            .await
    }

    /// Disables a subscription (410 Gone, or failing for too long), saying why.
    pub async fn disable(
        &self,
        id: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.modify(id, |sub| {
            sub.enabled = false;
            sub.disabled_reason = Some(reason.to_string());
            sub.updated_at = now;
        })
        .await
        .map(drop)
    }

    pub async fn delete(&self, id: &str) -> Result<(), ServiceError> {
        if self.queue.subscription_delete(id).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound(id.to_string()))
        }
    }

    /// Appends a `ping` event meant for this subscription alone; returns it.
    pub async fn send_test(
        &self,
        id: &str,
        now: DateTime<Utc>,
        mut random: Random,
    ) -> Result<Event, ServiceError> {
        let subscription = self.get(id).await?;
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
        self.queue.append_targeted(&event, &subscription.id).await?;
        Ok(event)
    }

    /// Reads, changes and writes back with compare-and-set, retrying when another writer won.
    async fn modify(
        &self,
        id: &str,
        mut change: impl FnMut(&mut Subscription),
    ) -> Result<Subscription, ServiceError> {
        for _ in 0..MAX_UPDATE_ATTEMPTS {
            let current = self
                .queue
                .subscription(id)
                .await?
                .ok_or_else(|| ServiceError::NotFound(id.to_string()))?;
            let mut subscription = decode(&current)?;
            change(&mut subscription);
            let updated = encode(&subscription)?;
            if self
                .queue
                .subscription_replace(id, &current, &updated)
                .await?
            {
                return Ok(subscription);
            }
        }
        Err(ServiceError::Contended)
    }
}

fn ulid_at(now: DateTime<Utc>, random: u128) -> ulid::Ulid {
    ulid::Ulid::from_parts(u64::try_from(now.timestamp_millis()).unwrap_or(0), random)
}

fn encode(subscription: &Subscription) -> Result<String, ServiceError> {
    serde_json::to_string(subscription)
        .map_err(|e| QueueError::Reply(format!("subscription record: {e}")).into())
}

fn decode(record: &str) -> Result<Subscription, ServiceError> {
    serde_json::from_str(record)
        .map_err(|e| QueueError::Reply(format!("subscription record: {e}")).into())
}
