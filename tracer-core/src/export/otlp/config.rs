//! The OTLP defaults and rules, shared by the exporter's builder and the
//! `OTEL_EXPORTER_OTLP_*` parser: the default endpoints and timeout, the
//! protocol and compression choices, the traces URL and the checks on URLs
//! and headers.

use std::fmt;
use std::time::Duration;

/// The default base endpoint for OTLP/HTTP: a collector on this machine.
pub const DEFAULT_ENDPOINT: &str = "http://localhost:4318";

/// The default endpoint for OTLP/gRPC: a collector on this machine.
///
/// ```
/// use tracer_core::export::otlp::{default_endpoint, OtlpProtocol, DEFAULT_GRPC_ENDPOINT};
///
/// assert_eq!(default_endpoint(OtlpProtocol::Grpc), DEFAULT_GRPC_ENDPOINT);
/// assert_eq!(DEFAULT_GRPC_ENDPOINT, "http://localhost:4317");
/// ```
pub const DEFAULT_GRPC_ENDPOINT: &str = "http://localhost:4317";

/// The default time one export may take, retries included (10 s, as
/// `OTEL_EXPORTER_OTLP_TIMEOUT`'s default).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How spans travel to the collector: OTLP/HTTP with a protobuf or JSON
/// body, or OTLP/gRPC.
///
/// ```
/// use tracer_core::export::otlp::OtlpProtocol;
///
/// assert_eq!(OtlpProtocol::default(), OtlpProtocol::HttpProtobuf);
/// assert_eq!(OtlpProtocol::HttpJson.to_string(), "http/json");
/// assert_eq!(OtlpProtocol::Grpc.to_string(), "grpc");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OtlpProtocol {
    /// `http/protobuf`: `application/x-protobuf` (the default).
    #[default]
    HttpProtobuf,
    /// `http/json`: `application/json`, the OTLP JSON mapping.
    HttpJson,
    /// `grpc`: the `TraceService/Export` call over HTTP/2. Exporting with
    /// it needs the `otlp-grpc` feature.
    Grpc,
}

impl fmt::Display for OtlpProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OtlpProtocol::HttpProtobuf => "http/protobuf",
            OtlpProtocol::HttpJson => "http/json",
            OtlpProtocol::Grpc => "grpc",
        })
    }
}

/// Whether OTLP request bodies are compressed.
///
/// ```
/// use tracer_core::export::otlp::OtlpCompression;
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
    format!("{}/v1/traces", base.trim_end_matches('/'))
}

/// The endpoint used when none is given: [`DEFAULT_GRPC_ENDPOINT`] for
/// gRPC, [`DEFAULT_ENDPOINT`] for OTLP/HTTP.
///
/// ```
/// use tracer_core::export::otlp::{default_endpoint, OtlpProtocol};
///
/// assert_eq!(default_endpoint(OtlpProtocol::HttpJson), "http://localhost:4318");
/// ```
pub const fn default_endpoint(protocol: OtlpProtocol) -> &'static str {
    match protocol {
        OtlpProtocol::Grpc => DEFAULT_GRPC_ENDPOINT,
        OtlpProtocol::HttpProtobuf | OtlpProtocol::HttpJson => DEFAULT_ENDPOINT,
    }
}

/// Where spans go for a base endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`):
/// over HTTP `{base}/v1/traces` ([`traces_url`]); over gRPC the endpoint
/// itself, since the call names the service and method.
///
/// ```
/// use tracer_core::export::otlp::{signal_url, OtlpProtocol};
///
/// assert_eq!(signal_url(OtlpProtocol::HttpProtobuf, "http://c:4318"), "http://c:4318/v1/traces");
/// assert_eq!(signal_url(OtlpProtocol::Grpc, "http://c:4317"), "http://c:4317");
/// ```
pub fn signal_url(protocol: OtlpProtocol, base: &str) -> String {
    match protocol {
        OtlpProtocol::Grpc => base.to_owned(),
        OtlpProtocol::HttpProtobuf | OtlpProtocol::HttpJson => traces_url(base),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert_eq!(check_url("http://localhost:4318/v1/traces"), Ok(()));
        assert_eq!(check_url("https://api.honeycomb.io"), Ok(()));
        assert_eq!(
            check_url("localhost:4318"),
            Err(r#""localhost:4318" is not an http:// or https:// URL"#.to_owned())
        );
        assert_eq!(check_url("http://"), Err(r#""http://" has no host"#.to_owned()));
        assert_eq!(
            check_url("http://a b"),
            Err(r#""http://a b" contains whitespace"#.to_owned())
        );
        for bad in ["ftp://x", "http://:4318", ""] {
            assert!(check_url(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn headers_are_checked() {
        assert_eq!(check_header("x-honeycomb-team", "abc="), Ok(()));
        assert_eq!(check_header("Authorization", "Bearer a b"), Ok(()));
        assert_eq!(
            check_header("bad name", "v"),
            Err(r#""bad name" is not a valid header name"#.to_owned())
        );
        assert!(check_header("", "v").is_err());
        assert_eq!(
            check_header("x", "a\r\nInjected: 1"),
            Err(r#"the value of header "x" contains control characters"#.to_owned())
        );
    }

    #[test]
    fn traces_url_appends_the_path_once() {
        assert_eq!(traces_url("http://collector:4318"), "http://collector:4318/v1/traces");
        assert_eq!(traces_url("http://collector:4318//"), "http://collector:4318/v1/traces");
    }
}
