//! The encoding of the records the registry keeps (tenants, keys, subscriptions): JSON, written
//! and read only here, so a service holds typed values and a record that does not decode is a
//! [`QueueError::Reply`] naming which kind of record it was (never its content, which may hold a
//! secret).

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::QueueError;

/// The JSON of a record, as the store writes it.
pub fn encode<T: Serialize>(record: &T) -> Result<String, QueueError> {
    serde_json::to_string(record).map_err(|e| QueueError::Reply(e.to_string()))
}

/// A stored record of kind `what` (`tenant`, `subscription`, `key`), decoded.
pub fn decode<T: DeserializeOwned>(what: &str, record: &str) -> Result<T, QueueError> {
    serde_json::from_str(record).map_err(|e| QueueError::Reply(format!("{what} record: {e}")))
}
