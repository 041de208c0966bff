//! TLS to the collector: the CA bundle to trust and the client identity
//! for mutual TLS, checked when the exporter is built and turned into the
//! configuration of ureq (HTTP) or tonic (gRPC); and telling a TLS failure
//! (which retrying does not cure) from a connection error.

use std::fmt;

use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};

/// The report key for TLS failures (statuses use theirs): each kind of
/// problem is logged once.
pub(super) const TLS_REPORT_KEY: u16 = 2;

/// PEM material given to the builder.
#[derive(Clone, Default)]
pub(super) struct TlsSettings {
    /// Certificates to trust instead of the built-in web roots.
    pub(super) ca_pem: Option<Vec<u8>>,
    /// The client certificate chain and its private key.
    pub(super) identity_pem: Option<(Vec<u8>, Vec<u8>)>,
}

impl fmt::Debug for TlsSettings {
    // Never the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSettings")
            .field("ca_certificate", &self.ca_pem.is_some())
            .field("client_identity", &self.identity_pem.is_some())
            .finish()
    }
}

/// The certificates in a PEM bundle; an error if there is none or one is
/// malformed.
pub(crate) fn certificates(pem: &[u8]) -> Result<Vec<Certificate<'static>>, String> {
    let mut found = Vec::new();
    for item in ureq::tls::parse_pem(pem) {
        match item {
            Ok(PemItem::Certificate(cert)) => found.push(cert),
            Ok(_) => {}
            Err(e) => return Err(format!("not valid PEM: {e}")),
        }
    }
    if found.is_empty() {
        return Err("no PEM certificate (-----BEGIN CERTIFICATE-----) in it".to_owned());
    }
    Ok(found)
}

/// The private key in a PEM file (PKCS#8, PKCS#1 or SEC1).
pub(crate) fn private_key(pem: &[u8]) -> Result<PrivateKey<'static>, String> {
    for item in ureq::tls::parse_pem(pem) {
        match item {
            Ok(PemItem::PrivateKey(key)) => return Ok(key),
            Ok(_) => {}
            Err(e) => return Err(format!("not valid PEM: {e}")),
        }
    }
    Err("no PEM private key (-----BEGIN PRIVATE KEY-----) in it".to_owned())
}

impl TlsSettings {
    /// Checks the PEM material, naming what is wrong.
    pub(super) fn check(&self) -> Result<(), String> {
        if let Some(ca) = &self.ca_pem {
            certificates(ca).map_err(|e| format!("OTLP CA certificate: {e}"))?;
        }
        if let Some((chain, key)) = &self.identity_pem {
            certificates(chain).map_err(|e| format!("OTLP client certificate: {e}"))?;
            private_key(key).map_err(|e| format!("OTLP client key: {e}"))?;
        }
        Ok(())
    }

    /// ureq's TLS configuration; `None` for the defaults (web roots, no
    /// client certificate).
    pub(super) fn ureq(&self) -> Result<Option<TlsConfig>, String> {
        if self.ca_pem.is_none() && self.identity_pem.is_none() {
            return Ok(None);
        }
        let mut config = TlsConfig::builder();
        if let Some(ca) = &self.ca_pem {
            config = config.root_certs(RootCerts::new_with_certs(&certificates(ca)?));
        }
        if let Some((chain, key)) = &self.identity_pem {
            let identity = ClientCert::new_with_certs(&certificates(chain)?, private_key(key)?);
            config = config.client_cert(Some(identity));
        }
        Ok(Some(config.build()))
    }

    /// tonic's TLS configuration for an `https://` endpoint: the CA given
    /// (else the web roots, as over HTTP) and the client identity.
    #[cfg(feature = "otlp-grpc")]
    pub(super) fn tonic(&self) -> tonic::transport::ClientTlsConfig {
        use tonic::transport::{Certificate as TonicCertificate, ClientTlsConfig, Identity};
        let mut config = ClientTlsConfig::new();
        config = match &self.ca_pem {
            Some(ca) => config.ca_certificate(TonicCertificate::from_pem(ca)),
            None => config.with_webpki_roots(),
        };
        if let Some((chain, key)) = &self.identity_pem {
            config = config.identity(Identity::from_pem(chain, key));
        }
        config
    }
}

