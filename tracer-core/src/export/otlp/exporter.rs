//! The OTLP exporter: encodes a batch once, then posts it, retrying
//! transient failures within the export's time budget.

use std::fmt;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::resource::v1::Resource as PbResource;

use super::builder::OtlpExporterBuilder;
use super::config::{OtlpCompression, OtlpProtocol};
use super::encode::{self, Scope};
use super::retry::RetryPolicy;
use super::sender::Sender;
use super::transport::Attempt;
use crate::diag;
use crate::export::{ExportError, SpanExporter};
use crate::model::{Resource, SpanData, SpanId};

/// Sends spans to a collector over OTLP/HTTP or OTLP/gRPC. See the
/// [module](super) docs.
///
/// Available with the `otlp` feature.
///
/// ```
/// use tracer_core::export::otlp::OtlpExporter;
///
/// let exporter = OtlpExporter::builder().endpoint("http://collector:4318").build().unwrap();
/// assert_eq!(exporter.url(), "http://collector:4318/v1/traces");
/// ```
pub struct OtlpExporter {
    sender: Sender,
    timeout: Duration,
    processor_timeout: Option<Duration>,
    retry: RetryPolicy,
    resource: ExportedResource,
    /// Whether the builder gave the resource, which the provider's then
    /// does not replace.
    resource_from_builder: bool,
    scope: Scope,
    retries: u64,
    /// Problems already reported (HTTP statuses, 1000 + gRPC codes; 0 for
    /// partial success).
    reported: Vec<u16>,
    shut_down: bool,
}

/// The resource spans are exported under, and its protobuf form, encoded
/// once rather than per export.
struct ExportedResource {
    resource: Resource,
    proto: PbResource,
}

impl ExportedResource {
    fn new(resource: Resource) -> ExportedResource {
        let proto = encode::resource(&resource);
        ExportedResource { resource, proto }
    }
}

impl OtlpExporter {
    /// A builder, starting from the defaults: protobuf to
    /// `http://localhost:4318/v1/traces`, no compression, 10 s timeout.
    pub fn builder() -> OtlpExporterBuilder {
        OtlpExporterBuilder::default()
    }

    pub(super) fn new(
        sender: Sender,
        timeout: Duration,
        retry: RetryPolicy,
        resource: Option<Resource>,
        scope: Scope,
    ) -> OtlpExporter {
        OtlpExporter {
            sender,
            timeout,
            processor_timeout: None,
            retry,
            resource_from_builder: resource.is_some(),
            // Outside a provider, without a resource from the builder.
            resource: ExportedResource::new(resource.unwrap_or_default()),
            scope,
            retries: 0,
            reported: Vec::new(),
            shut_down: false,
        }
    }

    /// The URL spans are sent to (over gRPC, the collector's endpoint).
    pub fn url(&self) -> &str {
        self.sender.url()
    }

    /// The protocol.
    pub fn protocol(&self) -> OtlpProtocol {
        self.sender.protocol()
    }

    /// The compression.
    pub fn compression(&self) -> OtlpCompression {
        self.sender.compression()
    }

    /// The extra headers (gRPC metadata) sent with every request.
    pub fn headers(&self) -> &[(String, String)] {
        self.sender.headers()
    }

    /// The longest one export may take, retries included.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Logs `message` the first time `key` comes up.
    fn report_once(&mut self, key: u16, message: impl FnOnce() -> String) -> bool {
        if self.reported.contains(&key) {
            return false;
        }
        self.reported.push(key);
        diag::warn(&message());
        true
    }
}

impl fmt::Debug for OtlpExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values often hold API keys: names only.
        let header_names: Vec<&str> = self.headers().iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("OtlpExporter")
            .field("url", &self.url())
            .field("protocol", &self.protocol())
            .field("compression", &self.compression())
            .field("headers", &header_names)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("scope", &self.scope)
            .finish()
    }
}

