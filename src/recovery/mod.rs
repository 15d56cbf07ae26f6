//! Events and recovery through the API: reading stored events, dead letters and their redrive or
//! deletion, and replays of one event or of a time range. Every call is scoped by its
//! [`Principal`](crate::tenancy::Principal): a tenant key reads events of its allowed sources and
//! acts on its own subscriptions' deliveries only; another tenant's ids are "not found".
//!
//! Layout: `events` (read), `dead_letters` (list, redrive, delete), `replay` (one event, a range).
//! Every call that examines many entries is bounded and returns a cursor, so it always makes
//! progress and one call never enqueues an unbounded number of jobs.

mod dead_letters;
mod events;
mod replay;

use std::sync::Arc;

pub use dead_letters::{DeadLetter, RedriveRequest, RedriveResult};
pub use replay::{EventReplayed, RangeReplayed, ReplayEvent, ReplayRange};

use crate::queue::{Queue, Registry};
use crate::routing::snapshot::{SubscriptionCache, Subscriptions};
use crate::services::audit::AuditLog;
use crate::services::error::ServiceError;
use crate::tenancy::Call;

pub struct Recovery<'a> {
    pub queue: &'a Queue,
    pub registry: &'a Registry,
    pub audit: &'a AuditLog,
    /// The process's snapshot of subscriptions and tenants: reloaded only when the version moves,
    /// so a read costs one GET, not a load of every record.
    pub cache: &'a SubscriptionCache,
}

impl Recovery<'_> {
    /// The subscriptions this caller may act on (an admin: all), with every tenant's sources.
    async fn visible(&self, call: &Call) -> Result<Subscriptions, ServiceError> {
        let all = self.all_subscriptions().await?;
        Ok(all.only(|s| call.principal.sees(&s.tenant)))
    }

    async fn all_subscriptions(&self) -> Result<Arc<Subscriptions>, ServiceError> {
        Ok(self.cache.current().await?)
    }
}

/// A `cursor` in a request body must be one this API returned (a stream position).
fn check_cursor(cursor: Option<&str>) -> Result<(), ServiceError> {
    match cursor.is_some_and(|c| crate::queue::Position::parse(c).is_none()) {
        true => Err(ServiceError::invalid(
            "cursor",
            "is not a cursor this API returned",
        )),
        false => Ok(()),
    }
}
