//! Configuring an [`OtlpExporter`].

use std::fmt;
use std::time::Duration;

use super::config::{
    DEFAULT_TIMEOUT, OtlpCompression, OtlpProtocol, check_header, check_url, default_endpoint, signal_url,
};
use super::encode::Scope;
use super::exporter::OtlpExporter;
use super::retry::RetryPolicy;
use super::sender::Sender;
use super::tls::TlsSettings;
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
pub struct OtlpConfigError(pub(super) String);

impl fmt::Display for OtlpConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OtlpConfigError {}

impl OtlpConfigError {
    pub(crate) fn new(message: String) -> OtlpConfigError {
        OtlpConfigError(message)
    }
}

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
    endpoint: Endpoint,
    protocol: OtlpProtocol,
    compression: OtlpCompression,
    headers: Vec<(String, String)>,
    timeout: Duration,
    retry: RetryPolicy,
    resource: Option<Resource>,
    scope: Option<(String, String)>,
    tls: TlsSettings,
}

/// Where the builder was told to send spans; resolved at `build`, once the
/// protocol (which decides the default and the path) is known.
#[derive(Clone, Debug)]
enum Endpoint {
    Default,
    Base(String),
    Full(String),
}

impl Default for OtlpExporterBuilder {
    fn default() -> OtlpExporterBuilder {
        OtlpExporterBuilder {
            endpoint: Endpoint::Default,
            protocol: OtlpProtocol::default(),
            compression: OtlpCompression::default(),
            headers: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            resource: None,
            scope: None,
            tls: TlsSettings::default(),
        }
    }
}

