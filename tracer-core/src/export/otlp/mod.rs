//! The OTLP exporter (feature `otlp`): sends spans to Jaeger, Grafana
//! Tempo, an OpenTelemetry Collector, Honeycomb, Datadog or anything else
//! that ingests OTLP over HTTP.
//!
//! - `POST {endpoint}/v1/traces`, as protobuf (`application/x-protobuf`,
//!   the default, encoded with the official `opentelemetry-proto` types) or
//!   as JSON (`application/json`, the OTLP JSON mapping).
//! - Optional gzip (`Content-Encoding: gzip`).
//! - Blocking HTTP through `ureq`: no async runtime. Use it behind a
//!   [`BatchSpanProcessor`](crate::processor::BatchSpanProcessor), whose
//!   thread does the waiting, never the application's.
//! - Retries on connection errors, timeouts and HTTP 429, 502, 503 and
//!   504, with exponential backoff, jitter and `Retry-After`, within the
//!   export's [`timeout`](OtlpExporterBuilder::timeout) (see
//!   [`RetryPolicy`]). Other 4xx and 5xx answers are not retried: the batch
//!   fails (the processor counts it), and the first answer with each status
//!   is reported once with the collector's reason. A partial success
//!   (`rejected_spans`) returns [`ExportError::PartialSuccess`], which the
//!   processor counts as rejected.
//! - gRPC is not implemented; collectors accept OTLP/HTTP on port 4318.
//!
//! Every span is exported under the provider's [`Resource`] (read from the
//! installed provider, unless [`OtlpExporterBuilder::resource`] gives one)
//! and one instrumentation scope: `tracer` and its version, or the scope
//! given to [`OtlpExporterBuilder::scope`]. Spans do not carry a scope of
//! their own, so a user scope applies to everything the exporter sends.
//!
//! ```no_run
//! use tracer_core::export::otlp::{OtlpCompression, OtlpExporter};
//! use tracer_core::TracerProvider;
//!
//! let exporter = OtlpExporter::builder()
//!     .endpoint("http://localhost:4318")
//!     .compression(OtlpCompression::Gzip)
//!     .build()
//!     .unwrap();
//! let _guard = TracerProvider::builder()
//!     .service_name("checkout")
//!     .with_batch_exporter(exporter)
//!     .install()
//!     .unwrap();
//! ```
//!
//! [`tracer_core::init_from_env`](crate::init_from_env) builds the same from
//! the `OTEL_EXPORTER_OTLP_*` variables.

mod encode;
mod retry;

pub use crate::env::{OtlpCompression, OtlpProtocol};
pub use retry::RetryPolicy;

use std::fmt;
use std::io::Write as _;
use std::time::{Duration, Instant, SystemTime};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message;

use super::{ExportError, SpanExporter};
use crate::env::{check_header, check_url};
use crate::model::Resource;
use crate::model::SpanData;
use crate::model::SpanId;
use crate::provider::TracerProvider;
use encode::Scope;

/// The default base endpoint: a collector on this machine.
pub const DEFAULT_ENDPOINT: &str = "http://localhost:4318";

/// The default time one export may take, retries included (10 s, as
/// `OTEL_EXPORTER_OTLP_TIMEOUT`'s default).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The most of a response body read (for partial success and error
/// reasons).
const MAX_RESPONSE_BODY: u64 = 64 * 1024;

/// An invalid [`OtlpExporterBuilder`] setting.
///
/// ```
/// use tracer_core::export::otlp::OtlpExporter;
///
/// let err = OtlpExporter::builder().endpoint("localhost:4318").build().unwrap_err();
/// assert!(err.to_string().contains("http://"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtlpConfigError(String);

impl fmt::Display for OtlpConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OtlpConfigError {}

