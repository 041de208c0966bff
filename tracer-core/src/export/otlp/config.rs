//! The OTLP/HTTP defaults and rules, shared by the exporter's builder and
//! the `OTEL_EXPORTER_OTLP_*` parser: the default endpoint and timeout,
//! the protocol and compression choices, the traces URL and the checks on
//! URLs and headers.

use std::fmt;
use std::time::Duration;

/// The default base endpoint: a collector on this machine.
pub const DEFAULT_ENDPOINT: &str = "http://localhost:4318";

/// The default time one export may take, retries included (10 s, as
/// `OTEL_EXPORTER_OTLP_TIMEOUT`'s default).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How OTLP/HTTP bodies are encoded.
///
/// ```
/// use tracer_core::export::otlp::OtlpProtocol;
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
