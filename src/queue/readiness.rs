//! Readiness per partition: a partition is up while its master takes a write (a tiny expiring
//! key under its tag), the registry likewise. A dead master costs its partitions, not the relay.

use futures_util::future::join_all;

use super::{Partition, Queue, QueueError};

/// Whether the registry and each partition took a write just now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    pub registry: bool,
    /// By partition number.
    pub partitions: Vec<bool>,
}

impl Readiness {
    /// Ready to accept webhooks: the registry and at least one partition take writes.
    pub fn ready(&self) -> bool {
        self.registry && self.partitions.iter().any(|&up| up)
    }
}

async fn probe(queue: &Queue, key: String) -> Result<(), QueueError> {
    let mut conn = queue.conn();
    queue
        .timed(
            redis::cmd("SET")
                .arg(key)
                .arg(1)
                .arg("PX")
                .arg(60_000)
                .query_async::<()>(&mut conn),
        )
        .await
}

impl Queue {
    /// Probes the registry and every partition at once.
    pub async fn readiness(&self) -> Readiness {
        let registry = probe(self, self.keys.probe());
        let (registry, partitions) = tokio::join!(registry, self.partitions_up());
        if let Err(error) = &registry {
            tracing::warn!(%error, "readiness: the registry does not take writes");
        }
        Readiness {
            registry: registry.is_ok(),
            partitions,
        }
    }

    /// Whether each partition takes a write now (by partition number), probed at once.
    pub async fn partitions_up(&self) -> Vec<bool> {
        join_all(self.partitions().map(|partition: Partition| async move {
            probe(&partition.queue, partition.keys.probe())
                .await
                .is_ok()
        }))
        .await
    }
}