/// The URL spans are posted to, from a base endpoint: `/v1/traces` is
/// appended (after any trailing `/`), as `OTEL_EXPORTER_OTLP_ENDPOINT`
/// specifies.
///
/// ```
/// use tracer_core::export::otlp::traces_url;
///
/// assert_eq!(traces_url("http://collector:4318"), "http://collector:4318/v1/traces");
/// assert_eq!(traces_url("https://otlp.example/otlp/"), "https://otlp.example/otlp/v1/traces");
/// ```
pub fn traces_url(base: &str) -> String {
    crate::env::traces_url(base)
}

/// Configures an [`OtlpExporter`].
///
/// ```
/// use std::time::Duration;
/// use tracer_core::export::otlp::{OtlpExporter, OtlpProtocol, RetryPolicy};
///
/// let exporter = OtlpExporter::builder()
///     .traces_endpoint("https://api.honeycomb.io/v1/traces")
///     .header("x-honeycomb-team", "YOUR_API_KEY")
///     .protocol(OtlpProtocol::HttpProtobuf)
///     .timeout(Duration::from_secs(5))
///     .retry(RetryPolicy::default().max_attempts(3))
///     .build()
///     .unwrap();
/// assert_eq!(exporter.url(), "https://api.honeycomb.io/v1/traces");
/// ```
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until `build`"]
pub struct OtlpExporterBuilder {
    url: String,
    protocol: OtlpProtocol,
    compression: OtlpCompression,
    headers: Vec<(String, String)>,
    timeout: Duration,
    retry: RetryPolicy,
    resource: Option<Resource>,
    scope: Option<(String, String)>,
}

impl Default for OtlpExporterBuilder {
    fn default() -> OtlpExporterBuilder {
        OtlpExporterBuilder {
            url: traces_url(DEFAULT_ENDPOINT),
            protocol: OtlpProtocol::default(),
            compression: OtlpCompression::default(),
            headers: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            resource: None,
            scope: None,
        }
    }
}

impl OtlpExporterBuilder {
    /// The collector's base URL; spans go to `{endpoint}/v1/traces`.
    /// Default `http://localhost:4318`.
    pub fn endpoint(mut self, endpoint: impl AsRef<str>) -> OtlpExporterBuilder {
        self.url = traces_url(endpoint.as_ref());
        self
    }

    /// The full URL to post spans to, used as given.
    pub fn traces_endpoint(mut self, url: impl Into<String>) -> OtlpExporterBuilder {
        self.url = url.into();
        self
    }

    /// Protobuf (the default) or JSON.
    pub fn protocol(mut self, protocol: OtlpProtocol) -> OtlpExporterBuilder {
        self.protocol = protocol;
        self
    }

    /// No compression (the default) or gzip.
    pub fn compression(mut self, compression: OtlpCompression) -> OtlpExporterBuilder {
        self.compression = compression;
        self
    }

