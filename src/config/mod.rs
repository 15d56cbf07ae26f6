//! Settings: embedded defaults, then a TOML file, then `SHIPRELAY_*` environment variables,
//! validated once at start so that a bad config fails loudly before any traffic is taken.
//!
//! Loading never stops at the first problem: unknown keys, type errors and semantic problems
//! (unknown kind, missing secret, bad URL, duplicate source id, ...) are all collected, each with
//! its path, so `shiprelay check-config` can name every one of them in a single run.

mod env_overlay;
mod lenient;
mod redis_settings;
mod sources;
mod telemetry_settings;
mod validate;

pub use validate::Problem;

use std::path::Path;

use serde::Deserialize;

pub use redis_settings::{RedisMode, RedisSettings};
pub use sources::{Source, SourceSettings};
pub use telemetry_settings::TelemetrySettings;

/// The default of `metrics.max_tenant_labels`.
pub const DEFAULT_MAX_TENANT_LABELS: usize = 100;

/// Everything shiprelay is configured with; see the README's configuration reference.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub server: ServerSettings,
    pub redis: RedisSettings,
    pub ingest: IngestSettings,
    pub api: ApiSettings,
    pub delivery: DeliverySettings,
    pub metrics: MetricsSettings,
    pub log: LogSettings,
    pub telemetry: TelemetrySettings,
    pub sources: Vec<SourceSettings>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ServerSettings {
    pub listen: String,
    #[serde(deserialize_with = "lenient::number")]
    pub max_body_bytes: usize,
    /// How long in-flight requests may take to finish after SIGTERM.
    #[serde(deserialize_with = "lenient::number")]
    pub shutdown_timeout_secs: u64,
    /// HTTP worker threads; 0 means one per core.
    #[serde(deserialize_with = "lenient::number")]
    pub workers: usize,
    /// How long a client may take to send a request's head (request line and headers); past it
    /// the connection gets a 408 and is closed (slowloris).
    #[serde(deserialize_with = "lenient::number")]
    pub header_timeout_secs: u64,
    /// How long a client may take to send a whole body, counted from the handler's first read;
    /// past it the request gets a 408 problem and the connection is closed (slow bodies).
    #[serde(deserialize_with = "lenient::number")]
    pub body_timeout_secs: u64,
    /// What this process does: everything, only HTTP (ingest and API), or only delivery.
    pub role: Role,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Ingest, API and delivery.
    All,
    /// Provider ingest and the REST API; no delivery workers.
    Ingest,
    /// Delivery workers; HTTP serves only health, readiness and metrics.
    Worker,
}

impl Role {
    pub fn delivers(self) -> bool {
        matches!(self, Role::All | Role::Worker)
    }

