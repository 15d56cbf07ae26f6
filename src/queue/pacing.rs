//! Pacing: the slots of rate limits, reserved in the registry for every process at once
//! (`rate_reserve.lua`); parking jobs in their partition until their slot or their turn
//! (`park.lua`), so that they wait without a worker, without a claim and without cycling; and what
//! waits per subscription, for the API.

use super::{Job, Partition, Queue, QueueError, Registry, Waiting};

/// Slots reserved under a rate limit, in Redis's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slots {
    /// Redis's time when they were reserved (µs).
    pub reserved_at_us: i64,
    pub first_us: i64,
    pub spacing_us: i64,
}

impl Slots {
    /// The `n`-th slot (0-based), in ms of Redis's clock.
    pub fn nth_ms(&self, n: usize) -> i64 {
        (self.first_us + self.spacing_us * n as i64) / 1000
    }

    /// How far ahead of its reservation the `n`-th slot lies (ms).
    pub fn nth_ahead_ms(&self, n: usize) -> i64 {
        (self.first_us + self.spacing_us * n as i64 - self.reserved_at_us) / 1000
    }
}

/// A job to park: its entry, the job as it waits (with its reserved slot, when it waits on a rate
/// limit) and when it is due back.
pub struct Parked<'a> {
    pub entry_id: &'a str,
    pub job: &'a Job,
    pub due_ms: i64,
}

/// What waits for one subscription, summed over the partitions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WaitingJobs {
    /// Behind their lane's head.
    pub ordered: u64,
    /// Parked on the rate limit.
    pub rate_limited: u64,
    /// When the oldest of them was accepted (ms).
    pub oldest_accepted_ms: Option<i64>,
}

/// Slots are this much further apart than `1 s / rate` (per mille): an attempt a few tens of ms
/// late (a busy process) then never pushes a 1 s window past the limit at the subscriber.
const HEADROOM_PER_MILLE: u64 = 50;

/// Microseconds between slots at `per_second` (0: no limit).
fn interval_us(per_second: Option<u32>) -> u64 {
    per_second.filter(|&n| n > 0).map_or(0, |n| {
        (1_000_000 * (1_000 + HEADROOM_PER_MILLE)).div_ceil(1_000 * u64::from(n))
    })
}

impl Registry {
    /// Reserves `count` consecutive slots for a subscription's attempts under its own limit and
    /// its tenant's (per second; `None`: no limit).
    pub async fn reserve_slots(
        &self,
        subscription_id: &str,
        tenant: &str,
        own_per_second: Option<u32>,
        tenant_per_second: Option<u32>,
        count: usize,
    ) -> Result<Slots, QueueError> {
        let mut invocation = self.scripts.rate_reserve.prepare_invoke();
        invocation
            .key(self.keys.delivery_rate("subscription", subscription_id))
            .key(self.keys.delivery_rate("tenant", tenant))
            .arg(interval_us(own_per_second))
            .arg(interval_us(tenant_per_second))
            .arg(count.max(1));
        let mut conn = self.conn();
        let reply: Vec<String> = self
            .bounded("rate reserve script", invocation.invoke_async(&mut conn))
            .await?;
        let number = |i: usize| -> Result<i64, QueueError> {
            reply
                .get(i)
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| QueueError::Reply(format!("rate reserve replied {reply:?}")))
        };
        Ok(Slots {
            reserved_at_us: number(0)?,
            first_us: number(1)?,
            spacing_us: number(2)?,
        })
    }

    /// Whether an attempt may go now under the subscription's and its tenant's limits (per
    /// second; `None`: no limit), taking its turn if so; else how long to wait before asking again.
    pub async fn admit_attempt(
        &self,
        subscription_id: &str,
        tenant: &str,
        own_per_second: Option<u32>,
        tenant_per_second: Option<u32>,
    ) -> Result<Option<std::time::Duration>, QueueError> {
        let mut invocation = self.scripts.rate_admit.prepare_invoke();
        invocation
            .key(
                self.keys
                    .delivery_rate("subscription-send", subscription_id),
            )
            .key(self.keys.delivery_rate("tenant-send", tenant))
            .arg(interval_us(own_per_second))
            .arg(interval_us(tenant_per_second));
        let mut conn = self.conn();
        let wait_ms: u64 = self
            .bounded("rate admit script", invocation.invoke_async(&mut conn))
            .await?;
        Ok((wait_ms > 0).then(|| std::time::Duration::from_millis(wait_ms)))
    }
}

