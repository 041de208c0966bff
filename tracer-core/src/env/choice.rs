//! What the `OTEL_*` variables choose: the exporters, the sampler, the
//! propagators and the OTLP settings, as typed values.

use std::path::PathBuf;
use std::time::Duration;

use crate::export::otlp::{DEFAULT_ENDPOINT, DEFAULT_TIMEOUT, OtlpCompression, OtlpProtocol, traces_url};
use crate::provider::ProviderBuilder;
use crate::sampler::{AlwaysOff, AlwaysOn, ParentBased, TraceIdRatio};

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
    /// `otlp`: the OTLP exporter behind a batch processor (feature `otlp`;
    /// over gRPC, `otlp-grpc`).
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
        // Concrete types, not a boxed sampler: the builder recognises the
        // built-in ones and lets child spans skip the sampler.
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
/// use tracer_core::env::{EnvConfig, PropagatorChoice};
///
/// let config = EnvConfig::from_lookup(|_| None);
/// assert_eq!(config.propagators, [PropagatorChoice::TraceContext, PropagatorChoice::Baggage]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PropagatorChoice {
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

impl PropagatorChoice {
    /// `tracecontext,baggage`: the specification's default, and what the
    /// default global propagator
    /// ([`CompositePropagator::w3c`](crate::propagation::CompositePropagator::w3c))
    /// reads and writes.
    pub(super) const DEFAULT: [PropagatorChoice; 2] = [PropagatorChoice::TraceContext, PropagatorChoice::Baggage];

    /// The name used in `OTEL_PROPAGATORS`.
    ///
    /// ```
    /// assert_eq!(tracer_core::env::PropagatorChoice::B3Multi.name(), "b3multi");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            PropagatorChoice::TraceContext => "tracecontext",
            PropagatorChoice::Baggage => "baggage",
            PropagatorChoice::B3 => "b3",
            PropagatorChoice::B3Multi => "b3multi",
            PropagatorChoice::Jaeger => "jaeger",
            PropagatorChoice::XRay => "xray",
            PropagatorChoice::OtTrace => "ottrace",
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
    /// Where spans are sent: over HTTP the full URL posted to, over gRPC
    /// the collector's endpoint.
    pub url: String,
    /// Extra request headers.
    pub headers: Vec<(String, String)>,
    /// The longest one export may take, retries included.
    pub timeout: Duration,
    /// Protobuf or JSON over HTTP, or gRPC.
    pub protocol: OtlpProtocol,
    /// gzip or none.
    pub compression: OtlpCompression,
    /// `OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE`: the CA bundle to trust.
    pub certificate: Option<EnvFile>,
    /// `OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_CERTIFICATE`: the client
    /// certificate for mutual TLS.
    pub client_certificate: Option<EnvFile>,
    /// `OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_KEY`: its private key.
    pub client_key: Option<EnvFile>,
}

/// A file named by an environment variable, with the variable, so that a
/// problem with the file names the variable to fix.
///
/// ```
/// use tracer_core::env::EnvConfig;
///
/// let config = EnvConfig::from_lookup(|n| (n == "OTEL_EXPORTER_OTLP_CERTIFICATE").then(|| "/etc/ca.pem".into()));
/// let file = config.otlp.certificate.unwrap();
/// assert_eq!((file.variable, file.path.to_str().unwrap()), ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ca.pem"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvFile {
    /// The variable that named it (the `_TRACES_` one when both are set).
    pub variable: &'static str,
    /// The path, as given.
    pub path: PathBuf,
}

#[cfg(feature = "otlp")]
impl EnvFile {
    /// The file's contents, or an error naming the variable and the path.
    fn read(&self) -> Result<Vec<u8>, crate::export::otlp::OtlpConfigError> {
        std::fs::read(&self.path).map_err(|e| self.error(&format!("cannot read it: {e}")))
    }

    fn error(&self, problem: &str) -> crate::export::otlp::OtlpConfigError {
        crate::export::otlp::OtlpConfigError::new(format!("{}={}: {problem}", self.variable, self.path.display()))
    }
}

