//! Settling an attempt: the job's fate in its partition (with its lane's next job let out, and
//! its rate-limit wait forgotten), and its record in the registry (delivery log, failure streak).
//! On one Redis both are one atomic call (`deliveries.lua`, entry `settle_together`), as before
//! partitions. On a cluster the registry is another slot: the partition's script runs
//! first, then the record, which is idempotent and retried, and whose failure never undoes or
//! repeats the delivery.

use super::{Job, Partition, QueueError};

/// Everything the settle script needs about one job.
pub struct Settlement<'a> {
    pub entry_id: &'a str,
    /// The job to schedule (retry) or keep (dead); its subscription's keys are used.
    pub job: &'a Job,
    pub settle: Settle,
    pub reason: &'a str,
    pub now_ms: i64,
    /// The attempt-log entry; none: nothing is logged.
    pub log: Option<&'a super::LoggedAttempt>,
    pub log_len: usize,
}

/// How a settled attempt ends, for the settle script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    Delivered,
    Retry {
        due_ms: i64,
    },
    Dead,
    /// Never attempted (its subscription was deleted): removed, its lane moves on.
    Drop,
}

/// Tries of the registry record before it is given up (logged and counted).
const RECORD_TRIES: usize = 3;

/// The settle script's name for how the attempt ends, and a retry's due time.
fn kind_of(settle: Settle) -> (&'static str, i64) {
    match settle {
        Settle::Delivered => ("delivered", 0),
        Settle::Retry { due_ms } => ("retry", due_ms),
        Settle::Dead => ("dead", 0),
        Settle::Drop => ("drop", 0),
    }
}

impl Partition {
    /// Settles one job; returns since when (ms) its subscription has been failing, if it is.
    pub async fn settle(&self, settlement: Settlement<'_>) -> Result<Option<i64>, QueueError> {
        // On one Redis the partition's and the registry's effects are one script; on a cluster
        // the partition's script runs alone and the registry's record follows.
        let together = !self.is_cluster();
        let script = if together {
            &self.scripts().settle_together
        } else {
            &self.scripts().settle
        };
        let mut invocation = script.prepare_invoke();
        self.settle_arguments(&mut invocation, &settlement, together);
        let mut conn = self.conn();
        if together {
            return self
                .bounded("settle script", invocation.invoke_async(&mut conn))
                .await;
        }
        let _settled: i64 = self
            .bounded("settle script", invocation.invoke_async(&mut conn))
            .await?;
        self.record_attempt(&settlement).await
    }

    /// The keys and arguments of the settle script (`settle_partition` in `deliveries.lua`), and
    /// `together`, those of the registry record after them.
    fn settle_arguments(
        &self,
        invocation: &mut redis::ScriptInvocation<'_>,
        settlement: &Settlement<'_>,
        together: bool,
    ) {
        let Settlement { job, settle, .. } = *settlement;
        let (kind, due_ms) = kind_of(settle);
        // Only a retry and a dead letter keep the job; a dead letter keeps its event too, so that
        // it outlives the events' retention.
        let kept = match settle {
            Settle::Delivered | Settle::Drop => String::new(),
            Settle::Dead => job.to_json(),
            Settle::Retry { .. } => job.scheduled_json(),
        };
        let subscription_id = &job.subscription_id;
        let lane = match &job.lane {
            Some(subject) => self.keys.lane(subscription_id, subject),
            // Never touched without a lane; any key of the partition's slot will do.
            None => self.keys.lane_seq(),
        };
        invocation
            .key(self.keys.deliveries())
            .key(self.keys.retry())
            .key(self.keys.dead())
            .key(lane)
            .key(self.keys.waiting(subscription_id, super::Waiting::Lane))
            .key(self.keys.waiting(subscription_id, super::Waiting::Rate));
        if together {
            invocation
                .key(self.queue.keys.attempts(subscription_id))
                .key(self.queue.keys.subscription(subscription_id));
        }
        invocation
            .arg(super::DELIVER_GROUP)
            .arg(settlement.entry_id)
            .arg(kind)
            .arg(due_ms)
            .arg(&kept)
            .arg(settlement.reason)
            .arg(settlement.now_ms)
            .arg(subscription_id)
            .arg(job.lane.as_deref().unwrap_or(""))
            .arg(job.rate_waiting_member().unwrap_or_default());
        if together {
            invocation.arg(settlement.log_len);
            for (field, value) in settlement.log.map(|e| e.fields()).into_iter().flatten() {
                invocation.arg(field).arg(value);
            }
        }
    }

    /// On a cluster, after the partition's script: the registry record (delivery log, failure
    /// streak), idempotent and retried; its failure is logged, never undoes the settling.
    async fn record_attempt(&self, settlement: &Settlement<'_>) -> Result<Option<i64>, QueueError> {
        let Settlement { job, .. } = *settlement;
        let (kind, _) = kind_of(settlement.settle);
        let attempt_key = format!("{}:{}:{}", self.index, settlement.entry_id, job.attempt);
        let mut record = self.scripts().attempt_record.prepare_invoke();
        record
            .key(self.queue.keys.attempts(&job.subscription_id))
            .key(self.queue.keys.subscription(&job.subscription_id))
            .arg(kind)
            .arg(settlement.now_ms)
            .arg(settlement.log_len)
            .arg(&attempt_key);
        for (field, value) in settlement.log.map(|e| e.fields()).into_iter().flatten() {
            record.arg(field).arg(value);
        }
        let mut conn = self.conn();
        let mut last_error = None;
        for _ in 0..RECORD_TRIES {
            match self
                .bounded("attempt record script", record.invoke_async(&mut conn))
                .await
            {
                Ok(failing_since) => return Ok(failing_since),
                Err(error) => last_error = Some(error),
            }
        }
        if let Some(error) = last_error {
            tracing::warn!(%error, subscription_id = %job.subscription_id, "the attempt is settled but its delivery-log entry and failure streak could not be recorded");
        }
        Ok(None)
    }
}
