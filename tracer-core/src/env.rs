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
//! | `OTEL_EXPORTER_OTLP_ENDPOINT` | base URL; `/v1/traces` is appended | `http://localhost:4318` |
//! | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` | full URL, used as given | |
//! | `OTEL_EXPORTER_OTLP_[TRACES_]HEADERS` | `name=value,...` (values percent-encoded) | |
//! | `OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT` | milliseconds per export, retries included | `10000` |
//! | `OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL` | `http/protobuf`, `http/json` (`grpc` is not supported) | `http/protobuf` |
//! | `OTEL_EXPORTER_OTLP_[TRACES_]COMPRESSION` | `gzip`, `none` | `none` |
//! | `OTEL_TRACES_SAMPLER` | `always_on`, `always_off`, `traceidratio`, `parentbased_always_on`, `parentbased_always_off`, `parentbased_traceidratio` | `parentbased_always_on` |
//! | `OTEL_TRACES_SAMPLER_ARG` | the ratio, `0`..=`1` | `1.0` |
//! | `OTEL_PROPAGATORS` | `tracecontext`, `baggage`, `b3`, `b3multi`, `jaeger`, `xray`, `ottrace`, `none` | `tracecontext,baggage` |
//! | `OTEL_BSP_SCHEDULE_DELAY` | milliseconds | `5000` |
//! | `OTEL_BSP_EXPORT_TIMEOUT` | milliseconds | `30000` |
//! | `OTEL_BSP_MAX_QUEUE_SIZE` | spans | `2048` |
//! | `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` | spans, at most the queue size | `100` |
//! | `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`, `OTEL_SPAN_EVENT_COUNT_LIMIT`, `OTEL_SPAN_LINK_COUNT_LIMIT`, `OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT`, `OTEL_LINK_ATTRIBUTE_COUNT_LIMIT` (and `OTEL_ATTRIBUTE_COUNT_LIMIT`) | counts | `128` |
//! | `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT` (and `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`) | bytes | no limit |
//!
//! The `otlp` exporter sits behind a
//! [`BatchSpanProcessor`](crate::processor::BatchSpanProcessor) configured by
//! `OTEL_BSP_*`; `console` behind a simple processor. `OTEL_PROPAGATORS`
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
//! use tracer_core::env::{EnvConfig, OtlpProtocol};
//!
//! let vars = [("OTEL_SERVICE_NAME", "checkout"), ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")];
//! let config = EnvConfig::from_lookup(|name| {
//!     vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
//! });
//! assert_eq!(config.service_name.as_deref(), Some("checkout"));
//! assert_eq!(config.otlp.protocol, OtlpProtocol::HttpJson);
//! assert!(config.warnings.is_empty());
//! ```

use std::fmt;
use std::sync::OnceLock;
use std::time::Duration;

use crate::diag;
use crate::export::ConsoleExporter;
use crate::install::ProviderGuard;
use crate::model::SpanLimits;
use crate::processor::BatchConfig;
use crate::propagation::{BaggagePropagator, CompositePropagator, TraceContextPropagator};
use crate::provider::{InstallError, ProviderBuilder, TracerProvider};
use crate::sampler::{AlwaysOff, AlwaysOn, ParentBased, TraceIdRatio};

/// The default OTLP/HTTP base endpoint: a collector on this machine.
pub const DEFAULT_OTLP_ENDPOINT: &str = "http://localhost:4318";

/// The default time one OTLP export may take, retries included.
pub const DEFAULT_OTLP_TIMEOUT: Duration = Duration::from_secs(10);

/// How OTLP/HTTP bodies are encoded.
///
/// ```
/// use tracer_core::env::OtlpProtocol;
///
/// assert_eq!(OtlpProtocol::default(), OtlpProtocol::HttpProtobuf);
/// assert_eq!(OtlpProtocol::HttpJson.to_string(), "http/json");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OtlpProtocol {
    /// `http/protobuf`: `application/x-protobuf` (the default).
    #[default]
    HttpProtobuf,
    /// `http/json`: `application/json`, the OTLP JSON mapping.
    HttpJson,
}

impl fmt::Display for OtlpProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OtlpProtocol::HttpProtobuf => "http/protobuf",
            OtlpProtocol::HttpJson => "http/json",
        })
    }
}

/// Whether OTLP request bodies are compressed.
///
/// ```
/// use tracer_core::env::OtlpCompression;
///
/// assert_eq!(OtlpCompression::default(), OtlpCompression::None);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OtlpCompression {
    /// Sent as is (the default).
    #[default]
    None,
    /// gzip, with `Content-Encoding: gzip`.
    Gzip,
}

/// An exporter named in `OTEL_TRACES_EXPORTER`.
///
/// ```
/// use tracer_core::env::{EnvConfig, TracesExporter};
///
/// let config = EnvConfig::from_lookup(|name| (name == "OTEL_TRACES_EXPORTER").then(|| "console".into()));
/// assert_eq!(config.exporters, [TracesExporter::Console]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TracesExporter {
    /// `otlp`: the OTLP/HTTP exporter behind a batch processor (feature
    /// `otlp`).
    Otlp,
    /// `console`: each trace printed as a tree on stdout.
    Console,
}

/// The sampler named by `OTEL_TRACES_SAMPLER` (and `_ARG`).
///
/// ```
/// use tracer_core::env::{EnvConfig, SamplerChoice};
///
/// let vars = [("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"), ("OTEL_TRACES_SAMPLER_ARG", "0.25")];
/// let config = EnvConfig::from_lookup(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| v.to_string()));
/// assert_eq!(config.sampler, SamplerChoice::ParentBasedTraceIdRatio(0.25));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub enum SamplerChoice {
    /// `always_on`.
    AlwaysOn,
    /// `always_off`.
    AlwaysOff,
    /// `traceidratio`, with the ratio.
    TraceIdRatio(f64),
    /// `parentbased_always_on` (the default).
    #[default]
    ParentBasedAlwaysOn,
    /// `parentbased_always_off`.
    ParentBasedAlwaysOff,
    /// `parentbased_traceidratio`, with the ratio.
    ParentBasedTraceIdRatio(f64),
}

impl SamplerChoice {
    /// Sets this sampler on a provider builder.
    ///
    /// ```
    /// use tracer_core::env::SamplerChoice;
    /// use tracer_core::TracerProvider;
    ///
    /// let builder = SamplerChoice::TraceIdRatio(0.1).apply(TracerProvider::builder());
    /// # drop(builder);
    /// ```
    pub fn apply(self, builder: ProviderBuilder) -> ProviderBuilder {
        match self {
            SamplerChoice::AlwaysOn => builder.sampler(AlwaysOn),
            SamplerChoice::AlwaysOff => builder.sampler(AlwaysOff),
            SamplerChoice::TraceIdRatio(ratio) => builder.sampler(TraceIdRatio::new(ratio)),
            SamplerChoice::ParentBasedAlwaysOn => builder.sampler(ParentBased::new(AlwaysOn)),
            SamplerChoice::ParentBasedAlwaysOff => builder.sampler(ParentBased::new(AlwaysOff)),
            SamplerChoice::ParentBasedTraceIdRatio(ratio) => {
                builder.sampler(ParentBased::new(TraceIdRatio::new(ratio)))
            }
        }
    }
}