    /// Adds a header sent with every request (an API key, a tenant id).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> OtlpExporterBuilder {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds headers.
    pub fn headers<K: Into<String>, V: Into<String>>(
        mut self,
        headers: impl IntoIterator<Item = (K, V)>,
    ) -> OtlpExporterBuilder {
        self.headers
            .extend(headers.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// The longest one export may take, retries and waits included
    /// (default 10 s). A [`BatchSpanProcessor`](crate::processor::BatchSpanProcessor)'s
    /// shorter export timeout also applies.
    pub fn timeout(mut self, timeout: Duration) -> OtlpExporterBuilder {
        self.timeout = timeout;
        self
    }

    /// How transient failures are retried.
    pub fn retry(mut self, policy: RetryPolicy) -> OtlpExporterBuilder {
        self.retry = policy;
        self
    }

    /// The resource to export spans under. By default it is the installed
    /// provider's ([`TracerProvider::resource`]), read at the first export
    /// after installation.
    pub fn resource(mut self, resource: Resource) -> OtlpExporterBuilder {
        self.resource = Some(resource);
        self
    }

    /// The instrumentation scope to export spans under, instead of
    /// `tracer` and its version. Spans carry no scope of their own, so it
    /// applies to every span this exporter sends.
    pub fn scope(mut self, name: impl Into<String>, version: impl Into<String>) -> OtlpExporterBuilder {
        self.scope = Some((name.into(), version.into()));
        self
    }

    /// The exporter, or what is wrong with the settings.
    pub fn build(self) -> Result<OtlpExporter, OtlpConfigError> {
        check_url(&self.url).map_err(|e| OtlpConfigError(format!("OTLP endpoint: {e}")))?;
        for (name, value) in &self.headers {
            check_header(name, value).map_err(|e| OtlpConfigError(format!("OTLP header: {e}")))?;
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("tracer/", env!("CARGO_PKG_VERSION")))
            .build();
        let (name, version) = self
            .scope
            .unwrap_or_else(|| ("tracer".to_owned(), env!("CARGO_PKG_VERSION").to_owned()));
        Ok(OtlpExporter {
            agent: config.into(),
            url: self.url,
            protocol: self.protocol,
            compression: self.compression,
            headers: self.headers,
            timeout: self.timeout,
            processor_timeout: None,
            retry: self.retry,
            resource: self.resource.map(|r| (encode::resource(&r), r)),
            scope: Scope { name, version },
            retries: 0,
            reported: Vec::new(),
            shut_down: false,
        })
    }
}

/// Sends spans to a collector over OTLP/HTTP. See the [module](self) docs.
///
/// ```
/// use tracer_core::export::otlp::OtlpExporter;
///
/// let exporter = OtlpExporter::builder().endpoint("http://collector:4318").build().unwrap();
/// assert_eq!(exporter.url(), "http://collector:4318/v1/traces");
/// ```
pub struct OtlpExporter {
    agent: ureq::Agent,
    url: String,
    protocol: OtlpProtocol,
    compression: OtlpCompression,
    headers: Vec<(String, String)>,
    timeout: Duration,
    processor_timeout: Option<Duration>,
    retry: RetryPolicy,
    /// The resource, as protobuf and as given; `None` until known.
    resource: Option<(opentelemetry_proto::tonic::resource::v1::Resource, Resource)>,
    scope: Scope,
    retries: u64,
    /// Problems already reported (HTTP statuses; 0 for partial success).
    reported: Vec<u16>,
    shut_down: bool,
}

/// What one HTTP attempt came to.
enum Attempt {
    Delivered {
        rejected: i64,
        message: String,
    },
    Retry {
        reason: String,
        retry_after: Option<Duration>,
        timed_out: bool,
    },
    Fatal {
        reason: String,
        status: Option<u16>,
    },
}

/// A `google.rpc.Status`, which OTLP/HTTP collectors may send with an
/// error status.
#[derive(Clone, PartialEq, Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

impl OtlpExporter {
    /// A builder, starting from the defaults: protobuf to
    /// `http://localhost:4318/v1/traces`, no compression, 10 s timeout.
    pub fn builder() -> OtlpExporterBuilder {
        OtlpExporterBuilder::default()
    }

    /// The URL spans are posted to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The protocol.
    pub fn protocol(&self) -> OtlpProtocol {
        self.protocol
    }

    /// The compression.
    pub fn compression(&self) -> OtlpCompression {
        self.compression
    }

    /// The extra headers sent with every request.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The longest one export may take, retries included.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The resource: the builder's, else the installed provider's (kept
    /// once known), else the default one.
    fn resource(&mut self) -> (opentelemetry_proto::tonic::resource::v1::Resource, Resource) {
        if let Some(known) = &self.resource {
            return known.clone();
        }
        match TracerProvider::global() {
            Some(provider) => {
                let resource = provider.resource().clone();
                let known = (encode::resource(&resource), resource);
                self.resource = Some(known.clone());
                known
            }
            None => {
                let resource = Resource::default();
                (encode::resource(&resource), resource)
            }
        }
    }

    fn body(&mut self, batch: &[SpanData]) -> Result<Vec<u8>, ExportError> {
        let (pb_resource, resource) = self.resource();
        let raw = match self.protocol {
            OtlpProtocol::HttpProtobuf => encode::protobuf(&pb_resource, &self.scope, batch),
            OtlpProtocol::HttpJson => encode::json(&resource, &self.scope, batch),
        };
        match self.compression {
            OtlpCompression::None => Ok(raw),
            OtlpCompression::Gzip => {
                let mut encoder = flate2::write::GzEncoder::new(
                    Vec::with_capacity(raw.len() / 4 + 64),
                    flate2::Compression::default(),
                );
                encoder.write_all(&raw)?;
                Ok(encoder.finish()?)
            }
        }
    }

    /// One POST, waiting at most `timeout`.
    fn attempt(&self, body: &[u8], timeout: Duration) -> Attempt {
        let content_type = match self.protocol {
            OtlpProtocol::HttpProtobuf => "application/x-protobuf",
            OtlpProtocol::HttpJson => "application/json",
        };
        let mut request = self
            .agent
            .post(&self.url)
            .config()
            .timeout_global(Some(timeout))
            .build()
            .header("content-type", content_type);
        if self.compression == OtlpCompression::Gzip {
            request = request.header("content-encoding", "gzip");
        }
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let mut response = match request.send(body) {
            Ok(response) => response,
            Err(error) => return classify_error(&error),
        };
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let retry_after = header("retry-after").and_then(|v| retry::parse_retry_after(&v, SystemTime::now()));
        let response_type = header("content-type").unwrap_or_default();
        let location = header("location");
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BODY)
            .read_to_vec()
            .unwrap_or_default();
        match status {
            200..=299 => {
                let (rejected, message) = partial_success(&response_type, &body);
                Attempt::Delivered { rejected, message }
            }
            429 | 502 | 503 | 504 => Attempt::Retry {
                reason: format!("HTTP {status}{}", error_reason(&response_type, &body)),
                retry_after,
                timed_out: false,
            },
            300..=399 => Attempt::Fatal {
                reason: format!(
                    "HTTP {status}: redirected to {}; set the endpoint to the final URL",
                    location.as_deref().unwrap_or("?")
                ),
                status: Some(status),
            },
            _ => Attempt::Fatal {
                reason: format!("HTTP {status}{}", error_reason(&response_type, &body)),
                status: Some(status),
            },
        }
    }

    /// Logs `message` the first time `key` comes up.
    fn report_once(&mut self, key: u16, message: impl FnOnce() -> String) -> bool {
        if self.reported.contains(&key) {
            return false;
        }
        self.reported.push(key);
        crate::diag::warn(&message());
        true
    }
}

impl fmt::Debug for OtlpExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values often hold API keys: names only.
        let header_names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("OtlpExporter")
            .field("url", &self.url)
            .field("protocol", &self.protocol)
            .field("compression", &self.compression)
            .field("headers", &header_names)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("scope", &self.scope)
            .finish()
    }
}

