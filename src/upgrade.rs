//! Drains the layout before partitions (see `queue/upgrade/`) for as long as anything is left in
//! it: every few seconds, in every delivering process, so that a rolling upgrade (old processes
//! still writing the old keys for a while) loses nothing. `shiprelay migrate` runs the same passes
//! by hand.

use std::time::Duration;

use crate::queue::Queue;
use crate::shutdown::Shutdown;

const INTERVAL: Duration = Duration::from_secs(5);

pub struct Upgrade {
    pub queue: Queue,
    pub owner: String,
    pub visibility_timeout: Duration,
}

impl Upgrade {
    pub async fn run(self, mut shutdown: Shutdown) {
        while !shutdown.is_stopping() {
            let min_idle_ms = self.visibility_timeout.as_millis() as u64;
            match self.queue.legacy_pass(&self.owner, min_idle_ms).await {
                Ok(pass) if pass.moved() > 0 => tracing::info!(
                    events = pass.events,
                    jobs = pass.jobs,
                    retries = pass.retries,
                    dead_letters = pass.dead,
                    held_by_old_processes = pass.held_elsewhere,
                    "moved pending work of the layout before partitions"
                ),
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "upgrading the layout before partitions failed; retrying")
                }
            }
            shutdown.sleep(INTERVAL).await;
        }
    }
}

/// `shiprelay migrate`: passes until one moves nothing; the summary to print.
pub async fn by_hand(settings: &crate::config::Settings) -> anyhow::Result<String> {
    let queue = Queue::connect(&settings.redis)?;
    let owner = format!("migrate-{}", std::process::id());
    let min_idle_ms = settings.delivery.visibility_timeout_secs * 1000;
    let mut total = crate::queue::LegacyPass::default();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let pass = queue.legacy_pass(&owner, min_idle_ms).await?;
        if pass.skipped {
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "another process has been upgrading for a minute; try again later"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        total.events += pass.events;
        total.jobs += pass.jobs;
        total.retries += pass.retries;
        total.dead += pass.dead;
        total.held_elsewhere = pass.held_elsewhere;
        total.finished = pass.finished;
        if pass.moved() == 0 {
            break;
        }
    }
    let mut summary = format!(
        "moved {} unrouted event(s), {} job(s), {} retry(ies), {} dead letter(s) into {} partitions",
        total.events,
        total.jobs,
        total.retries,
        total.dead,
        queue.partition_count()
    );
    if total.finished {
        summary.push_str("; the layout before partitions is gone");
    } else if total.held_elsewhere > 0 {
        summary.push_str(&format!(
            "; {} entr(ies) are still held by running processes of the previous version: they are \
             moved once those settle them or stop (a delivering shiprelay keeps draining)",
            total.held_elsewhere
        ));
    } else {
        summary.push_str(&format!(
            "; the old keys are removed once no old process has written them for {} s",
            crate::queue::IDLE_BEFORE_REMOVAL.as_secs()
        ));
    }
    Ok(summary)
}
