//! `GET /v1/stats` for one caller: the window's series from Redis, scoped (an admin: everything,
//! and the partitions' queues now; a tenant: its allowed sources' ingest, its subscriptions'
//! deliveries and lag, and what waits for them now).

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

pub mod series;

use crate::metrics::minutes::minute_of;
use crate::queue::{Queue, Registry};
use crate::routing::snapshot::SubscriptionCache;
use crate::services::error::ServiceError;
use crate::services::subscriptions::Subscriptions;
use crate::subscriptions::model::Backlog;
use crate::tenancy::Call;
pub use series::Window;
use series::{Scope, Series, build};

/// The answer of `GET /v1/stats`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatsView {
    #[serde(flatten)]
    pub series: Series,
    /// Work waiting in each partition now (admin keys; empty for a tenant key: partitions are
    /// shared by every tenant).
    pub partitions: Vec<PartitionFigures>,
    /// What waits for the tenant's subscriptions now (tenant keys; null for an admin key).
    pub backlog: Option<Backlog>,
}

/// One partition's queues now, as the `shiprelay_partition_*` gauges show them.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartitionFigures {
    pub partition: usize,
    pub events_unrouted: u64,
    pub deliveries_pending: u64,
    pub retry_scheduled: u64,
    pub dead: u64,
    /// Age of the oldest event not yet fanned out (s); 0 when none.
    pub oldest_event_age_seconds: f64,
    /// Age of the oldest delivery job not yet settled (s); 0 when none.
    pub oldest_delivery_age_seconds: f64,
}

pub struct Stats<'a> {
    pub queue: &'a Queue,
    pub registry: &'a Registry,
    pub cache: &'a SubscriptionCache,
    pub subscriptions: Subscriptions<'a>,
}

impl Stats<'_> {
    pub async fn read(
        &self,
        call: &Call,
        window: Window,
        now: DateTime<Utc>,
    ) -> Result<StatsView, ServiceError> {
        let last = minute_of(now.timestamp_millis());
        let hashes = self.registry.minute_counts(&window.span(last)).await?;
        match call.principal.tenant() {
            None => Ok(StatsView {
                series: build(window, last, &hashes, Scope::All),
                partitions: self.partitions(now).await?,
                backlog: None,
            }),
            Some(tenant) => {
                let scope = Scope::Tenant {
                    id: &tenant.id,
                    allowed_sources: &tenant.allowed_sources,
                };
                Ok(StatsView {
                    series: build(window, last, &hashes, scope),
                    partitions: Vec::new(),
                    backlog: Some(self.backlog(&tenant.id, now).await?),
                })
            }
        }
    }

    async fn partitions(&self, now: DateTime<Utc>) -> Result<Vec<PartitionFigures>, ServiceError> {
        let reads = self
            .queue
            .partitions()
            .map(|p| async move { p.stats().await.map(|stats| (p.index, stats)) });
        let now_ms = now.timestamp_millis().max(0) as u64;
        let age = |oldest: Option<u64>| {
            oldest.map_or(0.0, |ms| now_ms.saturating_sub(ms) as f64 / 1000.0)
        };
        Ok(futures_util::future::try_join_all(reads)
            .await?
            .into_iter()
            .map(|(partition, s)| PartitionFigures {
                partition,
                events_unrouted: s.events_unrouted,
                deliveries_pending: s.deliveries_pending,
                retry_scheduled: s.retry_scheduled,
                dead: s.dead,
                oldest_event_age_seconds: age(s.events_oldest_ms),
                oldest_delivery_age_seconds: age(s.deliveries_oldest_ms),
            })
            .collect())
    }

    /// The tenant's subscriptions' backlogs, summed (the oldest is the oldest of them).
    async fn backlog(&self, tenant: &str, now: DateTime<Utc>) -> Result<Backlog, ServiceError> {
        let current = self.cache.current().await?;
        let own: Vec<_> = current
            .all
            .iter()
            .filter(|s| s.tenant == tenant)
            .cloned()
            .collect();
        let backlogs = self.subscriptions.backlogs(&own, now).await?;
        Ok(backlogs
            .into_iter()
            .fold(Backlog::default(), |sum, b| Backlog {
                ordered: sum.ordered + b.ordered,
                rate_limited: sum.rate_limited + b.rate_limited,
                oldest_waiting_seconds: match (sum.oldest_waiting_seconds, b.oldest_waiting_seconds)
                {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                },
            }))
    }
}
