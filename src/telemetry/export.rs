//! The OpenTelemetry side of tracing: a tracer provider that batches shiprelay's spans and posts
//! them to the collector over OTLP/HTTP (protobuf), and the `tracing` layer that feeds it.

use std::time::Duration;

use anyhow::Context;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, Sampler, SdkTracerProvider,
};

use crate::config::TelemetrySettings;

/// How long one export may take.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// The span exporter of this process, when traces are configured. Dropping it flushes the
/// spans still buffered.
pub struct Traces {
    provider: Option<SdkTracerProvider>,
}

impl Traces {
    /// Starts the exporter when `settings` names a collector; nothing runs otherwise.
    pub fn start(settings: &TelemetrySettings) -> anyhow::Result<Traces> {
        if !settings.enabled() {
            return Ok(Traces { provider: None });
        }
        let exporter = SpanExporter::builder()
            .with_http()
            .with_endpoint(settings.traces_url())
            .with_timeout(EXPORT_TIMEOUT)
            .build()
            .context("cannot build the OTLP span exporter")?;
        let batches = BatchConfigBuilder::default()
            .with_scheduled_delay(Duration::from_millis(settings.export_delay_ms))
            .build();
        let processor = BatchSpanProcessor::builder(exporter)
            .with_batch_config(batches)
            .build();
        let provider = SdkTracerProvider::builder()
            .with_span_processor(processor)
            .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
                settings.sample_ratio,
            ))))
            .with_resource(
                Resource::builder()
                    .with_service_name(settings.service_name.clone())
                    .build(),
            )
            .build();
        Ok(Traces {
            provider: Some(provider),
        })
    }

    pub fn is_on(&self) -> bool {
        self.provider.is_some()
    }

    /// The layer that turns `tracing` spans into OpenTelemetry spans, when traces are on.
    pub(super) fn layer<S>(
        &self,
    ) -> Option<tracing_opentelemetry::OpenTelemetryLayer<S, opentelemetry_sdk::trace::SdkTracer>>
    where
        S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
    {
        let tracer = self.provider.as_ref()?.tracer("shiprelay");
        Some(
            tracing_opentelemetry::layer()
                .with_tracer(tracer)
                .with_threads(false)
                .with_location(false),
        )
    }
}

impl Drop for Traces {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown()
        {
            eprintln!("shiprelay: could not send the last spans: {error}");
        }
    }
}
