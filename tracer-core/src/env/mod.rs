//! Configuration from the environment, following the OpenTelemetry SDK
//! environment variable specification.
//!
//! [`init_from_env`] reads the variables below, installs the provider and
//! returns the guard that flushes it at the end of `main`. An invalid value
//! is reported with a warning that names the variable, and the default is
//! used; nothing here panics. Empty values count as unset.
//!
//! | Variable | Values | Default |
//! | --- | --- | --- |
//! | `OTEL_SDK_DISABLED` | `true`, `false` | `false` |
//! | `OTEL_SERVICE_NAME` | the service name | `unknown_service:<exe>` |
//! | `OTEL_RESOURCE_ATTRIBUTES` | `key=value,key=value` (values percent-encoded) | |
//! | `OTEL_TRACES_EXPORTER` | `otlp`, `console`, `none` (a comma list) | `otlp` (`console` without the `otlp` feature) |
//! | `OTEL_EXPORTER_OTLP_ENDPOINT` | base URL; over HTTP `/v1/traces` is appended | `http://localhost:4318`; over gRPC `http://localhost:4317` |
//! | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` | full URL, used as given | |
//! | `OTEL_EXPORTER_OTLP_[TRACES_]HEADERS` | `name=value,...` (values percent-encoded) | |
//! | `OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT` | milliseconds per export, retries included | `10000` |
//! | `OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL` | `http/protobuf`, `http/json`, `grpc` (with the `otlp-grpc` feature) | `http/protobuf` |
//! | `OTEL_EXPORTER_OTLP_[TRACES_]COMPRESSION` | `gzip`, `none` | `none` |
//! | `OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE` | a PEM file of CA certificates to trust (instead of the web roots) | |
//! | `OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_CERTIFICATE`, `OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_KEY` | PEM files: the client certificate chain and its key, for mutual TLS | |
//! | `OTEL_TRACES_SAMPLER` | `always_on`, `always_off`, `traceidratio`, `parentbased_always_on`, `parentbased_always_off`, `parentbased_traceidratio` | `parentbased_always_on` |
//! | `OTEL_TRACES_SAMPLER_ARG` | the ratio, `0`..=`1` | `1.0` |
//! | `OTEL_PROPAGATORS` | `tracecontext`, `baggage`, `b3`, `b3multi`, `jaeger`, `xray`, `ottrace`, `none` | `tracecontext,baggage` |
//! | `OTEL_BSP_SCHEDULE_DELAY` | milliseconds | `5000` |
//! | `OTEL_BSP_EXPORT_TIMEOUT` | milliseconds | `30000` |
//! | `OTEL_BSP_MAX_QUEUE_SIZE` | spans | `2048` |
//! | `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` | spans, at most the queue size | `100` |
//! | `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`, `OTEL_SPAN_EVENT_COUNT_LIMIT`, `OTEL_SPAN_LINK_COUNT_LIMIT`, `OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT`, `OTEL_LINK_ATTRIBUTE_COUNT_LIMIT` (and `OTEL_ATTRIBUTE_COUNT_LIMIT`) | counts | `128` |
//! | `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT` (and `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`) | bytes | no limit |
//! | `TRACER_TAIL_SAMPLING_RATIO` | the fraction of other traces kept, `0`..=`1` | `0` |
//! | `TRACER_TAIL_SAMPLING_SLOWER_THAN_MS` | milliseconds: keep traces whose local root took this long | none |
//! | `TRACER_TAIL_SAMPLING_KEEP_ERRORS` | `true`, `false`: keep traces with a failed span | `true` |
//! | `TRACER_TAIL_SAMPLING_MAX_TRACES` | traces held waiting for their local root | `2048` |
//! | `TRACER_TAIL_SAMPLING_MAX_SPANS` | spans held | `16384` |
//! | `TRACER_TAIL_SAMPLING_LATE_SPAN_WINDOW_MS` | milliseconds a decision is remembered for late spans | `30000` |
//! | `TRACER_TAIL_SAMPLING_REMEMBERED_TRACES` | decisions remembered for late spans | `65536` |
//!
//! The `_TRACES_` variables win over the general ones. A certificate file
//! that is missing or malformed (or a client certificate without its key)
//! is reported when the provider is installed, naming the variable, and
//! the `otlp` exporter is then left out: spans are never sent without the
//! TLS asked for.
//!
//! The `otlp` exporter sits behind a
//! [`BatchSpanProcessor`](crate::processor::BatchSpanProcessor) configured by
//! `OTEL_BSP_*`; `console` behind a simple processor. When any
//! `TRACER_TAIL_SAMPLING_*` variable is set (tracer's own, not
//! OpenTelemetry's), each of those processors sits behind a
//! [`TailSamplingProcessor`](crate::processor::TailSamplingProcessor) with
//! these settings and the defaults for the others. `OTEL_PROPAGATORS`
//! sets the global propagator
//! ([`set_global_propagator`](crate::propagation::set_global_propagator)),
//! which [`inject_context`](crate::propagation::inject_context),
//! [`extract_context`](crate::propagation::extract_context) and the HTTP
//! layers use; [`propagators`] returns the choice. `b3`, `b3multi` and
//! `jaeger` need the `propagators` feature; `xray` and `ottrace` are not
//! implemented. Those left out are warned about when the provider is
//! installed.
//!
//! To test a configuration without touching the process environment, give
//! [`EnvConfig::from_lookup`] a closure:
//!
//! ```
//! use tracer_core::env::EnvConfig;
//! use tracer_core::export::otlp::OtlpProtocol;
//!
//! let vars = [("OTEL_SERVICE_NAME", "checkout"), ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")];
//! let config = EnvConfig::from_lookup(|name| {
//!     vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
//! });
//! assert_eq!(config.service_name.as_deref(), Some("checkout"));
//! assert_eq!(config.otlp.protocol, OtlpProtocol::HttpJson);
//! assert!(config.warnings.is_empty());
//! ```

// One way: `composite` and `parse` use `choice`, `tail` extends `parse`;
// `config` uses them all (it assembles, installs and records what they
// produce).
mod choice;
mod composite;
mod config;
mod parse;
mod tail;

pub use choice::{EnvFile, OtlpEnv, PropagatorChoice, SamplerChoice, TracesExporter};
pub use config::{EnvConfig, init_from_env, propagators};
