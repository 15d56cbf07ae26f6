//! Replays: one stored event again (to every subscription the caller may reach that matches, or
//! to one of them whatever its filters), and a time range to one subscription. A range replay is
//! bounded per call and answers a cursor to continue from.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Recovery;
use crate::event::EventHead;
use crate::queue::{JobRef, Position};
use crate::routing::route::plan;
use crate::services::error::ServiceError;
use crate::subscriptions::matching::EventFacts;
use crate::tenancy::Call;

/// Events examined per range replay call at most.
pub const REPLAY_SCAN_LIMIT: usize = 100_000;
/// Jobs one range replay call enqueues at most.
pub const REPLAY_JOB_LIMIT: usize = 10_000;

/// Replay one event: to one subscription (whatever its filters), or to every matching one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplayEvent {
    pub subscription_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventReplayed {
    /// Delivery jobs queued.
    pub jobs: usize,
}

/// The time range of a subscription replay (received times, RFC 3339).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplayRange {
    pub since: DateTime<Utc>,
    /// Default: now.
    pub until: Option<DateTime<Utc>>,
    /// `cursor` of the previous answer: continue after it.
    #[schema(pattern = "^[0-9]{1,20}-[0-9]{1,20}$")]
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RangeReplayed {
    /// Delivery jobs queued.
    pub jobs: usize,
    /// Events examined.
    pub scanned: usize,
    /// False when a bound (100,000 events examined or 10,000 jobs) stopped this call: call again
    /// with `cursor`.
    pub complete: bool,
    /// The last event examined; pass it back while `complete` is false.
    pub cursor: Option<String>,
}

impl Recovery<'_> {
    pub async fn replay_event(
        &self,
        call: &Call,
        id: &str,
        wanted: ReplayEvent,
    ) -> Result<EventReplayed, ServiceError> {
        let (event, position) = self.event_in_partition(call, id).await?;
        let json = event.to_string();
        let visible = self.visible(call).await?;
        let target = match &wanted.subscription_id {
            Some(s) => {
                let subscription = visible.get(s).ok_or(ServiceError::NotFound)?;
                let head: EventHead = serde_json::from_str(&json)
                    .map_err(|e| ServiceError::invalid("(event)", format!("unreadable: {e}")))?;
                let facts = EventFacts::of(&head);
                if !visible.tenant_allows(subscription, facts.source_id) {
                    return Err(ServiceError::invalid(
                        "subscriptionId",
                        format!(
                            "its tenant may not receive events of source `{}`",
                            facts.source_id
                        ),
                    ));
                }
                Some(subscription.id.as_str())
            }
            None => None,
        };
        let jobs: Vec<JobRef> = plan(&json, target, &visible)
            .map_err(|e| ServiceError::invalid("(event)", e))?
            .into_iter()
            .map(|target| JobRef {
                event_entry: position.id.to_string(),
                subscription_id: target.subscription_id,
                lane: target.lane,
            })
            .collect();
        self.queue
            .partition(position.partition)
            .enqueue_refs(&jobs)
            .await?;
        let tenant = call
            .principal
            .tenant()
            .map(|t| t.id.clone())
            .unwrap_or_default();
        self.audit
            .record(call, &tenant, "events.replayed", id)
            .await;
        Ok(EventReplayed { jobs: jobs.len() })
    }

    pub async fn replay_range(
        &self,
        call: &Call,
        subscription_id: &str,
        range: ReplayRange,
    ) -> Result<RangeReplayed, ServiceError> {
        let until = range.until.unwrap_or_else(Utc::now);
        if range.since > until {
            return Err(ServiceError::invalid("since", "must not be after `until`"));
        }
        super::check_cursor(range.cursor.as_deref())?;
        let visible = self.visible(call).await?;
        let subscription = visible.get(subscription_id).ok_or(ServiceError::NotFound)?;
        let only_this = visible.only(|s| s.id == subscription.id);
        let (mut scanned, mut jobs, mut after) = (0, 0, range.cursor.clone());
        let complete = loop {
            let scan = self
                .queue
                .events_in_range(
                    range.since.timestamp_millis(),
                    until.timestamp_millis(),
                    after.as_deref(),
                )
                .await?;
            scanned += scan.examined;
            for partition in self.queue.partitions() {
                let batch: Vec<JobRef> = scan
                    .items
                    .iter()
                    .filter(|e| !e.targeted && e.partition == partition.index)
                    .flat_map(|e| {
                        let entry = Position::parse(&e.entry_id).map(|p| p.id.to_string());
                        plan(&e.json, None, &only_this)
                            .unwrap_or_default()
                            .into_iter()
                            .filter_map(move |target| {
                                Some(JobRef {
                                    event_entry: entry.clone()?,
                                    subscription_id: target.subscription_id,
                                    lane: target.lane,
                                })
                            })
                    })
                    .collect();
                jobs += batch.len();
                partition.enqueue_refs(&batch).await?;
            }
            after = scan.last;
            if scan.exhausted {
                break true;
            }
            if scanned >= REPLAY_SCAN_LIMIT || jobs >= REPLAY_JOB_LIMIT {
                break false;
            }
        };
        tracing::info!(subscription_id, jobs, scanned, "range replayed");
        self.audit
            .record(
                call,
                &subscription.tenant,
                "events.replayed",
                subscription_id,
            )
            .await;
        Ok(RangeReplayed {
            jobs,
            scanned,
            complete,
            cursor: after,
        })
    }
}