impl Default for OtlpEnv {
    /// The OTLP exporter's own defaults.
    fn default() -> OtlpEnv {
        OtlpEnv {
            url: traces_url(DEFAULT_ENDPOINT),
            headers: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            protocol: OtlpProtocol::default(),
            compression: OtlpCompression::default(),
            certificate: None,
            client_certificate: None,
            client_key: None,
        }
    }
}

#[cfg(feature = "otlp")]
impl OtlpEnv {
    /// An OTLP exporter with these settings. The certificate files are
    /// read and checked here: a missing or malformed one is an error that
    /// names its variable (never a connection without the TLS asked for).
    ///
    /// Available with the `otlp` feature.
    ///
    /// ```
    /// use tracer_core::env::EnvConfig;
    ///
    /// let exporter = EnvConfig::from_lookup(|_| None).otlp.exporter().unwrap();
    /// assert_eq!(exporter.url(), "http://localhost:4318/v1/traces");
    /// ```
    pub fn exporter(&self) -> Result<crate::export::otlp::OtlpExporter, crate::export::otlp::OtlpConfigError> {
        use crate::export::otlp::{OtlpConfigError, certificates, private_key};
        let mut builder = crate::export::otlp::OtlpExporter::builder()
            .traces_endpoint(self.url.clone())
            .headers(self.headers.iter().cloned())
            .timeout(self.timeout)
            .protocol(self.protocol)
            .compression(self.compression);
        if let Some(file) = &self.certificate {
            let pem = file.read()?;
            certificates(&pem).map_err(|e| file.error(&e))?;
            builder = builder.ca_certificate_pem(pem);
        }
        match (&self.client_certificate, &self.client_key) {
            (Some(cert), Some(key)) => {
                let (chain, key_pem) = (cert.read()?, key.read()?);
                certificates(&chain).map_err(|e| cert.error(&e))?;
                private_key(&key_pem).map_err(|e| key.error(&e))?;
                builder = builder.client_identity_pem(chain, key_pem);
            }
            (Some(one), None) | (None, Some(one)) => {
                let other = if one.variable.ends_with("KEY") {
                    "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE"
                } else {
                    "OTEL_EXPORTER_OTLP_CLIENT_KEY"
                };
                return Err(OtlpConfigError::new(format!(
                    "{} is set without {other}: mutual TLS needs both",
                    one.variable
                )));
            }
            (None, None) => {}
        }
        builder.build()
    }
}

#[cfg(test)]
mod tests {
    use crate::env::EnvConfig;
    use crate::model::{SpanContext, SpanId, SpanKind, TraceFlags, TraceId, TraceState};
    use crate::sampler::SamplingDecision::{self, Drop, RecordAndSample};
    use crate::sampler::SamplingParams;

    // The ratio sampler compares a trace id's low 56 bits with
    // ratio × 2^56: 0x80_0000_0000_0000 for 0.5.
    /// Low 56 bits 0x0e_929d_0e0e_4736: below half.
    const BELOW_HALF: u128 = 0x4bf9_2f35_77b3_4da6_a30e_929d_0e0e_4736;
    /// Low 56 bits 0xce_929d_0e0e_4736: above half.
    const ABOVE_HALF: u128 = 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736;