    pub fn serves_api(self) -> bool {
        matches!(self, Role::All | Role::Ingest)
    }
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            listen: "127.0.0.1:8080".into(),
            max_body_bytes: 1024 * 1024,
            shutdown_timeout_secs: 30,
            workers: 0,
            header_timeout_secs: 5,
            body_timeout_secs: 30,
            role: Role::All,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct IngestSettings {
    /// How long a provider event id is remembered for deduplication.
    #[serde(deserialize_with = "lenient::number")]
    pub dedupe_ttl_secs: u64,
}

impl Default for IngestSettings {
    fn default() -> Self {
        IngestSettings {
            dedupe_ttl_secs: 7 * 24 * 3600,
        }
    }
}

/// Shortest API key accepted: keys are bearer credentials, so they must not be guessable.
pub const MIN_API_KEY_LEN: usize = 16;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ApiSettings {
    /// Accepted `X-API-Key` / `Authorization: Bearer` values; none means every `/v1` call is 401.
    pub keys: Vec<crate::secret::Secret>,
    /// Largest request body the REST API reads.
    #[serde(deserialize_with = "lenient::number")]
    pub max_body_bytes: usize,
    /// How long a rotated-out subscription secret keeps verifying (both signatures are sent).
    #[serde(deserialize_with = "lenient::number")]
    pub secret_rotation_grace_secs: u64,
    /// How long an `Idempotency-Key` and its response are remembered.
    #[serde(deserialize_with = "lenient::number")]
    pub idempotency_ttl_secs: u64,
    /// Requests per second each API key (admin or tenant) may make to `/v1`, across all
    /// processes; past it, 429 with `Retry-After`. 0: no limit.
    #[serde(deserialize_with = "lenient::number")]
    pub requests_per_second_per_key: u64,
    /// About how many audit entries are kept (a capped stream).
    #[serde(deserialize_with = "lenient::number")]
    pub audit_len: usize,
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            keys: Vec::new(),
            max_body_bytes: 64 * 1024,
            secret_rotation_grace_secs: 24 * 3600,
            idempotency_ttl_secs: 24 * 3600,
            requests_per_second_per_key: 100,
            audit_len: 100_000,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DeliverySettings {
    /// HTTP deliveries in flight at once, per process.
    #[serde(deserialize_with = "lenient::number")]
    pub concurrency: usize,
    /// Deliveries in flight to one subscription at once, per process.
    #[serde(deserialize_with = "lenient::number")]
    pub per_subscription_in_flight: usize,
    /// Time allowed for one delivery attempt (connect, send, answer).
    #[serde(deserialize_with = "lenient::number")]
    pub timeout_secs: u64,
    /// A job (or event) a process took but did not finish is taken over after this long.
    #[serde(deserialize_with = "lenient::number")]
    pub visibility_timeout_secs: u64,
    /// Exponential backoff: first ceiling, doubling up to `retry_cap_secs`, with full jitter.
    #[serde(deserialize_with = "lenient::number")]
    pub retry_base_ms: u64,
    #[serde(deserialize_with = "lenient::number")]
    pub retry_cap_secs: u64,
    /// Attempts per job before it is dead-lettered.
    #[serde(deserialize_with = "lenient::number")]
    pub max_attempts: u32,
    /// A job is dead-lettered rather than retried later than this after its first attempt.
    #[serde(deserialize_with = "lenient::number")]
    pub max_age_secs: u64,
    /// Longest `Retry-After` honoured from a 429/503.
    #[serde(deserialize_with = "lenient::number")]
    pub max_retry_after_secs: u64,
    /// A subscription failing without a single success for this long is disabled.
    #[serde(deserialize_with = "lenient::number")]
    pub disable_after_failing_secs: u64,
    /// Deliver to loopback, private, link-local and metadata addresses (local setups and tests).
    #[serde(deserialize_with = "lenient::number")]
    pub allow_private_targets: bool,
    /// Entries kept in each subscription's delivery log.
    #[serde(deserialize_with = "lenient::number")]
    pub attempts_log_len: usize,
    /// Bytes of each response body kept in the delivery log.
    #[serde(deserialize_with = "lenient::number")]
    pub response_excerpt_bytes: usize,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings {
            concurrency: 64,
            per_subscription_in_flight: 8,
            timeout_secs: 15,
            visibility_timeout_secs: 60,
            retry_base_ms: 5000,
            retry_cap_secs: 3600,
            max_attempts: 30,
            max_age_secs: 24 * 3600,
            max_retry_after_secs: 3600,
            disable_after_failing_secs: 5 * 24 * 3600,
            allow_private_targets: false,
            attempts_log_len: 1000,
            response_excerpt_bytes: 1024,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct MetricsSettings {
    /// Serve `/metrics` on this address, a port of its own that providers never see. Empty
    /// (together with `public = true`): on the main port.
    pub listen: String,
    /// Serve `/metrics` on the main, provider-facing port: it names every source id to anyone who
    /// can reach that port, so it takes `listen = ""` and this, both.
    pub public: bool,
    /// How often queue depths and subscription counts are read from Redis.
    #[serde(deserialize_with = "lenient::number")]
    pub sample_interval_secs: u64,
    /// How many tenants get a `tenant` label of their own in the per-tenant metrics, per process:
    /// the first ones seen; every later tenant is counted as `_other`.
    #[serde(deserialize_with = "lenient::number")]
    pub max_tenant_labels: usize,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        MetricsSettings {
            listen: "0.0.0.0:9464".into(),
            public: false,
            sample_interval_secs: 5,
            max_tenant_labels: DEFAULT_MAX_TENANT_LABELS,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct LogSettings {
    pub format: LogFormat,
    /// A tracing filter directive, e.g. `info` or `shiprelay=debug,actix_web=warn`; `RUST_LOG`
    /// overrides it.
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            format: LogFormat::Pretty,
            level: "info".into(),
        }
    }
}

/// Validated settings plus the sources built from them.
#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    pub sources: Vec<Source>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid configuration:\n{}", .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
}

impl Config {
    /// Loads `file` (when given) and the process environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let text = match file {
            Some(path) => std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.display().to_string(),
                source,
            })?,
            None => String::new(),
        };
        Config::from_toml(&text, std::env::vars())
    }

    /// Parses TOML text with environment overrides; every problem found is reported.
    pub fn from_toml(
        text: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut root: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            ConfigError::Invalid(vec![Problem {
                path: "(file)".into(),
                message: e.to_string().trim().to_string(),
            }])
        })?;
        let mut problems: Vec<Problem> = env_overlay::apply(&mut root, env)
            .into_iter()
            .map(|message| Problem {
                path: "(environment)".into(),
                message,
            })
            .collect();

        let mut unknown = Vec::new();
        let mut on_unknown = |path: serde_ignored::Path<'_>| unknown.push(path.to_string());
        let deserializer =
            serde_ignored::Deserializer::new(toml::Value::Table(root), &mut on_unknown);
        let settings: Option<Settings> = match serde_path_to_error::deserialize(deserializer) {
            Ok(settings) => Some(settings),
            Err(e) => {
                problems.push(Problem {
                    path: validate::bracket_indexes(&e.path().to_string()),
                    message: e.inner().to_string().trim().to_string(),
                });
                None
            }
        };
        problems.extend(unknown.into_iter().map(|path| Problem {
            path: validate::bracket_indexes(&path),
            message: "unknown setting".into(),
        }));
        let Some(settings) = settings else {
            return Err(ConfigError::Invalid(problems));
        };
        problems.extend(validate::validate(&settings));
        let sources = sources::build_all(&settings.sources, &mut problems);
        if problems.is_empty() {
            Ok(Config { settings, sources })
        } else {
            Err(ConfigError::Invalid(problems))
        }
    }
}

#[cfg(test)]
mod tests;
