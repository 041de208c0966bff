//! Configuring an [`OtlpExporter`].

use std::fmt;
use std::time::Duration;

use super::config::{
    check_header, check_url, traces_url, OtlpCompression, OtlpProtocol, DEFAULT_ENDPOINT, DEFAULT_TIMEOUT,
};
use super::encode::Scope;
use super::exporter::OtlpExporter;
use super::retry::RetryPolicy;
use super::transport::Transport;
use crate::model::Resource;

/// An invalid [`OtlpExporterBuilder`] setting.
///
/// Available with the `otlp` feature.
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

/// Configures an [`OtlpExporter`].
///
/// Available with the `otlp` feature.
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

    /// The resource to export spans under, instead of the one the provider
    /// hands the exporter when it is built
    /// ([`SpanExporter::set_resource`](crate::export::SpanExporter::set_resource)).
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
        let (name, version) = self
            .scope
            .unwrap_or_else(|| ("tracer".to_owned(), env!("CARGO_PKG_VERSION").to_owned()));
        let transport = Transport::new(self.url, self.protocol, self.compression, self.headers);
        Ok(OtlpExporter::new(
            transport,
            self.timeout,
            self.retry,
            self.resource,
            Scope { name, version },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_rejects_bad_settings() {
        assert_eq!(
            OtlpExporter::builder().endpoint("collector:4318").build().unwrap_err(),
            OtlpConfigError(
                r#"OTLP endpoint: "collector:4318/v1/traces" is not an http:// or https:// URL"#.to_owned()
            )
        );
        assert_eq!(
            OtlpExporter::builder().header("a:b", "v").build().unwrap_err(),
            OtlpConfigError(r#"OTLP header: "a:b" is not a valid header name"#.to_owned())
        );
        let exporter = OtlpExporter::builder().build().unwrap();
        assert_eq!(exporter.url(), "http://localhost:4318/v1/traces");
        assert_eq!(exporter.timeout(), Duration::from_secs(10));
        assert_eq!(exporter.protocol(), OtlpProtocol::HttpProtobuf);
        assert_eq!(exporter.compression(), OtlpCompression::None);
    }
}
