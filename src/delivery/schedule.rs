//! Time-driven work: due retries move back into the deliveries stream, and the events stream is
//! trimmed to the retention period (never past events the router has not finished with).

use std::time::Duration;

use super::runtime::Shutdown;
use crate::queue::Queue;

/// How often due retries are looked for: the precision of retry times.
const PUMP_INTERVAL: Duration = Duration::from_millis(200);
const PUMP_BATCH: usize = 500;
const TRIM_INTERVAL: Duration = Duration::from_secs(60);

pub struct Scheduler {
    pub queue: Queue,
    pub events_retention: Duration,
}

impl Scheduler {
    pub async fn run(self, mut shutdown: Shutdown) {
        let mut last_trim: Option<tokio::time::Instant> = None;
        while !shutdown.is_stopping() {
            let now_ms = chrono::Utc::now().timestamp_millis();
            match self.queue.pump_due(now_ms, PUMP_BATCH).await {
                Ok(moved) if moved == PUMP_BATCH => continue, // more are due: no pause
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "retry pump failed; retrying shortly"),
            }
            if last_trim.is_none_or(|t| t.elapsed() >= TRIM_INTERVAL) {
                last_trim = Some(tokio::time::Instant::now());
                let cutoff = now_ms - self.events_retention.as_millis() as i64;
                if let Err(error) = self.queue.trim_events(cutoff).await {
                    tracing::warn!(%error, "events trimming failed");
                }
            }
            shutdown.sleep(PUMP_INTERVAL).await;
        }
    }
}