/// What went wrong, and what setting fixes it, when `error` (an attempt's
/// error, with its chain of causes) is a TLS failure; `None` otherwise.
pub(super) fn tls_failure(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut next = Some(error);
    while let Some(current) = next {
        if let Some(tls) = current.downcast_ref::<rustls::Error>() {
            return Some(describe(tls));
        }
        let io = current.downcast_ref::<std::io::Error>();
        // An alert after the handshake (a refused client certificate, in
        // TLS 1.3) reaches hyper as the text of rustls' error only.
        if let Some(io) = io.filter(|io| io.kind() == std::io::ErrorKind::InvalidData) {
            let text = io.to_string();
            if let Some(alert) = text.strip_prefix("received fatal alert: ") {
                let refused = CERTIFICATE_ALERTS.iter().any(|a| format!("{a:?}") == alert);
                return Some(format!("TLS: {text}; {}", if refused { REFUSED } else { FAILED }));
            }
        }
        // `io::Error::source` skips the error it wraps: look at that one.
        next = match io.and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => current.source(),
        };
    }
    None
}

const UNTRUSTED: &str = "the collector's certificate is not trusted: give its CA with OTEL_EXPORTER_OTLP_CERTIFICATE (or `ca_certificate_pem`)";
const REFUSED: &str = "the collector refused this client's certificate, or wants one: set OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY (or `client_identity_pem`)";
const FAILED: &str = "the TLS handshake with the collector failed";

/// The alerts a server sends about the client's certificate.
const CERTIFICATE_ALERTS: [rustls::AlertDescription; 8] = {
    use rustls::AlertDescription as A;
    [
        A::CertificateRequired,
        A::BadCertificate,
        A::UnknownCA,
        A::CertificateUnknown,
        A::AccessDenied,
        A::CertificateExpired,
        A::CertificateRevoked,
        A::UnsupportedCertificate,
    ]
};

fn describe(error: &rustls::Error) -> String {
    let hint = match error {
        rustls::Error::InvalidCertificate(_) => UNTRUSTED,
        rustls::Error::AlertReceived(alert) if CERTIFICATE_ALERTS.contains(alert) => REFUSED,
        _ => FAILED,
    };
    format!("TLS: {error}; {hint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_problems_are_named() {
        let settings = TlsSettings {
            ca_pem: Some(b"not a certificate".to_vec()),
            identity_pem: None,
        };
        assert_eq!(
            settings.check(),
            Err("OTLP CA certificate: no PEM certificate (-----BEGIN CERTIFICATE-----) in it".to_owned())
        );
        assert_eq!(
            private_key(b"").unwrap_err(),
            "no PEM private key (-----BEGIN PRIVATE KEY-----) in it"
        );
        assert_eq!(TlsSettings::default().ureq().map(|c| c.is_none()), Ok(true));
    }

    #[test]
    fn debug_shows_no_key() {
        let settings = TlsSettings {
            ca_pem: None,
            identity_pem: Some((b"chain".to_vec(), b"SECRET KEY".to_vec())),
        };
        let text = format!("{settings:?}");
        assert!(
            text.contains("client_identity: true") && !text.contains("SECRET"),
            "{text}"
        );
    }

    #[test]
    fn tls_failures_are_found_inside_io_errors() {
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, tls);
        assert_eq!(
            tls_failure(&io).unwrap(),
            format!("TLS: invalid peer certificate: UnknownIssuer; {UNTRUSTED}")
        );
        let plain = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(tls_failure(&plain), None);
    }

    #[test]
    fn alerts_known_only_by_their_text_are_recognised() {
        let alert = rustls::Error::AlertReceived(rustls::AlertDescription::CertificateRequired);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, alert.to_string());
        assert_eq!(
            tls_failure(&io).unwrap(),
            format!("TLS: received fatal alert: CertificateRequired; {REFUSED}")
        );
        let other = std::io::Error::new(std::io::ErrorKind::InvalidData, "received fatal alert: DecodeError");
        assert_eq!(
            tls_failure(&other).unwrap(),
            format!("TLS: received fatal alert: DecodeError; {FAILED}")
        );
        let not_tls = std::io::Error::new(std::io::ErrorKind::InvalidData, "bad frame");
        assert_eq!(tls_failure(&not_tls), None);
    }
}
