//! Subscriptions: who wants which events, where, signed with which secret.
//!
//! `model`, `validate` and `matching` are pure (time and randomness passed in) and unit-tested;
//! `store` is the Redis side, tested end to end through the API.

pub mod filter;
pub mod matching;
pub mod model;
pub mod requests;
pub mod service;
pub mod validate;
