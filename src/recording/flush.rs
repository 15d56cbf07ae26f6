//! Adds a process's pending counts to Redis every few seconds; what a flush cannot write is kept
//! for the next (within the retention), so a Redis outage loses no figure it could still show.

use std::time::Duration;

use crate::metrics::minutes::{MinuteCounts, RETENTION_SECS, minute_of};
use crate::queue::Registry;
use crate::shutdown::Shutdown;

/// How often counts go to Redis: how stale the console's figures may be.
pub const INTERVAL: Duration = Duration::from_secs(2);

pub struct Flusher {
    pub registry: Registry,
    pub counts: MinuteCounts,
}

impl Flusher {
    pub async fn run(self, mut shutdown: Shutdown) {
        while !shutdown.is_stopping() {
            shutdown.sleep(INTERVAL).await;
            self.flush().await;
        }
        self.flush().await;
    }

    async fn flush(&self) {
        let counts = self.counts.take();
        if let Err(error) = self
            .registry
            .add_minute_counts(&counts, RETENTION_SECS)
            .await
        {
            tracing::debug!(%error, "minute counts kept for the next flush");
            let oldest =
                minute_of(chrono::Utc::now().timestamp_millis()) - (RETENTION_SECS / 60) as i64;
            self.counts.put_back(counts, oldest);
        }
    }
}
