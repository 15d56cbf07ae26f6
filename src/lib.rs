//! shiprelay: a webhook relay for logistics events.
//!
//! One request's life: `http::ingest` reads the size-limited raw body, looks the source up by path,
//! `auth` verifies the signature or token (pure, constant-time), `providers` normalises the bytes
//! into CloudEvents (pure), and `queue` deduplicates and appends them to the `events` stream in one
//! atomic Lua script. Only then does the provider get its 200; when Redis cannot take the write it
//! gets a 503 with `Retry-After`, so nothing acknowledged is ever lost.

pub mod auth;
pub mod backoff;
pub mod config;
pub mod delivery;
pub mod egress;
pub mod event;
pub mod field_error;
pub mod http;
pub mod ingest;
pub mod listen;
pub mod metrics;
pub mod providers;
pub mod queue;
pub mod recording;
pub mod recovery;
pub mod routing;
pub mod secret;
pub mod services;
pub mod shutdown;
pub mod signing;
pub mod startup;
pub mod subscriptions;
pub mod telemetry;
pub mod tenancy;
pub mod time;
pub mod upgrade;
pub mod wire;