fn classify_error(error: &ureq::Error) -> Attempt {
    use ureq::Error as E;
    match error {
        E::Timeout(_) => Attempt::Retry {
            reason: format!("timed out: {error}"),
            retry_after: None,
            timed_out: true,
        },
        E::Io(_) | E::ConnectionFailed | E::HostNotFound | E::Protocol(_) | E::BodyStalled => Attempt::Retry {
            reason: format!("connection error: {error}"),
            retry_after: None,
            timed_out: false,
        },
        _ => Attempt::Fatal {
            reason: format!("request failed: {error}"),
            status: None,
        },
    }
}

/// `(rejected_spans, error_message)` from a success response.
fn partial_success(content_type: &str, body: &[u8]) -> (i64, String) {
    if body.is_empty() {
        return (0, String::new());
    }
    if content_type.contains("json") {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
            return (0, String::new());
        };
        let partial = &value["partialSuccess"];
        let rejected = match &partial["rejectedSpans"] {
            serde_json::Value::Number(n) => n.as_i64().unwrap_or(0),
            serde_json::Value::String(s) => s.parse().unwrap_or(0),
            _ => 0,
        };
        let message = partial["errorMessage"].as_str().unwrap_or("").to_owned();
        return (rejected, message);
    }
    match ExportTraceServiceResponse::decode(body) {
        Ok(response) => response
            .partial_success
            .map_or((0, String::new()), |p| (p.rejected_spans, p.error_message)),
        Err(_) => (0, String::new()),
    }
}