impl SpanExporter for OtlpExporter {
    fn export(&mut self, batch: &[SpanData]) -> Result<(), ExportError> {
        if self.shut_down {
            return Err(ExportError::ShutDown);
        }
        if batch.is_empty() {
            return Ok(());
        }
        let payload = self
            .sender
            .payload((&self.resource.resource, &self.resource.proto), &self.scope, batch)?;
        let start = Instant::now();
        let budget = self.processor_timeout.map_or(self.timeout, |t| t.min(self.timeout));
        let deadline = start + budget;
        let mut attempts = 0;
        let (last_reason, last_timed_out) = loop {
            attempts += 1;
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                break ("no time left for an attempt".to_owned(), true);
            }
            match self.sender.send(&payload, remaining) {
                Attempt::Delivered { rejected, message } => {
                    if rejected > 0 {
                        let url = self.url().to_owned();
                        let text = message.clone();
                        self.report_once(0, || {
                            format!("OTLP collector at {url} rejected {rejected} spans (partial success): {text}; further partial successes are only counted")
                        });
                        return Err(ExportError::PartialSuccess {
                            rejected: rejected as u64,
                            message,
                        });
                    }
                    if !message.is_empty() {
                        let url = self.url().to_owned();
                        self.report_once(0, || format!("OTLP collector at {url} warned: {message}"));
                    }
                    return Ok(());
                }
                Attempt::Fatal { reason, status } => {
                    let url = self.url().to_owned();
                    let count = batch.len();
                    let text = reason.clone();
                    self.report_once(status.unwrap_or(1), || {
                        format!("OTLP export of {count} spans to {url} failed and will not be retried: {text}; further failures like it are only counted")
                    });
                    return Err(ExportError::Failed(reason));
                }
                Attempt::Retry {
                    reason,
                    retry_after,
                    timed_out,
                } => {
                    if attempts >= self.retry.max_attempts {
                        break (reason, timed_out);
                    }
                    let wait = retry_after.unwrap_or_else(|| self.retry.backoff(attempts, SpanId::random().to_u64()));
                    if Instant::now() + wait >= deadline {
                        let why = match retry_after {
                            Some(after) => format!("{reason}; Retry-After {after:?} is past the export deadline"),
                            None => reason,
                        };
                        break (why, timed_out);
                    }
                    std::thread::sleep(wait);
                    self.retries += 1;
                }
            }
        };
        if last_timed_out {
            Err(ExportError::Timeout)
        } else {
            Err(ExportError::Failed(format!(
                "{last_reason} (gave up after {attempts} attempts in {:.1?})",
                start.elapsed()
            )))
        }
    }

    fn shutdown(&mut self) -> Result<(), ExportError> {
        self.shut_down = true;
        Ok(())
    }

    fn set_timeout(&mut self, timeout: Duration) {
        self.processor_timeout = Some(timeout);
    }

    /// Keeps the provider's resource, unless the builder gave one.
    fn set_resource(&mut self, resource: &Resource) {
        if !self.resource_from_builder {
            self.resource = ExportedResource::new(resource.clone());
        }
    }

    fn retries(&self) -> u64 {
        self.retries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service_name(exporter: &OtlpExporter) -> (&str, &str) {
        let pb = exporter
            .resource
            .proto
            .attributes
            .iter()
            .find(|kv| kv.key == "service.name")
            .and_then(|kv| kv.value.as_ref()?.value.as_ref());
        let pb = match pb {
            Some(opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue(s)) => s.as_str(),
            other => panic!("service.name is {other:?}"),
        };
        (exporter.resource.resource.service_name(), pb)
    }

    #[test]
    fn the_provider_resource_replaces_the_default_one() {
        let mut exporter = OtlpExporter::builder().build().unwrap();
        // The default resource's name comes from this test binary's file.
        let (kept, encoded) = service_name(&exporter);
        assert!(kept.starts_with("unknown_service:tracer_core"), "{kept}");
        assert_eq!(encoded, kept);
        exporter.set_resource(&Resource::builder().service_name("checkout").build());
        assert_eq!(service_name(&exporter), ("checkout", "checkout"));
    }

    #[test]
    fn the_builder_resource_wins_over_the_provider_one() {
        let mut exporter = OtlpExporter::builder()
            .resource(Resource::builder().service_name("from-builder").build())
            .build()
            .unwrap();
        exporter.set_resource(&Resource::builder().service_name("from-provider").build());
        assert_eq!(service_name(&exporter), ("from-builder", "from-builder"));
    }

    #[test]
    fn debug_hides_header_values() {
        let exporter = OtlpExporter::builder().header("api-key", "secret").build().unwrap();
        let text = format!("{exporter:?}");
        assert!(text.contains("\"api-key\"") && !text.contains("secret"), "{text}");
    }

    #[test]
    fn reports_each_problem_once() {
        let mut exporter = OtlpExporter::builder().build().unwrap();
        assert!(exporter.report_once(400, || "first 400".into()));
        assert!(!exporter.report_once(400, || "second 400".into()));
        assert!(exporter.report_once(413, || "first 413".into()));
    }
}
