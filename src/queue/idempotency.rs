//! `Idempotency-Key` records: the first request with a key claims it (`SET NX`), and its
//! successful response is stored so that a retry gets the same answer instead of a second effect.

use serde::{Deserialize, Serialize};

use super::{QueueError, Registry};

/// What is remembered for a key. `status` is `None` while the first request is still running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResponse {
    /// Hash of method, path and body: the same key with another request is a conflict.
    pub fingerprint: String,
    pub status: Option<u16>,
    pub body: Option<String>,
    pub location: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// The key was free and is now claimed by this request.
    Claimed,
    /// The key is known: a response to replay, or a request still running.
    Known(StoredResponse),
}

/// Where one caller's `Idempotency-Key` is remembered (the Redis key stays inside `queue`).
#[derive(Debug, Clone)]
pub struct IdempotencySlot(String);

impl Registry {
    /// The slot of `key` for the caller `scope_id` (keys are scoped to the API key).
    pub fn idempotency_slot(&self, scope_id: &str, key: &str) -> IdempotencySlot {
        IdempotencySlot(self.keys.idempotency(scope_id, key))
    }

    pub async fn idempotency_begin(
        &self,
        slot: &IdempotencySlot,
        fingerprint: &str,
        ttl_secs: u64,
    ) -> Result<IdempotencyBegin, QueueError> {
        let key = &slot.0;
        let pending = StoredResponse {
            fingerprint: fingerprint.to_string(),
            status: None,
            body: None,
            location: None,
        };
        let json = serde_json::to_string(&pending).map_err(|e| QueueError::Reply(e.to_string()))?;
        let mut conn = self.conn();
        let previous: Option<String> = self
            .bounded(
                "SET",
                redis::cmd("SET")
                    .arg(key)
                    .arg(json)
                    .arg("NX")
                    .arg("GET")
                    .arg("EX")
                    .arg(ttl_secs)
                    .query_async(&mut conn),
            )
            .await?;
        match previous {
            None => Ok(IdempotencyBegin::Claimed),
            Some(json) => serde_json::from_str(&json)
                .map(IdempotencyBegin::Known)
                .map_err(|e| QueueError::Reply(format!("idempotency record: {e}"))),
        }
    }

    pub async fn idempotency_complete(
        &self,
        slot: &IdempotencySlot,
        response: &StoredResponse,
        ttl_secs: u64,
    ) -> Result<(), QueueError> {
        let key = &slot.0;
        let json = serde_json::to_string(response).map_err(|e| QueueError::Reply(e.to_string()))?;
        let mut conn = self.conn();
        self.bounded(
            "SET",
            redis::cmd("SET")
                .arg(key)
                .arg(json)
                .arg("EX")
                .arg(ttl_secs)
                .query_async::<()>(&mut conn),
        )
        .await
    }

    /// Frees a key whose request failed, so the client may retry it.
    pub async fn idempotency_release(&self, slot: &IdempotencySlot) -> Result<(), QueueError> {
        let key = &slot.0;
        let mut conn = self.conn();
        self.bounded(
            "DEL",
            redis::cmd("DEL").arg(key).query_async::<()>(&mut conn),
        )
        .await
    }
}