impl Queue {
    /// What waits for each of these subscriptions, in every partition.
    pub async fn waiting_jobs(
        &self,
        subscription_ids: &[String],
    ) -> Result<Vec<WaitingJobs>, QueueError> {
        let mut totals = vec![WaitingJobs::default(); subscription_ids.len()];
        if subscription_ids.is_empty() {
            return Ok(totals);
        }
        let reads = self.partitions().map(|p| async move {
            let mut pipe = redis::pipe();
            for id in subscription_ids {
                for reason in [Waiting::Lane, Waiting::Rate] {
                    let key = p.keys.waiting(id, reason);
                    pipe.zcard(&key).zrange_withscores(&key, 0, 0);
                }
            }
            let mut conn = p.conn();
            p.bounded(
                "waiting jobs",
                pipe.query_async::<Vec<redis::Value>>(&mut conn),
            )
            .await
        });
        for replies in futures_util::future::try_join_all(reads).await? {
            for (i, per_subscription) in replies.chunks(4).enumerate() {
                let total = &mut totals[i];
                for (j, pair) in per_subscription.chunks(2).enumerate() {
                    let count: u64 = redis::from_redis_value_ref(&pair[0]).unwrap_or(0);
                    let oldest: Vec<(String, f64)> =
                        redis::from_redis_value_ref(&pair[1]).unwrap_or_default();
                    if j == 0 {
                        total.ordered += count;
                    } else {
                        total.rate_limited += count;
                    }
                    if let Some((_, score)) = oldest.first() {
                        let ms = *score as i64;
                        total.oldest_accepted_ms =
                            Some(total.oldest_accepted_ms.map_or(ms, |o| o.min(ms)));
                    }
                }
            }
        }
        Ok(totals)
    }
}

impl Partition {
    /// Parks jobs of one subscription (see `park.lua`); returns how many were still pending here.
    pub async fn park(
        &self,
        subscription_id: &str,
        jobs: &[Parked<'_>],
    ) -> Result<usize, QueueError> {
        if jobs.is_empty() {
            return Ok(0);
        }
        let mut invocation = self.scripts().park.prepare_invoke();
        invocation
            .key(self.keys.deliveries())
            .key(self.keys.retry())
            .key(self.keys.waiting(subscription_id, Waiting::Rate))
            .arg(super::DELIVER_GROUP);
        for parked in jobs {
            invocation
                .arg(parked.entry_id)
                .arg(parked.due_ms)
                .arg(parked.job.scheduled_json())
                .arg(parked.job.rate_waiting_member().unwrap_or_default())
                .arg(parked.job.received_at.timestamp_millis());
        }
        let mut conn = self.conn();
        self.bounded("park script", invocation.invoke_async(&mut conn))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_keep_headroom_and_round_up_so_a_limit_is_never_exceeded() {
        assert_eq!(interval_us(Some(20)), 52_500);
        assert_eq!(interval_us(Some(3)), 350_000);
        assert_eq!(interval_us(Some(10_000)), 105);
        assert_eq!(interval_us(Some(7)), 150_000);
        assert_eq!(interval_us(None), 0);
        assert_eq!(interval_us(Some(0)), 0);
    }

    #[test]
    fn slots_are_spaced_and_measured_from_their_reservation() {
        let slots = Slots {
            reserved_at_us: 1_000_000,
            first_us: 1_500_000,
            spacing_us: 50_000,
        };
        assert_eq!(slots.nth_ms(0), 1_500);
        assert_eq!(slots.nth_ms(3), 1_650);
        assert_eq!(slots.nth_ahead_ms(0), 500);
        assert_eq!(slots.nth_ahead_ms(10), 1_000);
    }
}