impl OtlpExporterBuilder {
    /// The collector's base URL. Over HTTP spans go to
    /// `{endpoint}/v1/traces` (default `http://localhost:4318`); over gRPC
    /// to the endpoint itself (default `http://localhost:4317`).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> OtlpExporterBuilder {
        self.endpoint = Endpoint::Base(endpoint.into());
        self
    }

    /// The full URL to send spans to, used as given.
    pub fn traces_endpoint(mut self, url: impl Into<String>) -> OtlpExporterBuilder {
        self.endpoint = Endpoint::Full(url.into());
        self
    }

    /// Protobuf over HTTP (the default), JSON over HTTP, or gRPC
    /// ([`OtlpProtocol::Grpc`], with the `otlp-grpc` feature).
    pub fn protocol(mut self, protocol: OtlpProtocol) -> OtlpExporterBuilder {
        self.protocol = protocol;
        self
    }

    /// No compression (the default) or gzip (over gRPC, the `grpc-encoding: gzip` message compression).
    pub fn compression(mut self, compression: OtlpCompression) -> OtlpExporterBuilder {
        self.compression = compression;
        self
    }

    /// Adds a header sent with every request (an API key, a tenant id);
    /// over gRPC, request metadata (the name lowercased).
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

    /// Trusts the CA certificates in `pem` (a PEM bundle) for the
    /// collector's certificate, instead of the built-in web roots
    /// (`OTEL_EXPORTER_OTLP_CERTIFICATE`). Needs an `https://` endpoint.
    ///
    /// ```no_run
    /// use tracer_core::export::otlp::OtlpExporter;
    ///
    /// let ca = std::fs::read("/etc/otel/ca.pem").unwrap();
    /// let exporter = OtlpExporter::builder()
    ///     .endpoint("https://collector:4318")
    ///     .ca_certificate_pem(ca)
    ///     .build()
    ///     .unwrap();
    /// # drop(exporter);
    /// ```
    pub fn ca_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> OtlpExporterBuilder {
        self.tls.ca_pem = Some(pem.into());
        self
    }

    /// Presents this client certificate (a PEM chain, leaf first) and its
    /// private key (PEM: PKCS#8, PKCS#1 or SEC1) to a collector that
    /// requires mutual TLS (`OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE` and
    /// `OTEL_EXPORTER_OTLP_CLIENT_KEY`). Needs an `https://` endpoint.
    ///
    /// ```no_run
    /// use tracer_core::export::otlp::OtlpExporter;
    ///
    /// let exporter = OtlpExporter::builder()
    ///     .endpoint("https://collector:4318")
    ///     .client_identity_pem(std::fs::read("client.pem").unwrap(), std::fs::read("client.key").unwrap())
    ///     .build()
    ///     .unwrap();
    /// # drop(exporter);
    /// ```
    pub fn client_identity_pem(
        mut self,
        certificate_chain: impl Into<Vec<u8>>,
        private_key: impl Into<Vec<u8>>,
    ) -> OtlpExporterBuilder {
        self.tls.identity_pem = Some((certificate_chain.into(), private_key.into()));
        self
    }

    /// The exporter, or what is wrong with the settings. Over gRPC this
    /// also starts the exporter's own runtime (no connection is made
    /// before the first export).
    pub fn build(self) -> Result<OtlpExporter, OtlpConfigError> {
        let url = match self.endpoint {
            Endpoint::Default => signal_url(self.protocol, default_endpoint(self.protocol)),
            Endpoint::Base(base) => signal_url(self.protocol, &base),
            Endpoint::Full(url) => url,
        };
        check_url(&url).map_err(|e| OtlpConfigError(format!("OTLP endpoint: {e}")))?;
        for (name, value) in &self.headers {
            check_header(name, value).map_err(|e| OtlpConfigError(format!("OTLP header: {e}")))?;
        }
        self.tls.check().map_err(OtlpConfigError)?;
        let tls_given = self.tls.ca_pem.is_some() || self.tls.identity_pem.is_some();
        if tls_given && !url.starts_with("https://") {
            // Certificates were meant to protect the spans: not sent in
            // clear text instead.
            return Err(OtlpConfigError(format!(
                "OTLP TLS certificates are set but the endpoint {url:?} is not https://"
            )));
        }
        let (name, version) = self
            .scope
            .unwrap_or_else(|| ("tracer".to_owned(), env!("CARGO_PKG_VERSION").to_owned()));
        let sender = match self.protocol {
            OtlpProtocol::HttpProtobuf | OtlpProtocol::HttpJson => {
                let tls = self.tls.ureq().map_err(OtlpConfigError)?;
                Sender::Http(Transport::new(url, self.protocol, self.compression, self.headers, tls))
            }
            OtlpProtocol::Grpc => grpc_sender(url, self.compression, self.headers, &self.tls)?,
        };
        Ok(OtlpExporter::new(
            sender,
            self.timeout,
            self.retry,
            self.resource,
            Scope { name, version },
        ))
    }
}

#[cfg(feature = "otlp-grpc")]
fn grpc_sender(
    url: String,
    compression: OtlpCompression,
    headers: Vec<(String, String)>,
    tls: &TlsSettings,
) -> Result<Sender, OtlpConfigError> {
    let transport = super::grpc::GrpcTransport::new(url, compression, headers, tls)?;
    Ok(Sender::Grpc(Box::new(transport)))
}

#[cfg(not(feature = "otlp-grpc"))]
fn grpc_sender(
    _: String,
    _: OtlpCompression,
    _: Vec<(String, String)>,
    _: &TlsSettings,
) -> Result<Sender, OtlpConfigError> {
    Err(OtlpConfigError(
        "OTLP protocol grpc needs tracer's `otlp-grpc` feature; without it use http/protobuf (port 4318)".to_owned(),
    ))
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
        assert_eq!(
            OtlpExporter::builder().ca_certificate_pem("junk").build().unwrap_err(),
            OtlpConfigError("OTLP CA certificate: no PEM certificate (-----BEGIN CERTIFICATE-----) in it".to_owned())
        );
        let exporter = OtlpExporter::builder().build().unwrap();
        assert_eq!(exporter.url(), "http://localhost:4318/v1/traces");
        assert_eq!(exporter.timeout(), Duration::from_secs(10));
        assert_eq!(exporter.protocol(), OtlpProtocol::HttpProtobuf);
        assert_eq!(exporter.compression(), OtlpCompression::None);
    }
}
