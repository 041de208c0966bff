//! The OTLP exporter: sends spans to Jaeger, Grafana Tempo, an
//! OpenTelemetry Collector, Honeycomb, Datadog or anything else that
//! ingests OTLP over HTTP or gRPC.
//!
//! The exporter (`OtlpExporter`, its builder, `RetryPolicy` and
//! `OtlpConfigError`) is available with the `otlp` feature. The settings
//! it shares with [`env`](crate::env) ([`OtlpProtocol`], [`OtlpCompression`],
//! [`traces_url`], [`signal_url`], [`default_endpoint`], [`DEFAULT_ENDPOINT`],
//! [`DEFAULT_GRPC_ENDPOINT`], [`DEFAULT_TIMEOUT`]) are always available.
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
//!   export's timeout (`OtlpExporterBuilder::timeout`; see
//!   `RetryPolicy`). Other 4xx and 5xx answers are not retried: the batch
//!   fails (the processor counts it), and the first answer with each status
//!   is reported once with the collector's reason. A partial success
//!   (`rejected_spans`) returns
//!   [`ExportError::PartialSuccess`](crate::export::ExportError::PartialSuccess), which the
//!   processor counts as rejected.
//!
//! Over gRPC ([`OtlpProtocol::Grpc`], with the `otlp-grpc` feature; default
//! endpoint `http://localhost:4317`, `https://` for TLS):
//!
//! - The `TraceService/Export` call through tonic, with the client that
//!   `opentelemetry-proto` generates; headers are sent as metadata, gzip
//!   as `grpc-encoding: gzip`, the export's remaining time as
//!   `grpc-timeout`.
//! - The client runs on a current-thread tokio runtime the exporter owns,
//!   driven only during an export on the processor's thread: a sync
//!   application needs no runtime, and an async one does not lend its own.
//! - The same deadline and `RetryPolicy` as HTTP. Retried, as the OTLP
//!   specification says: `UNAVAILABLE`, `CANCELLED`, `DEADLINE_EXCEEDED`,
//!   `ABORTED`, `OUT_OF_RANGE`, `DATA_LOSS`, and `RESOURCE_EXHAUSTED` only
//!   when the collector sends `google.rpc.RetryInfo`, whose delay is then
//!   waited instead of the backoff. Other codes fail the batch at once and
//!   are reported once per code. A partial success counts as rejected.
//!
//! TLS (`https://` endpoints, over HTTP and gRPC alike) verifies the
//! collector against the built-in web roots, or against the CA bundle given
//! to `OtlpExporterBuilder::ca_certificate_pem`
//! (`OTEL_EXPORTER_OTLP_CERTIFICATE`); `client_identity_pem` adds a client
//! certificate for mutual TLS (`OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE` and
//! `_CLIENT_KEY`). Malformed PEM, or certificates with an `http://`
//! endpoint, fail `build`. A certificate the collector or the exporter
//! refuses fails the batch without retrying (retrying would not change
//! it): the processor counts the spans as failed and the reason, with the
//! setting that fixes it, is logged once.
//!
//! Every span is exported under one [`Resource`](crate::Resource): the one
//! given to `OtlpExporterBuilder::resource`, else the one of the provider
//! the exporter is added to (handed over when the provider is built,
//! through [`SpanExporter::set_resource`](crate::export::SpanExporter::set_resource)),
//! else, for an exporter used on its own, the default resource. Spans go
//! under one instrumentation scope: `tracer` and its version, or the scope
//! given to `OtlpExporterBuilder::scope`. Spans do not carry a scope of
//! their own, so a user scope applies to everything the exporter sends.
//!
//! ```no_run
//! # #[cfg(feature = "otlp")] {
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
//! # }
//! ```
//!
//! Over gRPC:
//!
//! ```no_run
//! # #[cfg(feature = "otlp-grpc")] {
//! use tracer_core::export::otlp::{OtlpExporter, OtlpProtocol};
//!
//! let exporter = OtlpExporter::builder()
//!     .protocol(OtlpProtocol::Grpc)
//!     .endpoint("http://collector:4317")
//!     .build()
//!     .unwrap();
//! assert_eq!(exporter.url(), "http://collector:4317");
//! # }
//! ```
//!
//! [`tracer_core::init_from_env`](crate::init_from_env) builds the same from
//! the `OTEL_EXPORTER_OTLP_*` variables (`OTEL_EXPORTER_OTLP_PROTOCOL=grpc`).

// The defaults and rules `env` also uses are here, so that `env` depends
// on this module and not the other way round; the exporter itself needs
// the `otlp` feature's dependencies.
#[cfg(feature = "otlp")]
mod builder;
mod config;
#[cfg(feature = "otlp")]
mod encode;
#[cfg(feature = "otlp")]
mod exporter;
#[cfg(feature = "otlp-grpc")]
mod grpc;
#[cfg(feature = "otlp-grpc")]
mod grpc_status;
#[cfg(feature = "otlp")]
mod retry;
#[cfg(feature = "otlp")]
mod sender;
#[cfg(feature = "otlp")]
mod tls;
#[cfg(feature = "otlp")]
mod transport;

#[cfg(feature = "otlp")]
pub use builder::{OtlpConfigError, OtlpExporterBuilder};
pub use config::{
    DEFAULT_ENDPOINT, DEFAULT_GRPC_ENDPOINT, DEFAULT_TIMEOUT, OtlpCompression, OtlpProtocol, default_endpoint,
    signal_url, traces_url,
};
pub(crate) use config::{check_header, check_url};
#[cfg(feature = "otlp")]
pub use exporter::OtlpExporter;
#[cfg(feature = "otlp")]
pub use retry::RetryPolicy;
#[cfg(feature = "otlp")]
pub(crate) use tls::{certificates, private_key};