    /// What the sampler chosen by `OTEL_TRACES_SAMPLER=sampler` and
    /// `OTEL_TRACES_SAMPLER_ARG=0.5` decides in trace `trace` for a root
    /// span, a child of a sampled remote parent and a child of an unsampled
    /// remote parent.
    fn decisions(sampler: &str, trace: u128) -> [SamplingDecision; 3] {
        let vars = [
            ("OTEL_TRACES_SAMPLER", sampler),
            ("OTEL_TRACES_SAMPLER_ARG", "0.5"),
            ("OTEL_TRACES_EXPORTER", "none"),
        ];
        let config = EnvConfig::from_lookup(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| (*v).to_owned()));
        assert_eq!(config.warnings, Vec::<String>::new(), "{sampler}");
        let provider = config.provider_builder().build();
        let trace_id = TraceId::from_u128(trace).unwrap();
        let remote = |flags| {
            SpanContext::new(
                trace_id,
                SpanId::from_u64(0x00f0_67aa_0ba9_02b7).unwrap(),
                flags,
                true,
                TraceState::empty(),
            )
        };
        let decide = |parent: Option<&SpanContext>| {
            let params = SamplingParams {
                trace_id,
                parent,
                trace_flags: parent.map_or(TraceFlags::RANDOM, |p| p.trace_flags().defined()),
                name: "checkout",
                kind: SpanKind::Server,
                attributes: &[],
                links: &[],
            };
            provider.inner.sampler().should_sample(&params).decision
        };
        [
            decide(None),
            decide(Some(&remote(TraceFlags::SAMPLED))),
            decide(Some(&remote(TraceFlags::NONE))),
        ]
    }

    #[test]
    fn each_sampler_choice_decides_as_named() {
        // [root, sampled remote parent, unsampled remote parent]
        let cases = [
            (
                "always_on",
                BELOW_HALF,
                [RecordAndSample, RecordAndSample, RecordAndSample],
            ),
            (
                "always_on",
                ABOVE_HALF,
                [RecordAndSample, RecordAndSample, RecordAndSample],
            ),
            ("always_off", BELOW_HALF, [Drop, Drop, Drop]),
            (
                "traceidratio",
                BELOW_HALF,
                [RecordAndSample, RecordAndSample, RecordAndSample],
            ),
            ("traceidratio", ABOVE_HALF, [Drop, Drop, Drop]),
            (
                "parentbased_always_on",
                ABOVE_HALF,
                [RecordAndSample, RecordAndSample, Drop],
            ),
            ("parentbased_always_off", BELOW_HALF, [Drop, RecordAndSample, Drop]),
            (
                "parentbased_traceidratio",
                BELOW_HALF,
                [RecordAndSample, RecordAndSample, Drop],
            ),
            ("parentbased_traceidratio", ABOVE_HALF, [Drop, RecordAndSample, Drop]),
        ];
        for (sampler, trace, expected) in cases {
            assert_eq!(decisions(sampler, trace), expected, "{sampler} in trace {trace:032x}");
        }
    }

    /// An `EnvConfig` from `vars` alone.
    #[cfg(feature = "otlp")]
    fn config(vars: &[(&str, &str)]) -> EnvConfig {
        EnvConfig::from_lookup(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| (*v).to_owned()))
    }

    #[cfg(feature = "otlp")]
    #[test]
    fn a_certificate_file_that_cannot_be_read_names_its_variable() {
        let path = "/nonexistent/tracer-test-ca.pem";
        let error = config(&[("OTEL_EXPORTER_OTLP_CERTIFICATE", path)])
            .otlp
            .exporter()
            .unwrap_err()
            .to_string();
        let expected = format!("OTEL_EXPORTER_OTLP_CERTIFICATE={path}: cannot read it: ");
        assert!(error.starts_with(&expected), "{error}");
    }

    #[cfg(feature = "otlp")]
    #[test]
    fn the_otlp_exporter_joins_the_rest_of_the_configuration() {
        let vars = [
            ("OTEL_TRACES_EXPORTER", "otlp"),
            ("OTEL_SERVICE_NAME", "from-env"),
            ("OTEL_TRACES_SAMPLER", "always_off"),
        ];
        let config = config(&vars);
        assert_eq!(config.warnings, Vec::<String>::new());
        let provider = config.provider_builder().build();
        assert_eq!(provider.resource().service_name(), "from-env");
        let shown = format!("{provider:?}");
        assert!(shown.contains(r#"sampler: "AlwaysOffSampler""#), "{shown}");
        assert!(shown.contains("processors: 1"), "{shown}");
    }
}
