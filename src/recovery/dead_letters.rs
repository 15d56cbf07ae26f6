//! Dead letters: listed newest first, redriven (by id, by subscription, or all the caller may
//! see) with a cursor so every call makes progress, and deleted. A tenant key reaches only its own
//! subscriptions' dead letters.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Recovery;
use crate::queue::Job;
use crate::queue::{DeadEntry, Position};
use crate::routing::snapshot::Subscriptions;
use crate::services::error::ServiceError;
use crate::tenancy::Call;

/// Dead letters examined per call at most (list page, redrive).
pub const SCAN_LIMIT: usize = 10_000;
/// Ids a redrive or delete names at most.
pub const MAX_IDS: usize = 1000;

/// A job that will not be attempted again unless redriven.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    pub id: String,
    pub failed_at: Option<DateTime<Utc>>,
    pub reason: String,
    pub event_id: String,
    pub subscription_id: String,
    /// Attempts made.
    pub attempts: u32,
    /// Set when it headed its subject's lane (an ordered subscription): how many later events of
    /// that subject were waiting behind it and went on when it was dead-lettered (events accepted
    /// after that pass it too).
    pub passed_by: Option<u64>,
    pub event: serde_json::Value,
}

/// Which dead letters to redrive: exactly one of `ids`, `subscriptionId`, `all: true`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RedriveRequest {
    /// Dead-letter ids (as listed), at most 1000.
    #[schema(max_items = 1000)]
    pub ids: Option<Vec<String>>,
    /// Every dead letter of this subscription.
    pub subscription_id: Option<String>,
    /// Every dead letter the key may see (a tenant key: its own subscriptions').
    pub all: Option<bool>,
    /// `cursor` of the previous answer: continue after it.
    #[schema(pattern = "^[0-9]{1,20}-[0-9]{1,20}$")]
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RedriveResult {
    /// Jobs moved back to delivery, starting over at attempt 1.
    pub redriven: usize,
    /// True when more dead letters may match: call again with `cursor`.
    pub more: bool,
    /// The last dead letter examined; pass it back while `more`.
    pub cursor: Option<String>,
}

impl From<DeadEntry> for DeadLetter {
    fn from(entry: DeadEntry) -> DeadLetter {
        DeadLetter {
            failed_at: entry.failed_at_ms.and_then(DateTime::from_timestamp_millis),
            reason: entry.reason,
            event_id: entry.job.event_id.clone(),
            subscription_id: entry.job.subscription_id.clone(),
            attempts: entry.job.attempt,
            passed_by: entry.passed_by,
            event: serde_json::from_str(&entry.job.event).unwrap_or_default(),
            id: entry.id,
        }
    }
}

/// Whether the caller may act on a dead letter: an admin on any (even of a deleted subscription),
/// a tenant on its existing subscriptions'.
fn reachable(call: &Call, visible: &Subscriptions, job: &Job) -> bool {
    call.principal.is_admin() || visible.get(&job.subscription_id).is_some()
}

