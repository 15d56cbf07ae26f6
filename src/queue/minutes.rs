//! The per-minute counts behind `GET /v1/stats`: one expiring hash per minute in the registry
//! (`{prefix}:minute:<unix minute>`), added to by every process's flush and read by windows.

use std::collections::HashMap;

use super::{QueueError, Registry};

impl Registry {
    /// Adds `counts` (minute, field, n) to their minutes' hashes, each kept `ttl_secs`.
    pub async fn add_minute_counts(
        &self,
        counts: &[(i64, String, i64)],
        ttl_secs: u64,
    ) -> Result<(), QueueError> {
        if counts.is_empty() {
            return Ok(());
        }
        // One transaction (all in the registry's slot): a failed flush added nothing, so
        // putting its counts back cannot count them twice.
        let mut pipe = redis::pipe();
        pipe.atomic();
        let mut minutes: Vec<i64> = Vec::new();
        for (minute, field, n) in counts {
            pipe.hincr(self.keys.minute(*minute), field, *n).ignore();
            if !minutes.contains(minute) {
                minutes.push(*minute);
            }
        }
        for minute in minutes {
            pipe.expire(self.keys.minute(minute), ttl_secs as i64)
                .ignore();
        }
        let mut conn = self.conn();
        self.bounded("minute counts", pipe.query_async::<()>(&mut conn))
            .await
    }

    /// The counts of each of `minutes` (an empty map for a minute nobody counted).
    pub async fn minute_counts(
        &self,
        minutes: &[i64],
    ) -> Result<Vec<HashMap<String, i64>>, QueueError> {
        let mut pipe = redis::pipe();
        for minute in minutes {
            pipe.hgetall(self.keys.minute(*minute));
        }
        let mut conn = self.conn();
        self.bounded("read minute counts", pipe.query_async(&mut conn))
            .await
    }
}
