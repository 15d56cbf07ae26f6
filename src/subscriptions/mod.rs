//! Subscriptions: who wants which events, where, signed with which secret.
//!
//! `model`, `validate` and `matching` are pure (time and randomness passed in) and unit-tested;
//! the service that stores them is `services::subscriptions`. No I/O here.

pub mod filter;
pub mod matching;
pub mod model;
pub mod options;
pub mod requests;
pub mod validate;