impl Recovery<'_> {
    /// A page of dead letters, newest first, and the cursor of the next one; `tenant` (admin
    /// keys) narrows to that tenant's subscriptions.
    pub async fn dead_letters(
        &self,
        call: &Call,
        tenant: Option<&str>,
        subscription_id: Option<&str>,
        before: Option<Position>,
        size: usize,
    ) -> Result<(Vec<DeadLetter>, Option<String>), ServiceError> {
        let Ok(narrowed) = call.principal.list_scope(tenant) else {
            return Ok((Vec::new(), None));
        };
        let visible = self.visible(call).await?;
        let in_scope = |job: &Job| match narrowed {
            Some(t) => visible
                .get(&job.subscription_id)
                .is_some_and(|s| s.tenant == t),
            None => reachable(call, &visible, job),
        };
        let (mut data, mut before, mut scanned) = (Vec::new(), before, 0);
        loop {
            let scan = self
                .queue
                .dead_letters_newest(before, SCAN_LIMIT - scanned)
                .await?;
            scanned += scan.examined;
            for entry in scan.items {
                let id = entry.id.clone();
                if in_scope(&entry.job)
                    && subscription_id.is_none_or(|s| s == entry.job.subscription_id)
                {
                    data.push(entry.into());
                    if data.len() == size {
                        return Ok((data, Some(id)));
                    }
                }
            }
            before = scan.last.as_deref().and_then(Position::parse);
            if scan.exhausted {
                return Ok((data, None));
            }
            if scanned >= SCAN_LIMIT {
                return Ok((data, before.map(|id| id.to_string())));
            }
        }
    }

    pub async fn redrive(
        &self,
        call: &Call,
        request: RedriveRequest,
    ) -> Result<RedriveResult, ServiceError> {
        check_redrive(&request)?;
        let visible = self.visible(call).await?;
        if let Some(subscription) = &request.subscription_id
            && visible.get(subscription).is_none()
            && !call.principal.is_admin()
        {
            return Err(ServiceError::NotFound);
        }
        let (chosen, more, cursor) = match &request.ids {
            Some(ids) => {
                if ids.len() > MAX_IDS {
                    return Err(ServiceError::invalid(
                        "ids",
                        format!("at most {MAX_IDS} ids"),
                    ));
                }
                let found = self.queue.dead_letters_by_id(ids).await?;
                (found, false, None)
            }
            None => self.scan_for_redrive(call, &visible, &request).await?,
        };
        let mut pairs: Vec<(String, Job)> = chosen
            .into_iter()
            .filter(|e| reachable(call, &visible, &e.job))
            .map(|e| (e.id, redriven_job(&visible, e.job)))
            .collect();
        // In their original order (dead letters are read newest first).
        pairs.sort_by_key(|(id, _)| Position::parse(id).map(|p| (p.id, p.partition)));
        let redriven = self.queue.redrive_dead(&pairs).await?;
        let target = request
            .subscription_id
            .clone()
            .unwrap_or_else(|| "(selection)".into());
        let tenant = call
            .principal
            .tenant()
            .map(|t| t.id.clone())
            .unwrap_or_default();
        self.audit
            .record(call, &tenant, "dead_letters.redriven", &target)
            .await;
        Ok(RedriveResult {
            redriven,
            more,
            cursor,
        })
    }

    /// Oldest first from the cursor, at most [`SCAN_LIMIT`] examined.
    async fn scan_for_redrive(
        &self,
        call: &Call,
        visible: &Subscriptions,
        request: &RedriveRequest,
    ) -> Result<(Vec<DeadEntry>, bool, Option<String>), ServiceError> {
        let (mut chosen, mut after, mut scanned) = (Vec::new(), request.cursor.clone(), 0);
        loop {
            let scan = self.queue.dead_letters_oldest(after.as_deref()).await?;
            scanned += scan.examined;
            chosen.extend(scan.items.into_iter().filter(|e| {
                reachable(call, visible, &e.job)
                    && request
                        .subscription_id
                        .as_ref()
                        .is_none_or(|s| *s == e.job.subscription_id)
            }));
            after = scan.last;
            if scan.exhausted {
                return Ok((chosen, false, after));
            }
            if scanned >= SCAN_LIMIT {
                return Ok((chosen, true, after));
            }
        }
    }

    /// Deletes one dead letter the caller may reach.
    pub async fn delete_dead_letter(&self, call: &Call, id: &str) -> Result<(), ServiceError> {
        let visible = self.visible(call).await?;
        let found = self.queue.dead_letters_by_id(&[id.to_string()]).await?;
        let Some(entry) = found
            .into_iter()
            .find(|e| reachable(call, &visible, &e.job))
        else {
            return Err(ServiceError::NotFound);
        };
        if self.queue.dead_letters_delete(&[entry.id]).await? == 0 {
            return Err(ServiceError::NotFound);
        }
        let tenant = visible
            .get(&entry.job.subscription_id)
            .map(|s| s.tenant.clone())
            .unwrap_or_default();
        self.audit
            .record(call, &tenant, "dead_letters.deleted", id)
            .await;
        Ok(())
    }
}

/// A redrive names exactly one selection, and a cursor this API returned.
fn check_redrive(request: &RedriveRequest) -> Result<(), ServiceError> {
    let chosen = [
        request.ids.is_some(),
        request.subscription_id.is_some(),
        request.all == Some(true),
    ];
    if chosen.iter().filter(|c| **c).count() != 1 {
        return Err(ServiceError::invalid(
            "(body)",
            "give exactly one of `ids`, `subscriptionId` or `all: true`",
        ));
    }
    super::check_cursor(request.cursor.as_deref())
}

/// A dead letter's job as it is redriven: fresh, and at the tail of its lane if its subscription
/// wants order now.
fn redriven_job(visible: &Subscriptions, job: Job) -> Job {
    let lane = visible
        .get(&job.subscription_id)
        .and_then(|s| s.lane_of(job.subject.as_deref()));
    Job {
        lane,
        ..job.fresh()
    }
}
