//! The registry handle: tenants, API keys, subscriptions, the audit log, idempotency records,
//! per-minute stats, the subscriptions version and the rate limits' state, all under the
//! registry's hash tag (one slot on a cluster). A [`super::Partition`] is the other handle, for
//! one partition's streams; neither derefs into the other, so code holds the one it uses.

use std::future::Future;
use std::sync::Arc;

use super::conn::Conn;
use super::{Keys, Queue, QueueError, Scripts};

#[derive(Clone)]
pub struct Registry {
    pub(super) queue: Queue,
    pub(super) keys: Keys,
    pub(super) scripts: Arc<Scripts>,
}

impl Queue {
    /// The registry side of this queue, on the same connection.
    pub fn registry(&self) -> Registry {
        Registry {
            keys: self.keys.clone(),
            scripts: self.scripts.clone(),
            queue: self.clone(),
        }
    }
}

impl Registry {
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    pub(super) fn conn(&self) -> Conn {
        self.queue.conn()
    }

    pub(super) async fn bounded<T>(
        &self,
        name: &'static str,
        op: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, QueueError> {
        self.queue.bounded(name, op).await
    }

    /// Copies the subscriptions version into every partition (after a change routers must see).
    pub async fn publish_version(&self) -> Result<(), QueueError> {
        self.queue.publish_version().await
    }
}
