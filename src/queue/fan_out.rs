//! Fan-out: the jobs of routed events are appended and the events acknowledged in atomic script
//! calls bounded by bytes.

use super::{Partition, QueueError, ROUTE_GROUP};

/// The most job bytes one fan-out call carries (an event with more goes alone).
pub const FAN_OUT_MAX_BYTES: usize = 4 * 1024 * 1024;

/// Consecutive runs of `routed` whose jobs add up to at most `max_bytes` (a run holds at least one
/// event, however large).
fn byte_bounded(
    routed: &[(String, Vec<String>)],
    max_bytes: usize,
) -> Vec<&[(String, Vec<String>)]> {
    let mut chunks = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, (_, jobs)) in routed.iter().enumerate() {
        let size: usize = jobs.iter().map(String::len).sum();
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
    /// Appends the jobs of each event and acknowledges the events: each event with all its jobs in
    /// one atomic script call, and no call carrying more than [`FAN_OUT_MAX_BYTES`] of jobs (but
    /// always at least one event), so large events cannot make one call outlast the command
    /// timeout and wedge routing. `routed`: per event entry, its jobs' JSON.
    pub async fn fan_out(&self, routed: &[(String, Vec<String>)]) -> Result<(), QueueError> {
        for chunk in byte_bounded(routed, FAN_OUT_MAX_BYTES) {
            let mut invocation = self.scripts.fan_out.prepare_invoke();
            invocation
                .key(self.keys.events())
                .key(self.keys.deliveries())
                .arg(ROUTE_GROUP);
            for (entry_id, jobs) in chunk {
                invocation.arg(entry_id).arg(jobs.len());
                for job in jobs {
                    invocation.arg(job);
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
    use super::byte_bounded;

    fn routed(sizes: &[&[usize]]) -> Vec<(String, Vec<String>)> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, jobs)| {
                (
                    format!("{i}-0"),
                    jobs.iter().map(|n| "x".repeat(*n)).collect(),
                )
            })
            .collect()
    }

    fn shape(chunks: Vec<&[(String, Vec<String>)]>) -> Vec<usize> {
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
