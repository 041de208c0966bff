//! The parser of `OTEL_*` variables: text in, typed values and warnings
//! out. An invalid value gives a warning naming the variable, and the
//! default; nothing here panics. Empty values count as unset.

use std::fmt;
use std::time::Duration;

use super::choice::{EnvFile, OtlpEnv, PropagatorChoice, SamplerChoice, TracesExporter};
use crate::export::otlp::{OtlpCompression, OtlpProtocol, check_header, check_url, default_endpoint, signal_url};
use crate::model::SpanLimits;
use crate::processor::BatchConfig;

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

/// Reads `OTEL_*` variables into typed values, collecting a warning for
/// each invalid value (and using the default instead).
pub(super) struct Parser<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    warnings: Vec<String>,
}

impl<'a> Parser<'a> {
    /// Reads through `lookup`: a variable's name in, its value out.
    pub(super) fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Parser<'a> {
        Parser {
            lookup,
            warnings: Vec::new(),
        }
    }

    /// One line per invalid value read so far, each naming its variable.
    pub(super) fn into_warnings(self) -> Vec<String> {
        self.warnings
    }

    /// The trimmed value; empty counts as unset.
    pub(super) fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    pub(super) fn warn(&mut self, name: &str, value: &str, problem: &str, fallback: impl fmt::Display) {
        self.warnings
            .push(format!("{name}={value:?} {problem}; using {fallback}"));
    }

    /// The first of `names` that is set, with its name.
    fn first(&self, names: &[&'static str]) -> Option<(&'static str, String)> {
        names.iter().find_map(|&n| self.get(n).map(|v| (n, v)))
    }

    /// `true` or `false` (any case), `default` when unset.
    pub(super) fn flag(&mut self, name: &str, default: bool) -> bool {
        match self.get(name) {
            None => default,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(v) => {
                self.warn(name, &v, "is not true or false", default);
                default
            }
        }
    }

    /// A ratio in `0..=1`, `default` when unset.
    pub(super) fn ratio(&mut self, name: &str, default: f64) -> f64 {
        let Some(v) = self.get(name) else {
            return default;
        };
        match v.parse::<f64>() {
            Ok(r) if (0.0..=1.0).contains(&r) => r,
            _ => {
                self.warn(name, &v, "is not a ratio between 0 and 1", format_args!("{default:?}"));
                default
            }
        }
    }

    /// An integer of at least `min` from the first set variable of `names`.
    pub(super) fn count(&mut self, names: &[&'static str], min: u64, default: u64) -> u64 {
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

    pub(super) fn millis(&mut self, names: &[&'static str], default: Duration) -> Duration {
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

    /// `OTEL_SDK_DISABLED`.
    pub(super) fn sdk_disabled(&mut self) -> bool {
        self.flag("OTEL_SDK_DISABLED", false)
    }

    /// `OTEL_SERVICE_NAME`.
    pub(super) fn service_name(&mut self) -> Option<String> {
        self.get("OTEL_SERVICE_NAME")
    }

    /// `OTEL_RESOURCE_ATTRIBUTES`: one invalid entry voids it all, since a
    /// partial resource would misdescribe the service.
    pub(super) fn resource_attributes(&mut self) -> Vec<(String, String)> {
        self.pairs("OTEL_RESOURCE_ATTRIBUTES", true)
    }

    pub(super) fn exporters(&mut self) -> Vec<TracesExporter> {
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

    pub(super) fn otlp(&mut self) -> OtlpEnv {
        let defaults = OtlpEnv::default();
        // First: it decides the default endpoint and whether `/v1/traces`
        // is appended.
        let protocol = self.protocol();
        let default_url = signal_url(protocol, default_endpoint(protocol));
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
                Ok(()) => signal_url(protocol, &v),
                Err(e) => {
                    self.warnings.push(format!(
                        "OTEL_EXPORTER_OTLP_ENDPOINT: {e}; using {}",
                        default_endpoint(protocol)
                    ));
                    default_url.clone()
                }
            },
            None => default_url.clone(),
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
        let file = |parser: &Parser<'_>, names: &[&'static str]| {
            parser.first(names).map(|(variable, path)| EnvFile {
                variable,
                path: path.into(),
            })
        };
        OtlpEnv {
            url,
            headers,
            timeout,
            protocol,
            compression,
            certificate: file(
                self,
                &[
                    "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
                    "OTEL_EXPORTER_OTLP_CERTIFICATE",
                ],
            ),
            client_certificate: file(
                self,
                &[
                    "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE",
                    "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
                ],
            ),
            client_key: file(
                self,
                &["OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", "OTEL_EXPORTER_OTLP_CLIENT_KEY"],
            ),
        }
    }

    /// `OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL`.
    fn protocol(&mut self) -> OtlpProtocol {
        match self.first(&["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"]) {
            None => OtlpProtocol::default(),
            Some((_, v)) if v == "http/protobuf" => OtlpProtocol::HttpProtobuf,
            Some((_, v)) if v == "http/json" => OtlpProtocol::HttpJson,
            Some((_, v)) if v == "grpc" && cfg!(feature = "otlp-grpc") => OtlpProtocol::Grpc,
            Some((name, v)) if v == "grpc" => {
                self.warnings.push(format!(
                    "{name}=grpc needs tracer's `otlp-grpc` feature; using http/protobuf: enable the feature, or point the endpoint at the collector's OTLP/HTTP port (usually 4318)"
                ));
                OtlpProtocol::HttpProtobuf
            }
            Some((name, v)) => {
                self.warn(name, &v, "is not http/protobuf, http/json or grpc", "http/protobuf");
                OtlpProtocol::HttpProtobuf
            }
        }
    }

    pub(super) fn sampler(&mut self) -> SamplerChoice {
        const NAME: &str = "OTEL_TRACES_SAMPLER";
        const ARG: &str = "OTEL_TRACES_SAMPLER_ARG";
        let Some(v) = self.get(NAME) else {
            return SamplerChoice::default();
        };
        let ratio = |parser: &mut Parser<'_>| parser.ratio(ARG, 1.0);
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

    pub(super) fn propagators(&mut self) -> Vec<PropagatorChoice> {
        const NAME: &str = "OTEL_PROPAGATORS";
        let default = PropagatorChoice::DEFAULT.to_vec();
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
                "tracecontext" => PropagatorChoice::TraceContext,
                "baggage" => PropagatorChoice::Baggage,
                "b3" => PropagatorChoice::B3,
                "b3multi" => PropagatorChoice::B3Multi,
                "jaeger" => PropagatorChoice::Jaeger,
                "xray" => PropagatorChoice::XRay,
                "ottrace" => PropagatorChoice::OtTrace,
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

    pub(super) fn batch(&mut self) -> BatchConfig {
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

    pub(super) fn span_limits(&mut self) -> SpanLimits {
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
    use crate::env::EnvConfig;

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
            |c| c.otlp.timeout == Duration::from_secs(10),
            Some("OTEL_EXPORTER_OTLP_TIMEOUT"),
        ),
        (
            &[("OTEL_EXPORTER_OTLP_TIMEOUT", "0")],
            |c| c.otlp.timeout == Duration::from_secs(10),
            Some("OTEL_EXPORTER_OTLP_TIMEOUT"),
        ),
        (
            &[("OTEL_EXPORTER_OTLP_TIMEOUT", "-5")],
            |c| c.otlp.timeout == Duration::from_secs(10),
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
            &[
                ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ca.pem"),
                ("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "/etc/traces-ca.pem"),
                ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "client.pem"),
                ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", "traces.key"),
                ("OTEL_EXPORTER_OTLP_CLIENT_KEY", "client.key"),
            ],
            |c| {
                let file = |f: &Option<EnvFile>| f.as_ref().map(|f| (f.variable, f.path.to_str().unwrap().to_owned()));
                file(&c.otlp.certificate)
                    == Some(("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "/etc/traces-ca.pem".to_owned()))
                    && file(&c.otlp.client_certificate)
                        == Some(("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "client.pem".to_owned()))
                    && file(&c.otlp.client_key)
                        == Some(("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", "traces.key".to_owned()))
            },
            None,
        ),
        #[cfg(not(feature = "otlp-grpc"))]
        (
            &[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")],
            |c| c.otlp.protocol == OtlpProtocol::HttpProtobuf,
            Some("OTEL_EXPORTER_OTLP_PROTOCOL"),
        ),
        #[cfg(feature = "otlp-grpc")]
        (
            &[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")],
            |c| c.otlp.protocol == OtlpProtocol::Grpc && c.otlp.url == "http://localhost:4317",
            None,
        ),
        #[cfg(feature = "otlp-grpc")]
        (
            &[
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
                ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4317/"),
            ],
            |c| c.otlp.protocol == OtlpProtocol::Grpc && c.otlp.url == "https://collector:4317/",
            None,
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
            |c| {
                c.propagators
                    == [
                        PropagatorChoice::B3,
                        PropagatorChoice::B3Multi,
                        PropagatorChoice::Jaeger,
                    ]
            },
            None,
        ),
        (
            &[("OTEL_PROPAGATORS", "xray,ottrace,tracecontext,tracecontext")],
            |c| {
                c.propagators
                    == [
                        PropagatorChoice::XRay,
                        PropagatorChoice::OtTrace,
                        PropagatorChoice::TraceContext,
                    ]
            },
            None,
        ),
        (&[("OTEL_PROPAGATORS", "none")], |c| c.propagators.is_empty(), None),
        // "none" beside a propagator is a valid entry that adds nothing.
        (
            &[("OTEL_PROPAGATORS", "none,tracecontext")],
            |c| c.propagators == [PropagatorChoice::TraceContext],
            None,
        ),
        (
            &[("OTEL_PROPAGATORS", "baggage,magic")],
            |c| c.propagators == [PropagatorChoice::Baggage],
            Some("OTEL_PROPAGATORS"),
        ),
        (
            &[("OTEL_PROPAGATORS", "magic")],
            |c| c.propagators == [PropagatorChoice::TraceContext, PropagatorChoice::Baggage],
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
        // A batch as large as the queue is allowed.
        (
            &[
                ("OTEL_BSP_MAX_QUEUE_SIZE", "64"),
                ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "64"),
            ],
            |c| c.batch.max_queue_size == 64 && c.batch.max_batch_size == 64,
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
    fn no_variables_give_the_defaults() {
        let expected = EnvConfig {
            sdk_disabled: false,
            service_name: None,
            resource_attributes: Vec::new(),
            exporters: vec![if cfg!(feature = "otlp") {
                TracesExporter::Otlp
            } else {
                TracesExporter::Console
            }],
            otlp: OtlpEnv {
                url: "http://localhost:4318/v1/traces".to_owned(),
                headers: Vec::new(),
                timeout: Duration::from_secs(10),
                protocol: OtlpProtocol::HttpProtobuf,
                compression: OtlpCompression::None,
                certificate: None,
                client_certificate: None,
                client_key: None,
            },
            sampler: SamplerChoice::ParentBasedAlwaysOn,
            propagators: vec![PropagatorChoice::TraceContext, PropagatorChoice::Baggage],
            batch: BatchConfig {
                max_queue_size: 2048,
                max_batch_size: 100,
                export_interval: Duration::from_secs(5),
                export_timeout: Duration::from_secs(30),
            },
            span_limits: SpanLimits {
                max_attributes: 128,
                max_events: 128,
                max_links: 128,
                max_attributes_per_event: 128,
                max_attributes_per_link: 128,
                max_attribute_value_length: None,
            },
            tail_sampling: None,
            warnings: Vec::new(),
        };
        assert_eq!(parse(&[]), expected);
        // Empty values count as unset.
        assert_eq!(
            parse(&[("OTEL_SERVICE_NAME", ""), ("OTEL_TRACES_SAMPLER", " ")]),
            expected
        );
    }

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
    fn warnings_name_the_value_used_instead() {
        let fallback = if cfg!(feature = "otlp") { "otlp" } else { "console" };
        assert_eq!(
            parse(&[("OTEL_TRACES_EXPORTER", "zipkin")]).warnings,
            [format!(
                "OTEL_TRACES_EXPORTER=\"zipkin\" names no supported exporter; using {fallback}"
            )]
        );
        assert_eq!(
            parse(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "thrift")]).warnings,
            ["OTEL_EXPORTER_OTLP_PROTOCOL=\"thrift\" is not http/protobuf, http/json or grpc; using http/protobuf"]
        );
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
            "TRACER_TAIL_SAMPLING_RATIO",
            "TRACER_TAIL_SAMPLING_SLOWER_THAN_MS",
            "TRACER_TAIL_SAMPLING_KEEP_ERRORS",
            "TRACER_TAIL_SAMPLING_MAX_TRACES",
            "TRACER_TAIL_SAMPLING_MAX_SPANS",
            "TRACER_TAIL_SAMPLING_LATE_SPAN_WINDOW_MS",
            "TRACER_TAIL_SAMPLING_REMEMBERED_TRACES",
        ];
        for value in nasty {
            let config = EnvConfig::from_lookup(|n| names.contains(&n).then(|| value.to_owned()));
            assert!(config.batch.max_batch_size <= config.batch.max_queue_size);
            assert!(check_url(&config.otlp.url).is_ok(), "{value:?}");
            for warning in &config.warnings {
                assert!(
                    warning.starts_with("OTEL_") || warning.starts_with("TRACER_TAIL_SAMPLING_"),
                    "{warning}"
                );
            }
            if let Some(tail) = &config.tail_sampling {
                assert!((0.0..=1.0).contains(&tail.ratio), "{value:?}");
                assert!(tail.max_traces >= 1 && tail.max_spans >= 1, "{value:?}");
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
}
