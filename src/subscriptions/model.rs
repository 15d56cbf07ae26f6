//! The subscription record and the API shapes around it.
//!
//! The stored [`Subscription`] holds its signing secrets; every API shape is built from it by
//! [`Subscription::view`] or [`Subscription::with_secret`], so a secret reaches a response only
//! where we hand it out on purpose (create and rotate). Everything here is pure: ids, secrets and
//! the current time come from the caller.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::filter::Condition;
use crate::secret::Secret;

pub use super::options::{Format, Ordering};
pub use super::requests::{CreateSubscription, UpdateSubscription};

/// Standard Webhooks secret prefix.
pub const SECRET_PREFIX: &str = "whsec_";

/// How long the previous secret keeps signing after a rotation, unless configured otherwise.
pub const DEFAULT_ROTATION_GRACE: TimeDelta = TimeDelta::hours(24);

/// A subscription as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    /// `sub_` + ULID.
    pub id: String,
    /// The tenant that owns it; records written before tenants existed belong to `default`.
    #[serde(default = "default_tenant")]
    pub tenant: String,
    pub url: String,
    /// Event type patterns (see `matching`); any one matching selects the event.
    pub events: Vec<String>,
    /// Source ids; empty means any source.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Carrier codes; empty means any carrier (and events without a carrier).
    #[serde(default)]
    pub carriers: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Extra headers sent with every delivery.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Sent like `headers`, never shown by the API (only their names).
    #[serde(default)]
    pub sensitive_headers: BTreeMap<String, String>,
    pub enabled: bool,
    /// Why the subscription was disabled, when something other than its owner disabled it.
    #[serde(default)]
    pub disabled_reason: Option<String>,
    /// Whether one subject's events are delivered one at a time in accepted order.
    #[serde(default)]
    pub ordering: Ordering,
    /// At most this many attempts (retries included) in any 1 s window, across all processes.
    #[serde(default)]
    pub rate_limit_per_second: Option<u32>,
    /// Conditions on the event that must all hold (empty: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filter: Vec<Condition>,
    /// How the event goes on the wire.
    #[serde(default)]
    pub format: Format,
    #[serde(with = "crate::secret::exposed")]
    pub secret: Secret,
    #[serde(default)]
    pub previous_secret: Option<PreviousSecret>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Jobs of a subscription that are waiting, summed over the partitions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Backlog {
    /// Jobs waiting behind an earlier event of their subject (ordered subscriptions).
    pub ordered: u64,
    /// Jobs parked until the rate limit (the subscription's or its tenant's) lets them go.
    pub rate_limited: u64,
    /// How long the oldest of those has been waiting since it was accepted (s); none: nothing waits.
    pub oldest_waiting_seconds: Option<f64>,
}

fn default_tenant() -> String {
    crate::tenancy::DEFAULT_TENANT.to_string()
}

/// The secret replaced by the last rotation, still signing until `expires_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviousSecret {
    #[serde(with = "crate::secret::exposed")]
    pub secret: Secret,
    pub expires_at: DateTime<Utc>,
}

/// A subscription as the API shows it: everything but its secrets.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionView {
    pub id: String,
    pub tenant: String,
    pub url: String,
    pub events: Vec<String>,
    pub sources: Vec<String>,
    pub carriers: Vec<String>,
    pub description: Option<String>,
    pub headers: BTreeMap<String, String>,
    /// The names of the sensitive headers (their values are never shown).
    pub sensitive_headers: Vec<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub ordering: Ordering,
    pub rate_limit_per_second: Option<u32>,
    pub filter: Vec<Condition>,
    pub format: Format,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// While set, deliveries are signed with both the current and the previous secret.
    pub secret_rotation_ends_at: Option<DateTime<Utc>>,
    /// What waits for this subscription now (in reads of one subscription and of a list).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backlog: Option<Backlog>,
}

/// The answer to create and rotate: the only responses that carry the secret.
#[derive(Clone, PartialEq, Serialize, ToSchema)]
pub struct SubscriptionWithSecret {
    #[serde(flatten)]
    pub subscription: SubscriptionView,
    /// `whsec_` + base64 of 32 random bytes (Standard Webhooks).
    pub secret: String,
}

impl std::fmt::Debug for SubscriptionWithSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubscriptionWithSecret")
            .field("subscription", &self.subscription)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// A signing secret from 32 random bytes.
pub fn new_secret(random: [u8; 32]) -> Secret {
    Secret::new(format!("{SECRET_PREFIX}{}", STANDARD.encode(random)))
}