/// `": <the collector's message>"`, from a `google.rpc.Status` (protobuf
/// or JSON) or plain text; empty when there is none.
fn error_reason(content_type: &str, body: &[u8]) -> String {
    if body.is_empty() {
        return String::new();
    }
    let message = if content_type.contains("protobuf") {
        RpcStatus::decode(body).map(|s| s.message).unwrap_or_default()
    } else if content_type.contains("json") {
        serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned())
    } else {
        String::from_utf8_lossy(body).into_owned()
    };
    let message: String = message
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
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
        let body = self.body(batch)?;
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
            match self.attempt(&body, remaining) {
                Attempt::Delivered { rejected, message } => {
                    if rejected > 0 {
                        let url = self.url.clone();
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
                        let url = self.url.clone();
                        self.report_once(0, || format!("OTLP collector at {url} warned: {message}"));
                    }
                    return Ok(());
                }
                Attempt::Fatal { reason, status } => {
                    let url = self.url.clone();
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

    fn retries(&self) -> u64 {
        self.retries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_rejects_bad_settings() {
        assert!(OtlpExporter::builder().endpoint("collector:4318").build().is_err());
        assert!(OtlpExporter::builder().header("a:b", "v").build().is_err());
        let exporter = OtlpExporter::builder().build().unwrap();
        assert_eq!(exporter.url(), "http://localhost:4318/v1/traces");
        assert_eq!(exporter.timeout(), DEFAULT_TIMEOUT);
    }

    #[test]
    fn debug_hides_header_values() {
        let exporter = OtlpExporter::builder().header("api-key", "secret").build().unwrap();
        let text = format!("{exporter:?}");
        assert!(text.contains("api-key") && !text.contains("secret"), "{text}");
    }

    #[test]
    fn reports_each_problem_once() {
        let mut exporter = OtlpExporter::builder().build().unwrap();
        assert!(exporter.report_once(400, || "first 400".into()));
        assert!(!exporter.report_once(400, || "second 400".into()));
        assert!(exporter.report_once(413, || "first 413".into()));
    }

    #[test]
    fn partial_success_from_both_encodings() {
        let json = br#"{"partialSuccess":{"rejectedSpans":"3","errorMessage":"too old"}}"#;
        assert_eq!(partial_success("application/json", json), (3, "too old".to_owned()));
        let json = br#"{"partialSuccess":{"rejectedSpans":2}}"#;
        assert_eq!(
            partial_success("application/json; charset=utf-8", json),
            (2, String::new())
        );
        let pb = ExportTraceServiceResponse {
            partial_success: Some(
                opentelemetry_proto::tonic::collector::trace::v1::ExportTracePartialSuccess {
                    rejected_spans: 5,
                    error_message: "no".into(),
                },
            ),
        }
        .encode_to_vec();
        assert_eq!(partial_success("application/x-protobuf", &pb), (5, "no".to_owned()));
        assert_eq!(partial_success("application/x-protobuf", b""), (0, String::new()));
        assert_eq!(partial_success("application/json", b"{}"), (0, String::new()));
    }

    #[test]
    fn error_reasons() {
        let status = RpcStatus {
            code: 3,
            message: "invalid span id".into(),
        }
        .encode_to_vec();
        assert_eq!(error_reason("application/x-protobuf", &status), ": invalid span id");
        assert_eq!(
            error_reason("application/json", br#"{"code":3,"message":"bad"}"#),
            ": bad"
        );
        assert_eq!(error_reason("text/plain", b"nope\n"), ": nope");
        assert_eq!(error_reason("text/plain", b""), "");
    }
}
