//! `[telemetry]`: OpenTelemetry traces over OTLP/HTTP (protobuf). Off while `otlp_endpoint` is
//! empty, and then nothing of it runs.

use serde::Deserialize;

use super::lenient;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct TelemetrySettings {
    /// The collector's base URL, e.g. `http://collector:4318`; spans are posted to `/v1/traces`
    /// under it. Empty: no traces.
    pub otlp_endpoint: String,
    /// `service.name` of every span.
    pub service_name: String,
    /// The share of new traces recorded (0.0 to 1.0); a trace a provider started keeps the
    /// provider's sampling decision.
    #[serde(deserialize_with = "lenient::number")]
    pub sample_ratio: f64,
    /// How long finished spans are gathered before a batch is sent.
    #[serde(deserialize_with = "lenient::number")]
    pub export_delay_ms: u64,
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        TelemetrySettings {
            otlp_endpoint: String::new(),
            service_name: "shiprelay".into(),
            sample_ratio: 1.0,
            export_delay_ms: 5000,
        }
    }
}

impl TelemetrySettings {
    pub fn enabled(&self) -> bool {
        !self.otlp_endpoint.is_empty()
    }

    /// Where spans are posted: the endpoint's `/v1/traces`.
    pub fn traces_url(&self) -> String {
        format!("{}/v1/traces", self.otlp_endpoint.trim_end_matches('/'))
    }

    /// Every problem, as (setting, message).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if self.enabled() {
            match url::Url::parse(&self.otlp_endpoint) {
                Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {}
                _ => problems.push((
                    "telemetry.otlp_endpoint",
                    format!(
                        "`{}` is not an http(s) URL such as http://collector:4318",
                        self.otlp_endpoint
                    ),
                )),
            }
        }
        if self.service_name.trim().is_empty() {
            problems.push(("telemetry.service_name", "must not be empty".into()));
        }
        if !(0.0..=1.0).contains(&self.sample_ratio) {
            problems.push(("telemetry.sample_ratio", "must be 0.0 to 1.0".into()));
        }
        if !(1..=60_000).contains(&self.export_delay_ms) {
            problems.push(("telemetry.export_delay_ms", "must be 1 to 60000".into()));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_by_default_and_valid() {
        let settings = TelemetrySettings::default();
        assert!(!settings.enabled());
        assert!(settings.problems().is_empty());
    }

    #[test]
    fn spans_go_to_v1_traces_under_the_endpoint() {
        let settings = TelemetrySettings {
            otlp_endpoint: "http://collector:4318/".into(),
            ..Default::default()
        };
        assert_eq!(settings.traces_url(), "http://collector:4318/v1/traces");
    }

    #[test]
    fn every_bad_setting_is_named() {
        let settings = TelemetrySettings {
            otlp_endpoint: "collector:4318".into(),
            service_name: " ".into(),
            sample_ratio: 1.5,
            export_delay_ms: 0,
        };
        let named: Vec<&str> = settings.problems().into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            named,
            [
                "telemetry.otlp_endpoint",
                "telemetry.service_name",
                "telemetry.sample_ratio",
                "telemetry.export_delay_ms"
            ]
        );
    }
}
