//! Fan-out by a router: the jobs (references) of routed events are appended and their routing
//! entries retired in atomic script calls bounded by bytes.

use super::{Partition, QueueError, ROUTE_GROUP, Target};

/// The most job bytes one fan-out call carries (an event with more goes alone).
pub const FAN_OUT_MAX_BYTES: usize = 4 * 1024 * 1024;

/// One routed event: its routing entry, its event entry, and the subscriptions it goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    pub routing_entry: String,
    pub event_entry: String,
    pub subscriptions: Vec<Target>,
}

impl Routed {
    fn bytes(&self) -> usize {
        self.event_entry.len() * self.subscriptions.len()
            + self
                .subscriptions
                .iter()
                .map(|t| t.subscription_id.len() + t.lane.as_ref().map_or(0, String::len))
                .sum::<usize>()
    }
}

/// Consecutive runs of `routed` whose jobs add up to at most `max_bytes` (a run holds at least one
/// event, however large).
fn byte_bounded(routed: &[Routed], max_bytes: usize) -> Vec<&[Routed]> {
    let mut chunks = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, event) in routed.iter().enumerate() {
        let size = event.bytes();
        if i > start && bytes + size > max_bytes {
            chunks.push(&routed[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < routed.len() {
        chunks.push(&routed[start..]);
    }
    chunks
}

impl Partition {
    /// Appends the jobs of each event and retires its routing entry: each event with all its jobs
    /// in one atomic script call, and no call carrying more than [`FAN_OUT_MAX_BYTES`] of jobs
    /// (but always at least one event), so a huge fan-out cannot make one call outlast the command
    /// timeout and wedge routing.
    pub async fn fan_out(&self, routed: &[Routed]) -> Result<(), QueueError> {
        for chunk in byte_bounded(routed, FAN_OUT_MAX_BYTES) {
            let mut invocation = self.scripts().fan_out.prepare_invoke();
            invocation
                .key(self.keys.routing())
                .key(self.keys.deliveries())
                .key(self.keys.lane_seq())
                .arg(ROUTE_GROUP)
                .arg(chrono::Utc::now().timestamp_millis());
            for event in chunk {
                invocation
                    .arg(&event.routing_entry)
                    .arg(&event.event_entry)
                    .arg(event.subscriptions.len());
                for target in &event.subscriptions {
                    invocation
                        .arg(&target.subscription_id)
                        .arg(target.lane.as_deref().unwrap_or(""));
                }
                for [lane, waiting] in
                    super::enqueue_batch::lanes_of(&self.keys, &event.subscriptions)
                {
                    invocation.key(lane).key(waiting);
                }
            }
            let mut conn = self.conn();
            self.bounded("fan-out script", invocation.invoke_async::<i64>(&mut conn))
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Routed, byte_bounded};

    /// Events whose jobs are `sizes` bytes each (an event entry id of 1 byte, subscription ids
    /// making up the rest).
    fn routed(sizes: &[&[usize]]) -> Vec<Routed> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, jobs)| Routed {
                routing_entry: format!("{i}-0"),
                event_entry: "e".into(),
                subscriptions: jobs
                    .iter()
                    .map(|n| crate::queue::Target::unordered("x".repeat(n - 1)))
                    .collect(),
            })
            .collect()
    }

    fn shape(chunks: Vec<&[Routed]>) -> Vec<usize> {
        chunks.iter().map(|c| c.len()).collect()
    }

    #[test]
    fn calls_are_split_by_job_bytes_and_an_event_is_never_split() {
        let events = routed(&[&[4, 4], &[3], &[9], &[1, 1], &[]]);
        assert_eq!(shape(byte_bounded(&events, 10)), vec![1, 1, 1, 2]);
        assert_eq!(shape(byte_bounded(&events, 11)), vec![2, 3]);
        assert_eq!(shape(byte_bounded(&events, 100)), vec![5]);
        // An event larger than the bound goes alone.
        let huge = routed(&[&[50], &[1], &[60]]);
        assert_eq!(shape(byte_bounded(&huge, 10)), vec![1, 1, 1]);
        assert!(byte_bounded(&[], 10).is_empty());
    }
}
