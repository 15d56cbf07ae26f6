//! The subscriptions version, copied into every partition. An enqueue fans out by itself only when
//! its snapshot's version equals its partition's copy (a script reads its own slot only), so a
//! change is copied before it is answered: from then on, an enqueue with an older snapshot sends
//! its events to a router, which reloads. Copies only ever rise; a failed copy fails the change's
//! answer (503), and every partition's scheduler also copies the version each second, so a copy
//! left behind by a crash between the change and its copy catches up.

use futures_util::future::try_join_all;

use super::{Partition, Queue, QueueError};

impl Queue {
    /// Copies the registry's subscriptions version into every partition.
    pub async fn publish_version(&self) -> Result<(), QueueError> {
        let version = self.registry().subscriptions_version().await?;
        try_join_all(
            self.partitions()
                .map(|partition| async move { partition.copy_version(version).await }),
        )
        .await?;
        Ok(())
    }
}

impl Partition {
    /// Raises this partition's copy to `version`.
    pub async fn copy_version(&self, version: u64) -> Result<(), QueueError> {
        let mut invocation = self.scripts().version_copy.prepare_invoke();
        invocation
            .key(self.keys.subscriptions_version())
            .arg(version);
        let mut conn = self.conn();
        self.bounded(
            "version copy script",
            invocation.invoke_async::<i64>(&mut conn),
        )
        .await?;
        Ok(())
    }
}