/// A context propagation format named in `OTEL_PROPAGATORS`.
///
/// ```
/// use tracer_core::env::{EnvConfig, Propagator};
///
/// let config = EnvConfig::from_lookup(|_| None);
/// assert_eq!(config.propagators, [Propagator::TraceContext, Propagator::Baggage]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Propagator {
    /// `tracecontext`: W3C `traceparent` and `tracestate`.
    TraceContext,
    /// `baggage`: W3C `baggage`.
    Baggage,
    /// `b3`: B3 single header.
    B3,
    /// `b3multi`: B3 multiple headers.
    B3Multi,
    /// `jaeger`: `uber-trace-id`.
    Jaeger,
    /// `xray`: AWS X-Ray.
    XRay,
    /// `ottrace`: OpenTracing `ot-tracer-*`.
    OtTrace,
}

impl Propagator {
    /// The name used in `OTEL_PROPAGATORS`.
    ///
    /// ```
    /// assert_eq!(tracer_core::env::Propagator::B3Multi.name(), "b3multi");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Propagator::TraceContext => "tracecontext",
            Propagator::Baggage => "baggage",
            Propagator::B3 => "b3",
            Propagator::B3Multi => "b3multi",
            Propagator::Jaeger => "jaeger",
            Propagator::XRay => "xray",
            Propagator::OtTrace => "ottrace",
        }
    }
}

/// The OTLP exporter settings from `OTEL_EXPORTER_OTLP_*`.
///
/// ```
/// use tracer_core::env::EnvConfig;
///
/// let config = EnvConfig::from_lookup(|n| (n == "OTEL_EXPORTER_OTLP_ENDPOINT").then(|| "http://collector:4318".into()));
/// assert_eq!(config.otlp.url, "http://collector:4318/v1/traces");
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct OtlpEnv {
    /// The full URL spans are posted to.
    pub url: String,
    /// Extra request headers.
    pub headers: Vec<(String, String)>,
    /// The longest one export may take, retries included.
    pub timeout: Duration,
    /// Protobuf or JSON.
    pub protocol: OtlpProtocol,
    /// gzip or none.
    pub compression: OtlpCompression,
}

impl Default for OtlpEnv {
    fn default() -> OtlpEnv {
        OtlpEnv {
            url: traces_url(DEFAULT_OTLP_ENDPOINT),
            headers: Vec::new(),
            timeout: DEFAULT_OTLP_TIMEOUT,
            protocol: OtlpProtocol::default(),
            compression: OtlpCompression::default(),
        }
    }
}

#[cfg(feature = "otlp")]
impl OtlpEnv {
    /// An OTLP exporter with these settings.
    ///
    /// ```
    /// use tracer_core::env::EnvConfig;
    ///
    /// let exporter = EnvConfig::from_lookup(|_| None).otlp.exporter().unwrap();
    /// assert_eq!(exporter.url(), "http://localhost:4318/v1/traces");
    /// ```
    pub fn exporter(&self) -> Result<crate::export::otlp::OtlpExporter, crate::export::otlp::OtlpConfigError> {
        crate::export::otlp::OtlpExporter::builder()
            .traces_endpoint(self.url.clone())
            .headers(self.headers.iter().cloned())
            .timeout(self.timeout)
            .protocol(self.protocol)
            .compression(self.compression)
            .build()
    }
}

/// Everything the environment says, parsed and checked.
///
/// ```
/// use tracer_core::env::EnvConfig;
///
/// let config = EnvConfig::from_lookup(|n| (n == "OTEL_BSP_MAX_QUEUE_SIZE").then(|| "lots".into()));
/// assert_eq!(config.batch.max_queue_size, 2048);
/// assert!(config.warnings[0].contains("OTEL_BSP_MAX_QUEUE_SIZE"));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct EnvConfig {
    /// `OTEL_SDK_DISABLED`: install nothing.
    pub sdk_disabled: bool,
    /// `OTEL_SERVICE_NAME`.
    pub service_name: Option<String>,
    /// `OTEL_RESOURCE_ATTRIBUTES`, in order.
    pub resource_attributes: Vec<(String, String)>,
    /// `OTEL_TRACES_EXPORTER`; empty for `none`.
    pub exporters: Vec<TracesExporter>,
    /// `OTEL_EXPORTER_OTLP_*`.
    pub otlp: OtlpEnv,
    /// `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`.
    pub sampler: SamplerChoice,
    /// `OTEL_PROPAGATORS`; empty for `none`.
    pub propagators: Vec<Propagator>,
    /// `OTEL_BSP_*`.
    pub batch: BatchConfig,
    /// `OTEL_SPAN_*_COUNT_LIMIT` and friends.
    pub span_limits: SpanLimits,
    /// One line per invalid value, each naming its variable.
    pub warnings: Vec<String>,
}