/// The record for a validated create request.
pub fn create(
    request: CreateSubscription,
    id: String,
    secret: Secret,
    now: DateTime<Utc>,
) -> Subscription {
    Subscription {
        id,
        tenant: request.tenant.unwrap_or_else(default_tenant),
        url: request.url,
        events: request.events,
        sources: request.sources.unwrap_or_default(),
        carriers: request.carriers.unwrap_or_default(),
        description: request.description.filter(|d| !d.is_empty()),
        headers: request.headers.unwrap_or_default(),
        sensitive_headers: request.sensitive_headers.unwrap_or_default(),
        enabled: request.enabled.unwrap_or(true),
        disabled_reason: None,
        ordering: request.ordering.unwrap_or_default(),
        rate_limit_per_second: request.rate_limit_per_second,
        filter: request.filter.unwrap_or_default(),
        format: request.format.unwrap_or_default(),
        secret,
        previous_secret: None,
        created_at: now,
        updated_at: now,
    }
}

/// Applies a validated update. An empty update changes nothing, not even `updated_at`.
pub fn apply_update(sub: &mut Subscription, update: UpdateSubscription, now: DateTime<Utc>) {
    if update.is_empty() {
        return;
    }
    let UpdateSubscription {
        url,
        events,
        sources,
        carriers,
        description,
        headers,
        sensitive_headers,
        enabled,
        ordering,
        rate_limit_per_second,
        filter,
        format,
    } = update;
    replace_if_some(&mut sub.ordering, ordering);
    replace_if_some(&mut sub.filter, filter.map(Option::unwrap_or_default));
    replace_if_some(&mut sub.format, format);
    replace_if_some(&mut sub.rate_limit_per_second, rate_limit_per_second);
    replace_if_some(&mut sub.url, url);
    replace_if_some(&mut sub.events, events);
    replace_if_some(&mut sub.sources, sources);
    replace_if_some(&mut sub.carriers, carriers);
    replace_if_some(&mut sub.headers, headers);
    replace_if_some(&mut sub.sensitive_headers, sensitive_headers);
    if let Some(description) = description {
        sub.description = Some(description).filter(|d| !d.is_empty());
    }
    if let Some(enabled) = enabled {
        sub.enabled = enabled;
        if enabled {
            sub.disabled_reason = None;
        }
    }
    sub.updated_at = now;
}

fn replace_if_some<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}

/// Makes `new` the signing secret; the current one keeps signing until `now + grace`. An older
/// previous secret is dropped, so at most two secrets are ever valid.
pub fn rotate(sub: &mut Subscription, new: Secret, now: DateTime<Utc>, grace: chrono::Duration) {
    let old = std::mem::replace(&mut sub.secret, new);
    let expires_at = now
        .checked_add_signed(grace)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    sub.previous_secret = Some(PreviousSecret {
        secret: old,
        expires_at,
    });
    sub.updated_at = now;
}

impl Subscription {
    /// The API view at `now`.
    pub fn view(&self, now: DateTime<Utc>) -> SubscriptionView {
        SubscriptionView {
            id: self.id.clone(),
            tenant: self.tenant.clone(),
            url: self.url.clone(),
            events: self.events.clone(),
            sources: self.sources.clone(),
            carriers: self.carriers.clone(),
            description: self.description.clone(),
            headers: self.headers.clone(),
            sensitive_headers: self.sensitive_headers.keys().cloned().collect(),
            enabled: self.enabled,
            disabled_reason: self.disabled_reason.clone(),
            ordering: self.ordering,
            rate_limit_per_second: self.rate_limit_per_second,
            filter: self.filter.clone(),
            format: self.format,
            backlog: None,
            created_at: self.created_at,
            updated_at: self.updated_at,
            secret_rotation_ends_at: self.valid_previous(now).map(|p| p.expires_at),
        }
    }

    /// The view plus the current secret, for the create and rotate responses only.
    pub fn with_secret(&self, now: DateTime<Utc>) -> SubscriptionWithSecret {
        SubscriptionWithSecret {
            subscription: self.view(now),
            secret: self.secret.expose().to_string(),
        }
    }

    /// The lane a job for an event with this subject joins: the subject, when this subscription
    /// wants order per subject (an event without a subject is never held back).
    pub fn lane_of(&self, subject: Option<&str>) -> Option<String> {
        match self.ordering {
            Ordering::Subject => subject.map(str::to_string),
            Ordering::None => None,
        }
    }

    /// Whether changing `self` into `updated` should forget its failure streak: it is enabled
    /// again, or it now points elsewhere (the streak was the old endpoint's).
    pub fn restarts_streak(&self, updated: &Subscription) -> bool {
        (!self.enabled && updated.enabled) || self.url != updated.url
    }

    /// The secrets deliveries are signed with at `now`: the current one first, then the previous
    /// one while its grace period lasts.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&Secret> {
        std::iter::once(&self.secret)
            .chain(self.valid_previous(now).map(|p| &p.secret))
            .collect()
    }

    fn valid_previous(&self, now: DateTime<Utc>) -> Option<&PreviousSecret> {
        self.previous_secret.as_ref().filter(|p| now < p.expires_at)
    }
}

#[cfg(test)]
mod tests;