impl EnvConfig {
    /// Reads the process environment. Warnings are kept in
    /// [`warnings`](Self::warnings), not printed; [`init_from_env`] and
    /// [`install`](Self::install) print them.
    ///
    /// ```
    /// let config = tracer_core::env::EnvConfig::from_env();
    /// # let _ = config;
    /// ```
    pub fn from_env() -> EnvConfig {
        EnvConfig::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup` (a name in, the value out), for
    /// tests and for configuration kept elsewhere.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> EnvConfig {
        Parser {
            lookup: &lookup,
            warnings: Vec::new(),
        }
        .parse()
    }

    /// Prints the warnings, then installs the provider described: sampler,
    /// limits, resource and exporters. With `OTEL_SDK_DISABLED=true` it
    /// installs nothing and returns a guard that does nothing. Either way it
    /// sets the global propagator from `OTEL_PROPAGATORS` when that differs
    /// from the default (`tracecontext,baggage`, already the global one),
    /// and records the choice for [`propagators`].
    ///
    /// ```no_run
    /// let guard = tracer_core::env::EnvConfig::from_env().install().expect("first install");
    /// # drop(guard);
    /// ```
    pub fn install(self) -> Result<ProviderGuard, InstallError> {
        for warning in &self.warnings {
            diag::warn(warning);
        }
        let _ = PROPAGATORS.set(self.propagators.clone());
        // The default choice is the default global propagator: leave it, so
        // that one the application set before stays.
        if self.propagators != default_propagators() {
            let (propagator, skipped) = composite_of(&self.propagators);
            for warning in &skipped {
                diag::warn(warning);
            }
            crate::propagation::set_global_propagator(propagator);
        }
        if self.sdk_disabled {
            return Ok(ProviderGuard::inert());
        }
        self.provider_builder().install()
    }

    /// The provider builder this configuration describes, to add to before
    /// installing. Warnings are not printed.
    ///
    /// ```
    /// use tracer_core::env::EnvConfig;
    /// use tracer_core::export::InMemoryExporter;
    ///
    /// let builder = EnvConfig::from_lookup(|_| None)
    ///     .provider_builder()
    ///     .with_simple_exporter(InMemoryExporter::new());
    /// # drop(builder);
    /// ```
    pub fn provider_builder(&self) -> ProviderBuilder {
        let mut builder = self
            .sampler
            .apply(TracerProvider::builder())
            .span_limits(self.span_limits);
        for (key, value) in &self.resource_attributes {
            builder = builder.resource_attribute(key.clone(), value.clone());
        }
        if let Some(name) = &self.service_name {
            builder = builder.service_name(name.clone());
        }
        for exporter in &self.exporters {
            builder = match exporter {
                TracesExporter::Console => builder.with_simple_exporter(ConsoleExporter::new()),
                TracesExporter::Otlp => self.with_otlp(builder),
            };
        }
        builder
    }

    #[cfg(feature = "otlp")]
    fn with_otlp(&self, builder: ProviderBuilder) -> ProviderBuilder {
        match self.otlp.exporter() {
            Ok(exporter) => builder.with_processor(crate::processor::BatchSpanProcessor::new(exporter, self.batch)),
            Err(e) => {
                diag::warn(&format!("OTEL_TRACES_EXPORTER=otlp: {e}; spans are not exported"));
                builder
            }
        }
    }

    #[cfg(not(feature = "otlp"))]
    fn with_otlp(&self, builder: ProviderBuilder) -> ProviderBuilder {
        // Parsing already turned `otlp` into `console` with a warning.
        builder
    }
}

static PROPAGATORS: OnceLock<Vec<Propagator>> = OnceLock::new();

/// `tracecontext,baggage`: the specification's default, and the default
/// global propagator ([`CompositePropagator::w3c`]).
fn default_propagators() -> Vec<Propagator> {
    vec![Propagator::TraceContext, Propagator::Baggage]
}

/// The global propagator for `chosen`, in its order, and a warning for each
/// choice tracer cannot honour (left out): `xray` and `ottrace`, and `b3`,
/// `b3multi` and `jaeger` without the `propagators` feature.
fn composite_of(chosen: &[Propagator]) -> (CompositePropagator, Vec<String>) {
    let mut composite = CompositePropagator::new();
    let mut skipped = Vec::new();
    for propagator in chosen {
        composite = match propagator {
            Propagator::TraceContext => composite.with(TraceContextPropagator),
            Propagator::Baggage => composite.with(BaggagePropagator),
            #[cfg(feature = "propagators")]
            Propagator::B3 => composite.with(crate::propagation::B3Propagator::single()),
            #[cfg(feature = "propagators")]
            Propagator::B3Multi => composite.with(crate::propagation::B3Propagator::multi()),
            #[cfg(feature = "propagators")]
            Propagator::Jaeger => composite.with(crate::propagation::JaegerPropagator),
            #[cfg(not(feature = "propagators"))]
            Propagator::B3 | Propagator::B3Multi | Propagator::Jaeger => {
                skipped.push(format!(
                    "OTEL_PROPAGATORS: {} needs tracer's `propagators` feature; ignored",
                    propagator.name()
                ));
                composite
            }
            Propagator::XRay | Propagator::OtTrace => {
                skipped.push(format!(
                    "OTEL_PROPAGATORS: {} is not implemented by tracer; ignored",
                    propagator.name()
                ));
                composite
            }
        };
    }
    (composite, skipped)
}

/// The propagators to use: those recorded by [`init_from_env`] (or
/// [`EnvConfig::install`]), else `OTEL_PROPAGATORS` read now, else the
/// default `tracecontext,baggage`.
///
/// ```
/// use tracer_core::env::{propagators, Propagator};
///
/// let chosen = propagators();
/// # let _ = chosen.contains(&Propagator::TraceContext);
/// ```
pub fn propagators() -> Vec<Propagator> {
    if let Some(stored) = PROPAGATORS.get() {
        return stored.clone();
    }
    let mut parser = Parser {
        lookup: &|name: &str| std::env::var(name).ok(),
        warnings: Vec::new(),
    };
    parser.propagators()
}

/// Configures tracing from the `OTEL_*` environment variables (see the
/// [module](self) docs), installs the provider and returns a guard that
/// flushes and shuts down at the end of `main`. Invalid values are reported
/// with a warning naming the variable, and their defaults used. If a
/// provider is already installed, says so and returns a guard that does
/// nothing.
///
/// ```no_run
/// // OTEL_SERVICE_NAME=checkout OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318
/// let _tracer = tracer_core::init_from_env();
/// // ... spans; the guard flushes when dropped at the end of `main` ...
/// ```
pub fn init_from_env() -> ProviderGuard {
    match EnvConfig::from_env().install() {
        Ok(guard) => guard,
        Err(e) => {
            diag::warn(&format!("init_from_env: {e}"));
            ProviderGuard::inert()
        }
    }
}

/// The URL spans are posted to, from a base endpoint.
pub(crate) fn traces_url(base: &str) -> String {
    format!("{}/v1/traces", base.trim_end_matches('/'))
}

/// Checks that `url` is an absolute `http://` or `https://` URL with a
/// host.
pub(crate) fn check_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| format!("{url:?} is not an http:// or https:// URL"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') {
        return Err(format!("{url:?} has no host"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{url:?} contains whitespace"));
    }
    Ok(())
}

/// Checks an HTTP header name (an RFC 9110 token) and value (no control
/// characters).
pub(crate) fn check_header(name: &str, value: &str) -> Result<(), String> {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(token) {
        return Err(format!("{name:?} is not a valid header name"));
    }
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(format!("the value of header {name:?} contains control characters"));
    }
    Ok(())
}

/// Decodes `%XX` escapes (the W3C baggage octet encoding the spec uses for
/// `OTEL_RESOURCE_ATTRIBUTES` and `_HEADERS` values).
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

struct Parser<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    warnings: Vec<String>,
}

impl Parser<'_> {
    /// The trimmed value; empty counts as unset.
    fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn warn(&mut self, name: &str, value: &str, problem: &str, fallback: impl fmt::Display) {
        self.warnings
            .push(format!("{name}={value:?} {problem}; using {fallback}"));
    }

    /// The first of `names` that is set, with its name.
    fn first(&self, names: &[&'static str]) -> Option<(&'static str, String)> {
        names.iter().find_map(|&n| self.get(n).map(|v| (n, v)))
    }

    fn bool(&mut self, name: &str) -> bool {
        match self.get(name) {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(v) => {
                self.warn(name, &v, "is not true or false", "false");
                false
            }
        }
    }

    /// An integer of at least `min` from the first set variable of `names`.
    fn count(&mut self, names: &[&'static str], min: u64, default: u64) -> u64 {
        let Some((name, v)) = self.first(names) else {
            return default;
        };
        match v.parse::<u64>() {
            Ok(n) if n >= min => n,
            _ => {
                let what = if min == 0 {
                    "is not a non-negative integer"
                } else {
                    "is not a positive integer"
                };
                self.warn(name, &v, what, default);
                default
            }
        }
    }

    fn u32_count(&mut self, names: &[&'static str], default: u32) -> u32 {
        let n = self.count(names, 0, u64::from(default));
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    fn millis(&mut self, names: &[&'static str], default: Duration) -> Duration {
        let Some((name, v)) = self.first(names) else {
            return default;
        };
        match v.parse::<u64>() {
            Ok(ms) if ms > 0 => Duration::from_millis(ms),
            _ => {
                self.warn(
                    name,
                    &v,
                    "is not a positive number of milliseconds",
                    format_args!("{}", default.as_millis()),
                );
                default
            }
        }
    }

    /// `key=value,key=value` with percent-encoded values.
    fn pairs(&mut self, name: &str, all_or_nothing: bool) -> Vec<(String, String)> {
        let Some(v) = self.get(name) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let parsed = item.split_once('=').and_then(|(k, val)| {
                let key = k.trim();
                let value = percent_decode(val.trim())?;
                (!key.is_empty()).then(|| (key.to_owned(), value))
            });
            match parsed {
                Some(pair) => {
                    out.retain(|(k, _): &(String, String)| *k != pair.0);
                    out.push(pair);
                }
                None if all_or_nothing => {
                    self.warn(
                        name,
                        &v,
                        &format!("has an invalid entry {item:?} (want key=value, percent-encoded)"),
                        "none of it",
                    );
                    return Vec::new();
                }
                None => {
                    self.warnings.push(format!(
                        "{name}: skipping invalid entry {item:?} (want name=value, percent-encoded)"
                    ));
                }
            }
        }
        out
    }

    fn parse(mut self) -> EnvConfig {
        let sdk_disabled = self.bool("OTEL_SDK_DISABLED");
        let service_name = self.get("OTEL_SERVICE_NAME");
        let resource_attributes = self.pairs("OTEL_RESOURCE_ATTRIBUTES", true);
        let exporters = self.exporters();
        let otlp = self.otlp();
        let sampler = self.sampler();
        let propagators = self.propagators();
        let batch = self.batch();
        let span_limits = self.span_limits();
        EnvConfig {
            sdk_disabled,
            service_name,
            resource_attributes,
            exporters,
            otlp,
            sampler,
            propagators,
            batch,
            span_limits,
            warnings: self.warnings,
        }
    }

    fn exporters(&mut self) -> Vec<TracesExporter> {
        const NAME: &str = "OTEL_TRACES_EXPORTER";
        let default = if cfg!(feature = "otlp") {
            TracesExporter::Otlp
        } else {
            TracesExporter::Console
        };
        let Some(v) = self.get(NAME) else {
            return vec![default];
        };
        let before = self.warnings.len();
        let mut out = Vec::new();
        let mut none = false;
        let mut valid = 0;
        for item in v
            .split(',')
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
        {
            let exporter = match item.as_str() {
                "none" => {
                    none = true;
                    valid += 1;
                    continue;
                }
                "otlp" if cfg!(feature = "otlp") => TracesExporter::Otlp,
                "otlp" => {
                    self.warnings.push(format!(
                        "{NAME}=otlp needs tracer's `otlp` feature, which this build lacks; using console"
                    ));
                    TracesExporter::Console
                }
                "console" | "logging" => TracesExporter::Console,
                other => {
                    self.warnings.push(format!(
                        "{NAME}: unsupported exporter {other:?} ignored (supported: otlp, console, none)"
                    ));
                    continue;
                }
            };
            valid += 1;
            if !out.contains(&exporter) {
                out.push(exporter);
            }
        }
        if valid == 0 {
            // One warning for the whole value.
            self.warnings.truncate(before);
            let fallback = if default == TracesExporter::Otlp {
                "otlp"
            } else {
                "console"
            };
            self.warn(NAME, &v, "names no supported exporter", fallback);
            return vec![default];
        }
        if none && !out.is_empty() {
            self.warnings.push(format!(
                "{NAME}={v:?} combines \"none\" with exporters; \"none\" is ignored"
            ));
        }
        out
    }

    fn otlp(&mut self) -> OtlpEnv {
        let defaults = OtlpEnv::default();
        let url = match self.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
            Some(v) => match check_url(&v) {
                Ok(()) => Some(v),
                Err(e) => {
                    self.warnings
                        .push(format!("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: {e}; ignoring it"));
                    None
                }
            },
            None => None,
        };
        let url = url.unwrap_or_else(|| match self.get("OTEL_EXPORTER_OTLP_ENDPOINT") {
            Some(v) => match check_url(&v) {
                Ok(()) => traces_url(&v),
                Err(e) => {
                    self.warnings.push(format!(
                        "OTEL_EXPORTER_OTLP_ENDPOINT: {e}; using {DEFAULT_OTLP_ENDPOINT}"
                    ));
                    defaults.url.clone()
                }
            },
            None => defaults.url.clone(),
        });
        let mut headers = Vec::new();
        for name in ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"] {
            for (key, value) in self.pairs(name, false) {
                if let Err(e) = check_header(&key, &value) {
                    self.warnings.push(format!("{name}: {e}; skipping it"));
                    continue;
                }
                // The traces-specific variable wins for the same header.
                headers.retain(|(k, _): &(String, String)| !k.eq_ignore_ascii_case(&key));
                headers.push((key, value));
            }
        }
        let timeout = self.millis(
            &["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"],
            defaults.timeout,
        );
        let protocol = match self.first(&["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"]) {
            None => defaults.protocol,
            Some((_, v)) if v == "http/protobuf" => OtlpProtocol::HttpProtobuf,
            Some((_, v)) if v == "http/json" => OtlpProtocol::HttpJson,
            Some((name, v)) if v == "grpc" => {
                self.warnings.push(format!(
                    "{name}=grpc is not supported by tracer (OTLP/HTTP only); using http/protobuf: point the endpoint at the collector's OTLP/HTTP port (usually 4318)"
                ));
                OtlpProtocol::HttpProtobuf
            }
            Some((name, v)) => {
                self.warn(name, &v, "is not http/protobuf, http/json or grpc", "http/protobuf");
                OtlpProtocol::HttpProtobuf
            }
        };
        let compression = match self.first(&[
            "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
            "OTEL_EXPORTER_OTLP_COMPRESSION",
        ]) {
            None => defaults.compression,
            Some((_, v)) if v.eq_ignore_ascii_case("gzip") => OtlpCompression::Gzip,
            Some((_, v)) if v.eq_ignore_ascii_case("none") => OtlpCompression::None,
            Some((name, v)) => {
                self.warn(name, &v, "is not gzip or none", "none");
                OtlpCompression::None
            }
        };
        OtlpEnv {
            url,
            headers,
            timeout,
            protocol,
            compression,
        }
    }

    fn sampler(&mut self) -> SamplerChoice {
        const NAME: &str = "OTEL_TRACES_SAMPLER";
        const ARG: &str = "OTEL_TRACES_SAMPLER_ARG";
        let Some(v) = self.get(NAME) else {
            return SamplerChoice::default();
        };
        let ratio = |parser: &mut Parser<'_>| match parser.get(ARG) {
            None => 1.0,
            Some(arg) => match arg.parse::<f64>() {
                Ok(r) if (0.0..=1.0).contains(&r) => r,
                _ => {
                    parser.warn(ARG, &arg, "is not a ratio between 0 and 1", "1.0");
                    1.0
                }
            },
        };
        match v.to_ascii_lowercase().as_str() {
            "always_on" => SamplerChoice::AlwaysOn,
            "always_off" => SamplerChoice::AlwaysOff,
            "traceidratio" => SamplerChoice::TraceIdRatio(ratio(self)),
            "parentbased_always_on" => SamplerChoice::ParentBasedAlwaysOn,
            "parentbased_always_off" => SamplerChoice::ParentBasedAlwaysOff,
            "parentbased_traceidratio" => SamplerChoice::ParentBasedTraceIdRatio(ratio(self)),
            _ => {
                self.warn(NAME, &v, "is not a supported sampler (always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio)", "parentbased_always_on");
                SamplerChoice::default()
            }
        }
    }

    fn propagators(&mut self) -> Vec<Propagator> {
        const NAME: &str = "OTEL_PROPAGATORS";
        let default = default_propagators();
        let Some(v) = self.get(NAME) else {
            return default;
        };
        let before = self.warnings.len();
        let mut out = Vec::new();
        let mut valid = 0;
        for item in v
            .split(',')
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
        {
            let propagator = match item.as_str() {
                "none" => {
                    valid += 1;
                    continue;
                }
                "tracecontext" => Propagator::TraceContext,
                "baggage" => Propagator::Baggage,
                "b3" => Propagator::B3,
                "b3multi" => Propagator::B3Multi,
                "jaeger" => Propagator::Jaeger,
                "xray" => Propagator::XRay,
                "ottrace" => Propagator::OtTrace,
                other => {
                    self.warnings
                        .push(format!("{NAME}: unknown propagator {other:?} ignored"));
                    continue;
                }
            };
            valid += 1;
            if !out.contains(&propagator) {
                out.push(propagator);
            }
        }
        if valid == 0 {
            self.warnings.truncate(before);
            self.warn(NAME, &v, "names no known propagator", "tracecontext,baggage");
            return default;
        }
        out
    }

    fn batch(&mut self) -> BatchConfig {
        let d = BatchConfig::default();
        let queue = self.count(&["OTEL_BSP_MAX_QUEUE_SIZE"], 1, d.max_queue_size as u64) as usize;
        let mut batch = self.count(&["OTEL_BSP_MAX_EXPORT_BATCH_SIZE"], 1, d.max_batch_size as u64) as usize;
        if batch > queue {
            self.warnings.push(format!(
                "OTEL_BSP_MAX_EXPORT_BATCH_SIZE={batch} is larger than OTEL_BSP_MAX_QUEUE_SIZE={queue}; using {queue}"
            ));
            batch = queue;
        }
        let delay = self.millis(&["OTEL_BSP_SCHEDULE_DELAY"], d.export_interval);
        let timeout = self.millis(&["OTEL_BSP_EXPORT_TIMEOUT"], d.export_timeout);
        d.max_queue_size(queue)
            .max_batch_size(batch)
            .export_interval(delay)
            .export_timeout(timeout)
    }

    fn span_limits(&mut self) -> SpanLimits {
        let d = SpanLimits::default();
        let max_attributes = self.u32_count(
            &["OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT"],
            d.max_attributes,
        );
        let max_events = self.u32_count(&["OTEL_SPAN_EVENT_COUNT_LIMIT"], d.max_events);
        let max_links = self.u32_count(&["OTEL_SPAN_LINK_COUNT_LIMIT"], d.max_links);
        let max_attributes_per_event = self.u32_count(
            &["OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT"],
            d.max_attributes_per_event,
        );
        let max_attributes_per_link = self.u32_count(
            &["OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT"],
            d.max_attributes_per_link,
        );
        let length_vars = [
            "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
            "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
        ];
        let max_attribute_value_length = match self.first(&length_vars) {
            None => d.max_attribute_value_length,
            Some((name, v)) => match v.parse::<usize>() {
                Ok(n) => Some(n),
                Err(_) => {
                    self.warn(name, &v, "is not a non-negative integer", "no limit");
                    d.max_attribute_value_length
                }
            },
        };
        SpanLimits {
            max_attributes,
            max_events,
            max_links,
            max_attributes_per_event,
            max_attributes_per_link,
            max_attribute_value_length,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(vars: &[(&str, &str)]) -> EnvConfig {
        EnvConfig::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned()))
    }

    /// Each case: the variables, a check on the result, and the variable
    /// the one expected warning must name (`None`: no warning).
    type Case = (
        &'static [(&'static str, &'static str)],
        fn(&EnvConfig) -> bool,
        Option<&'static str>,
    );

    const CASES: &[Case] = &[
        // Defaults.
        (&[], |c| *c == parse(&[]) && c.warnings.is_empty(), None),
        (
            &[],
            |c| !c.sdk_disabled && c.service_name.is_none() && c.resource_attributes.is_empty(),
            None,
        ),
        (&[], |c| c.sampler == SamplerChoice::ParentBasedAlwaysOn, None),
        (
            &[],
            |c| c.batch == BatchConfig::default() && c.span_limits == SpanLimits::default(),
            None,
        ),
        (
            &[],
            |c| c.otlp == OtlpEnv::default() && c.otlp.url == "http://localhost:4318/v1/traces",
            None,
        ),
        (
            &[],
            |c| c.propagators == [Propagator::TraceContext, Propagator::Baggage],
            None,
        ),
        // OTEL_SDK_DISABLED.
        (&[("OTEL_SDK_DISABLED", "true")], |c| c.sdk_disabled, None),
        (&[("OTEL_SDK_DISABLED", "TRUE")], |c| c.sdk_disabled, None),
        (&[("OTEL_SDK_DISABLED", "false")], |c| !c.sdk_disabled, None),
        (&[("OTEL_SDK_DISABLED", "")], |c| !c.sdk_disabled, None),
        (
            &[("OTEL_SDK_DISABLED", "yes")],
            |c| !c.sdk_disabled,
            Some("OTEL_SDK_DISABLED"),
        ),
        // Service name and resource attributes.
        (
            &[("OTEL_SERVICE_NAME", " checkout ")],
            |c| c.service_name.as_deref() == Some("checkout"),
            None,
        ),
        (&[("OTEL_SERVICE_NAME", "")], |c| c.service_name.is_none(), None),
        (
            &[(
                "OTEL_RESOURCE_ATTRIBUTES",
                "service.version=1.2.3, deployment.environment=prod,team=a%20b%2Cc",
            )],
            |c| {
                c.resource_attributes
                    == [
                        ("service.version".to_owned(), "1.2.3".to_owned()),
                        ("deployment.environment".to_owned(), "prod".to_owned()),
                        ("team".to_owned(), "a b,c".to_owned()),
                    ]
            },
            None,
        ),
        (
            &[("OTEL_RESOURCE_ATTRIBUTES", "a=1,a=2")],
            |c| c.resource_attributes == [("a".to_owned(), "2".to_owned())],
            None,
        ),
        (
            &[("OTEL_RESOURCE_ATTRIBUTES", "a=1,broken")],
            |c| c.resource_attributes.is_empty(),
            Some("OTEL_RESOURCE_ATTRIBUTES"),
        ),
        (
            &[("OTEL_RESOURCE_ATTRIBUTES", "a=%zz")],
            |c| c.resource_attributes.is_empty(),
            Some("OTEL_RESOURCE_ATTRIBUTES"),
        ),
        (
            &[("OTEL_RESOURCE_ATTRIBUTES", "=1")],
            |c| c.resource_attributes.is_empty(),
            Some("OTEL_RESOURCE_ATTRIBUTES"),
        ),
        // OTEL_TRACES_EXPORTER.
        (
            &[("OTEL_TRACES_EXPORTER", "console")],
            |c| c.exporters == [TracesExporter::Console],
            None,
        ),
        (
            &[("OTEL_TRACES_EXPORTER", "logging")],
            |c| c.exporters == [TracesExporter::Console],
            None,
        ),
        (&[("OTEL_TRACES_EXPORTER", "none")], |c| c.exporters.is_empty(), None),
        (&[("OTEL_TRACES_EXPORTER", "None")], |c| c.exporters.is_empty(), None),
        (
            &[("OTEL_TRACES_EXPORTER", "console,zipkin")],
            |c| c.exporters == [TracesExporter::Console],
            Some("OTEL_TRACES_EXPORTER"),
        ),
        (
            &[("OTEL_TRACES_EXPORTER", "zipkin")],
            |c| c.exporters.len() == 1,
            Some("OTEL_TRACES_EXPORTER"),
        ),
        (
            &[("OTEL_TRACES_EXPORTER", "none,console")],
            |c| c.exporters == [TracesExporter::Console],
            Some("OTEL_TRACES_EXPORTER"),
        ),
        // Endpoints.
        (
            &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")],
            |c| c.otlp.url == "http://collector:4318/v1/traces",
            None,
        ),
        (
            &[("OTEL_EXPORTER_OTLP_ENDPOINT", "https://otlp.example/base")],
            |c| c.otlp.url == "https://otlp.example/base/v1/traces",
            None,
        ),
        (
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
                ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://tempo:4318/custom/path"),
            ],
            |c| c.otlp.url == "http://tempo:4318/custom/path",
            None,
        ),
        (
            &[("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")],
            |c| c.otlp.url == "http://localhost:4318/v1/traces",
            Some("OTEL_EXPORTER_OTLP_ENDPOINT"),
        ),
        (
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
                ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "tempo"),
            ],
            |c| c.otlp.url == "http://collector:4318/v1/traces",
            Some("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
        ),
        // Headers.
        (
            &[("OTEL_EXPORTER_OTLP_HEADERS", "x-honeycomb-team=abc%3D%3D,x-tenant = t1")],
            |c| {
                c.otlp.headers
                    == [
                        ("x-honeycomb-team".to_owned(), "abc==".to_owned()),
                        ("x-tenant".to_owned(), "t1".to_owned()),
                    ]
            },
            None,
        ),
        (
            &[
                ("OTEL_EXPORTER_OTLP_HEADERS", "a=1,b=2"),
                ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "B=3"),
            ],
            |c| c.otlp.headers == [("a".to_owned(), "1".to_owned()), ("B".to_owned(), "3".to_owned())],
            None,
        ),
        (
            &[("OTEL_EXPORTER_OTLP_HEADERS", "a=1,novalue")],
            |c| c.otlp.headers == [("a".to_owned(), "1".to_owned())],
            Some("OTEL_EXPORTER_OTLP_HEADERS"),
        ),
        (
            &[("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "bad name=1")],
            |c| c.otlp.headers.is_empty(),
            Some("OTEL_EXPORTER_OTLP_TRACES_HEADERS"),
        ),
        (
            &[("OTEL_EXPORTER_OTLP_HEADERS", "x=a%0D%0Ab")],
            |c| c.otlp.headers.is_empty(),
            Some("OTEL_EXPORTER_OTLP_HEADERS"),
        ),
        // Timeout.
        (
            &[("OTEL_EXPORTER_OTLP_TIMEOUT", "2500")],
            |c| c.otlp.timeout == Duration::from_millis(2500),
            None,
        ),
        (
            &[
                ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
                ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "700"),
            ],
            |c| c.otlp.timeout == Duration::from_millis(700),
            None,
        ),
        (
            &[("OTEL_EXPORTER_OTLP_TIMEOUT", "10s")],
            |c| c.otlp.timeout == DEFAULT_OTLP_TIMEOUT,
            Some("OTEL_EXPORTER_OTLP_TIMEOUT"),
        ),
        (
            &[("OTEL_EXPORTER_OTLP_TIMEOUT", "0")],
            |c| c.otlp.timeout == DEFAULT_OTLP_TIMEOUT,
            Some("OTEL_EXPORTER_OTLP_TIMEOUT"),
        ),
        (
            &[("OTEL_EXPORTER_OTLP_TIMEOUT", "-5")],
            |c| c.otlp.timeout == DEFAULT_OTLP_TIMEOUT,
            Some("OTEL_EXPORTER_OTLP_TIMEOUT"),
        ),
        // Protocol.
        (
            &[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")],
            |c| c.otlp.protocol == OtlpProtocol::HttpJson,
            None,
        ),
        (
            &[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")],
            |c| c.otlp.protocol == OtlpProtocol::HttpProtobuf,
            None,
        ),
        (
            &[
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
                ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"),
            ],
            |c| c.otlp.protocol == OtlpProtocol::HttpProtobuf,
            None,
        ),
        (
            &[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")],
            |c| c.otlp.protocol == OtlpProtocol::HttpProtobuf,
            Some("OTEL_EXPORTER_OTLP_PROTOCOL"),
        ),
        (
            &[("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "thrift")],
            |c| c.otlp.protocol == OtlpProtocol::HttpProtobuf,
            Some("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"),
        ),
        // Compression.
        (
            &[("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")],
            |c| c.otlp.compression == OtlpCompression::Gzip,
            None,
        ),
        (
            &[
                ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "none"),
                ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
            ],
            |c| c.otlp.compression == OtlpCompression::None,
            None,
        ),
        (
            &[("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd")],
            |c| c.otlp.compression == OtlpCompression::None,
            Some("OTEL_EXPORTER_OTLP_COMPRESSION"),
        ),
        // Sampler.
        (
            &[("OTEL_TRACES_SAMPLER", "always_on")],
            |c| c.sampler == SamplerChoice::AlwaysOn,
            None,
        ),
        (
            &[("OTEL_TRACES_SAMPLER", "always_off")],
            |c| c.sampler == SamplerChoice::AlwaysOff,
            None,
        ),
        (
            &[("OTEL_TRACES_SAMPLER", "parentbased_always_off")],
            |c| c.sampler == SamplerChoice::ParentBasedAlwaysOff,
            None,
        ),
        (
            &[("OTEL_TRACES_SAMPLER", "traceidratio")],
            |c| c.sampler == SamplerChoice::TraceIdRatio(1.0),
            None,
        ),
        (
            &[
                ("OTEL_TRACES_SAMPLER", "traceidratio"),
                ("OTEL_TRACES_SAMPLER_ARG", "0.1"),
            ],
            |c| c.sampler == SamplerChoice::TraceIdRatio(0.1),
            None,
        ),
        (
            &[
                ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
                ("OTEL_TRACES_SAMPLER_ARG", "1.5"),
            ],
            |c| c.sampler == SamplerChoice::ParentBasedTraceIdRatio(1.0),
            Some("OTEL_TRACES_SAMPLER_ARG"),
        ),
        (
            &[
                ("OTEL_TRACES_SAMPLER", "traceidratio"),
                ("OTEL_TRACES_SAMPLER_ARG", "half"),
            ],
            |c| c.sampler == SamplerChoice::TraceIdRatio(1.0),
            Some("OTEL_TRACES_SAMPLER_ARG"),
        ),
        // The argument of a sampler that takes none is ignored.
        (
            &[
                ("OTEL_TRACES_SAMPLER", "always_on"),
                ("OTEL_TRACES_SAMPLER_ARG", "junk"),
            ],
            |c| c.sampler == SamplerChoice::AlwaysOn,
            None,
        ),
        (
            &[("OTEL_TRACES_SAMPLER", "jaeger_remote")],
            |c| c.sampler == SamplerChoice::ParentBasedAlwaysOn,
            Some("OTEL_TRACES_SAMPLER"),
        ),
        // Propagators.
        (
            &[("OTEL_PROPAGATORS", "b3, b3multi,jaeger")],
            |c| c.propagators == [Propagator::B3, Propagator::B3Multi, Propagator::Jaeger],
            None,
        ),
        (
            &[("OTEL_PROPAGATORS", "xray,ottrace,tracecontext,tracecontext")],
            |c| c.propagators == [Propagator::XRay, Propagator::OtTrace, Propagator::TraceContext],
            None,
        ),
        (&[("OTEL_PROPAGATORS", "none")], |c| c.propagators.is_empty(), None),
        (
            &[("OTEL_PROPAGATORS", "baggage,magic")],
            |c| c.propagators == [Propagator::Baggage],
            Some("OTEL_PROPAGATORS"),
        ),
        (
            &[("OTEL_PROPAGATORS", "magic")],
            |c| c.propagators == [Propagator::TraceContext, Propagator::Baggage],
            Some("OTEL_PROPAGATORS"),
        ),
        // Batch processor.
        (
            &[
                ("OTEL_BSP_MAX_QUEUE_SIZE", "4096"),
                ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "512"),
                ("OTEL_BSP_SCHEDULE_DELAY", "250"),
                ("OTEL_BSP_EXPORT_TIMEOUT", "1500"),
            ],
            |c| {
                c.batch.max_queue_size == 4096
                    && c.batch.max_batch_size == 512
                    && c.batch.export_interval == Duration::from_millis(250)
                    && c.batch.export_timeout == Duration::from_millis(1500)
            },
            None,
        ),
        (
            &[("OTEL_BSP_MAX_QUEUE_SIZE", "0")],
            |c| c.batch.max_queue_size == 2048,
            Some("OTEL_BSP_MAX_QUEUE_SIZE"),
        ),
        (
            &[("OTEL_BSP_MAX_QUEUE_SIZE", "1e3")],
            |c| c.batch.max_queue_size == 2048,
            Some("OTEL_BSP_MAX_QUEUE_SIZE"),
        ),
        (
            &[("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "-1")],
            |c| c.batch.max_batch_size == 100,
            Some("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"),
        ),
        (
            &[
                ("OTEL_BSP_MAX_QUEUE_SIZE", "50"),
                ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "80"),
            ],
            |c| c.batch.max_queue_size == 50 && c.batch.max_batch_size == 50,
            Some("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"),
        ),
        (
            &[("OTEL_BSP_SCHEDULE_DELAY", "soon")],
            |c| c.batch.export_interval == Duration::from_secs(5),
            Some("OTEL_BSP_SCHEDULE_DELAY"),
        ),
        (
            &[("OTEL_BSP_EXPORT_TIMEOUT", "0")],
            |c| c.batch.export_timeout == Duration::from_secs(30),
            Some("OTEL_BSP_EXPORT_TIMEOUT"),
        ),
        // Span limits.
        (
            &[
                ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "10"),
                ("OTEL_SPAN_EVENT_COUNT_LIMIT", "11"),
                ("OTEL_SPAN_LINK_COUNT_LIMIT", "12"),
                ("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "13"),
                ("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "14"),
                ("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "15"),
            ],
            |c| {
                c.span_limits
                    == SpanLimits {
                        max_attributes: 10,
                        max_events: 11,
                        max_links: 12,
                        max_attributes_per_event: 13,
                        max_attributes_per_link: 14,
                        max_attribute_value_length: Some(15),
                    }
            },
            None,
        ),
        (
            &[
                ("OTEL_ATTRIBUTE_COUNT_LIMIT", "7"),
                ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "64"),
            ],
            |c| {
                let l = c.span_limits;
                l.max_attributes == 7
                    && l.max_attributes_per_event == 7
                    && l.max_attributes_per_link == 7
                    && l.max_events == 128
                    && l.max_attribute_value_length == Some(64)
            },
            None,
        ),
        (
            &[
                ("OTEL_ATTRIBUTE_COUNT_LIMIT", "7"),
                ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "9"),
            ],
            |c| c.span_limits.max_attributes == 9 && c.span_limits.max_attributes_per_event == 7,
            None,
        ),
        (
            &[("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "0")],
            |c| c.span_limits.max_attributes == 0,
            None,
        ),
        (
            &[("OTEL_SPAN_EVENT_COUNT_LIMIT", "many")],
            |c| c.span_limits.max_events == 128,
            Some("OTEL_SPAN_EVENT_COUNT_LIMIT"),
        ),
        (
            &[("OTEL_SPAN_LINK_COUNT_LIMIT", "99999999999")],
            |c| c.span_limits.max_links == u32::MAX,
            None,
        ),
        (
            &[("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "-1")],
            |c| c.span_limits.max_attribute_value_length.is_none(),
            Some("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT"),
        ),
    ];

    #[test]
    fn table() {
        for (i, (vars, check, warning)) in CASES.iter().enumerate() {
            let config = parse(vars);
            assert!(check(&config), "case {i} {vars:?}: unexpected {config:#?}");
            match warning {
                None => assert!(
                    config.warnings.is_empty(),
                    "case {i} {vars:?}: warnings {:?}",
                    config.warnings
                ),
                Some(name) => {
                    assert_eq!(
                        config.warnings.len(),
                        1,
                        "case {i} {vars:?}: warnings {:?}",
                        config.warnings
                    );
                    assert!(
                        config.warnings[0].starts_with(name),
                        "case {i} {vars:?}: the warning should name {name}: {:?}",
                        config.warnings[0]
                    );
                }
            }
        }
    }

    #[test]
    fn default_exporter_depends_on_the_otlp_feature() {
        let config = parse(&[]);
        if cfg!(feature = "otlp") {
            assert_eq!(config.exporters, [TracesExporter::Otlp]);
            assert!(parse(&[("OTEL_TRACES_EXPORTER", "otlp,console")]).warnings.is_empty());
        } else {
            assert_eq!(config.exporters, [TracesExporter::Console]);
            let config = parse(&[("OTEL_TRACES_EXPORTER", "otlp")]);
            assert_eq!(config.exporters, [TracesExporter::Console]);
            assert!(config.warnings[0].contains("OTEL_TRACES_EXPORTER"));
        }
        // Repeats count once.
        let config = parse(&[("OTEL_TRACES_EXPORTER", "otlp,console,otlp")]);
        assert_eq!(config.exporters.len(), if cfg!(feature = "otlp") { 2 } else { 1 });
    }

    #[test]
    fn garbage_never_panics() {
        let nasty = [
            "",
            " ",
            ",",
            "=",
            "==,",
            "%",
            "%4",
            "%ff%fe",
            "\u{0}",
            "🦀=🦀",
            "a=b=c",
            "-0",
            "NaN",
            "inf",
            "18446744073709551616",
        ];
        let names = [
            "OTEL_SDK_DISABLED",
            "OTEL_SERVICE_NAME",
            "OTEL_RESOURCE_ATTRIBUTES",
            "OTEL_TRACES_EXPORTER",
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "OTEL_EXPORTER_OTLP_HEADERS",
            "OTEL_EXPORTER_OTLP_TIMEOUT",
            "OTEL_EXPORTER_OTLP_PROTOCOL",
            "OTEL_EXPORTER_OTLP_COMPRESSION",
            "OTEL_TRACES_SAMPLER",
            "OTEL_TRACES_SAMPLER_ARG",
            "OTEL_PROPAGATORS",
            "OTEL_BSP_MAX_QUEUE_SIZE",
            "OTEL_BSP_SCHEDULE_DELAY",
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
            "OTEL_BSP_EXPORT_TIMEOUT",
            "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT",
            "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
        ];
        for value in nasty {
            let config = EnvConfig::from_lookup(|n| names.contains(&n).then(|| value.to_owned()));
            assert!(config.batch.max_batch_size <= config.batch.max_queue_size);
            assert!(check_url(&config.otlp.url).is_ok(), "{value:?}");
            for warning in &config.warnings {
                assert!(warning.starts_with("OTEL_"), "{warning}");
            }
        }
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b").as_deref(), Some("a b"));
        assert_eq!(percent_decode("%E2%9C%93").as_deref(), Some("✓"));
        assert_eq!(percent_decode("plain").as_deref(), Some("plain"));
        assert_eq!(percent_decode("bad%2"), None);
        assert_eq!(percent_decode("bad%g0"), None);
        assert_eq!(percent_decode("%ff"), None);
    }

    #[test]
    fn urls_are_checked() {
        assert!(check_url("http://localhost:4318/v1/traces").is_ok());
        assert!(check_url("https://api.honeycomb.io").is_ok());
        for bad in ["localhost:4318", "ftp://x", "http://", "http://:4318", "http://a b", ""] {
            assert!(check_url(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn headers_are_checked() {
        assert!(check_header("x-honeycomb-team", "abc=").is_ok());
        assert!(check_header("Authorization", "Bearer a b").is_ok());
        assert!(check_header("bad name", "v").is_err());
        assert!(check_header("", "v").is_err());
        assert!(check_header("x", "a\r\nInjected: 1").is_err());
    }

    #[test]
    fn sampler_choices_build_providers() {
        for choice in [
            SamplerChoice::AlwaysOn,
            SamplerChoice::AlwaysOff,
            SamplerChoice::TraceIdRatio(0.5),
            SamplerChoice::ParentBasedAlwaysOn,
            SamplerChoice::ParentBasedAlwaysOff,
            SamplerChoice::ParentBasedTraceIdRatio(0.5),
        ] {
            drop(choice.apply(TracerProvider::builder()));
        }
    }

    /// The header names `composite_of(chosen)` reads and writes, and its
    /// warnings.
    fn composite_fields(chosen: &[Propagator]) -> (Vec<&'static str>, Vec<String>) {
        use crate::propagation::Propagator as _;
        let (composite, skipped) = composite_of(chosen);
        (composite.fields(), skipped)
    }

    #[test]
    fn chosen_propagators_make_the_global_one_in_order() {
        let (fields, skipped) = composite_fields(&[Propagator::Baggage, Propagator::TraceContext]);
        assert_eq!(fields, ["baggage", "traceparent", "tracestate"]);
        assert!(skipped.is_empty());

        let (fields, skipped) = composite_fields(&[]);
        assert!(fields.is_empty(), "`none`: nothing is read or written");
        assert!(skipped.is_empty());

        let (fields, skipped) = composite_fields(&[Propagator::XRay, Propagator::TraceContext, Propagator::OtTrace]);
        assert_eq!(fields, ["traceparent", "tracestate"], "unimplemented ones are left out");
        assert_eq!(skipped.len(), 2);
        assert!(skipped[0].contains("xray") && skipped[0].contains("not implemented"));
        assert!(skipped[1].contains("ottrace"));
    }

    #[test]
    fn b3_and_jaeger_need_the_propagators_feature() {
        let (fields, skipped) = composite_fields(&[Propagator::B3, Propagator::B3Multi, Propagator::Jaeger]);
        if cfg!(feature = "propagators") {
            assert!(skipped.is_empty());
            for header in ["b3", "x-b3-traceid", "uber-trace-id"] {
                assert!(fields.contains(&header), "{header} in {fields:?}");
            }
        } else {
            assert!(fields.is_empty());
            assert_eq!(skipped.len(), 3);
            assert!(skipped.iter().all(|w| w.contains("`propagators` feature")));
        }
    }
}
