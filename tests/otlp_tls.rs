//! TLS to the collector, over HTTP (a rustls receiver) and gRPC (tonic's
//! server TLS), with certificates rcgen makes for each test: a trusted CA
//! delivers, an untrusted one fails at once (not retried) and is counted,
//! and a collector that requires mutual TLS takes a client certificate and
//! refuses a client without one. The `OTEL_EXPORTER_OTLP_*CERTIFICATE*`
//! and `*CLIENT_KEY` files configure the same, and a bad file is an error
//! naming its variable.
#![cfg(feature = "otlp")]

mod common;
#[cfg(feature = "otlp-grpc")]
mod otlp_grpc_receiver;
mod otlp_https_receiver;

use std::time::Duration;

use otlp_https_receiver::{HttpsReceiver, Pki};
use tracer::env::EnvConfig;
use tracer::export::otlp::{OtlpExporter, OtlpExporterBuilder, RetryPolicy};
use tracer::export::{ExportError, SpanExporter};
use tracer::processor::{BatchConfig, BatchSpanProcessor, SpanProcessor};
use tracer::{Span, SpanData};

/// `n` real finished spans.
fn spans(n: usize) -> Vec<SpanData> {
    let ((), spans) = common::traced(|| {
        for i in 0..n - 1 {
            Span::new(format!("work{i}")).finish();
        }
    });
    assert_eq!(spans.len(), n);
    spans
}

/// Retries allowed (a TLS failure must not use them) within a deadline.
fn exporter_to(endpoint: &str) -> OtlpExporterBuilder {
    OtlpExporter::builder()
        .endpoint(endpoint)
        .timeout(Duration::from_secs(20))
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(20))
                .max_attempts(5),
        )
}

fn span_names(request: &opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest) -> Vec<String> {
    let mut names: Vec<String> = request
        .resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .flat_map(|ss| &ss.spans)
        .map(|s| s.name.clone())
        .collect();
    names.sort();
    names
}

#[test]
fn https_with_the_ca_given_delivers() {
    let pki = Pki::new();
    let receiver = HttpsReceiver::start(&pki, false);
    let mut exporter = exporter_to(&receiver.endpoint())
        .ca_certificate_pem(pki.ca_pem.clone())
        .build()
        .unwrap();
    assert_eq!(exporter.export(&spans(3)), Ok(()));
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(span_names(&requests[0]), ["test_root", "work0", "work1"]);
    assert_eq!(receiver.failed_handshakes(), Vec::<String>::new());
}

#[test]
fn https_with_an_untrusted_certificate_fails_at_once_and_is_counted() {
    let pki = Pki::new();
    let receiver = HttpsReceiver::start(&pki, false);
    for exporter in [
        // The web roots do not know the test CA; nor does another CA.
        exporter_to(&receiver.endpoint()).build().unwrap(),
        exporter_to(&receiver.endpoint())
            .ca_certificate_pem(pki.other_ca_pem.clone())
            .build()
            .unwrap(),
    ] {
        let processor = BatchSpanProcessor::new(exporter, BatchConfig::default());
        processor.on_end_batch(spans(4).into());
        let error = processor.force_flush(Duration::from_secs(20)).expect_err("not trusted");
        assert!(error.reason.contains("not trusted"), "{error}");
        assert!(error.reason.contains("OTEL_EXPORTER_OTLP_CERTIFICATE"), "{error}");
        let stats = processor.stats();
        assert_eq!(
            (stats.received, stats.failed, stats.exported, stats.retries),
            (4, 4, 0, 0)
        );
        processor.shutdown(Duration::from_secs(5)).unwrap();
    }
    assert!(receiver.requests().is_empty());
    // One handshake per exporter: the failure was not retried.
    let failed = receiver.wait_for_failed_handshakes(2);
    assert_eq!(failed.len(), 2, "{failed:?}");
}

#[test]
fn https_mutual_tls_takes_a_client_certificate() {
    let pki = Pki::new();
    let receiver = HttpsReceiver::start(&pki, true);
    let mut exporter = exporter_to(&receiver.endpoint())
        .ca_certificate_pem(pki.ca_pem.clone())
        .client_identity_pem(pki.client_cert_pem.clone(), pki.client_key_pem.clone())
        .build()
        .unwrap();
    assert_eq!(exporter.export(&spans(2)), Ok(()));
    assert_eq!(receiver.requests().len(), 1);
    assert_eq!(span_names(&receiver.requests()[0]), ["test_root", "work0"]);
}

#[test]
fn https_mutual_tls_refuses_a_client_without_a_certificate() {
    // TLS 1.2: the refusal is an alert within the handshake, which the
    // exporter reads, reports with the fix, and does not retry.
    let pki = Pki::new();
    let receiver = HttpsReceiver::start_tls12(&pki, true);
    let mut exporter = exporter_to(&receiver.endpoint())
        .ca_certificate_pem(pki.ca_pem.clone())
        .build()
        .unwrap();
    let Err(ExportError::Failed(reason)) = exporter.export(&spans(2)) else {
        panic!("expected a failure")
    };
    assert!(reason.contains("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE"), "{reason}");
    assert_eq!(exporter.retries(), 0);
    assert!(receiver.requests().is_empty());
    assert_eq!(receiver.wait_for_failed_handshakes(1).len(), 1);
}

#[test]
fn https_mutual_tls_over_tls13_refuses_a_client_without_a_certificate() {
    // TLS 1.3: the server refuses after the handshake, and the client may
    // see only a closed connection (retried). Either way nothing is
    // delivered and the spans are counted as failed.
    let pki = Pki::new();
    let receiver = HttpsReceiver::start(&pki, true);
    let exporter = exporter_to(&receiver.endpoint())
        .ca_certificate_pem(pki.ca_pem.clone())
        .build()
        .unwrap();
    let processor = BatchSpanProcessor::new(exporter, BatchConfig::default());
    processor.on_end_batch(spans(3).into());
    processor
        .force_flush(Duration::from_secs(20))
        .expect_err("the collector refused the client");
    let stats = processor.stats();
    assert_eq!((stats.received, stats.failed, stats.exported), (3, 3, 0));
    assert!(receiver.requests().is_empty());
    let attempts = stats.retries as usize + 1;
    assert_eq!(receiver.wait_for_failed_handshakes(attempts).len(), attempts);
    processor.shutdown(Duration::from_secs(5)).unwrap();
}

#[test]
fn certificates_need_an_https_endpoint() {
    let pki = Pki::new();
    let error = OtlpExporter::builder()
        .endpoint("http://127.0.0.1:4318")
        .ca_certificate_pem(pki.ca_pem)
        .build()
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        r#"OTLP TLS certificates are set but the endpoint "http://127.0.0.1:4318/v1/traces" is not https://"#
    );
}

/// The configuration these variables give.
fn env(vars: &[(&str, String)]) -> EnvConfig {
    EnvConfig::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone()))
}

#[test]
fn tls_files_from_the_environment_with_traces_variables_winning() {
    let pki = Pki::new();
    let dir = pki.write_files("env");
    let receiver = HttpsReceiver::start(&pki, true);
    let path = |file: &str| dir.join(file).to_str().unwrap().to_owned();
    let config = env(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint()),
        // The general variable names the wrong CA; the traces one wins.
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", path("other-ca.pem")),
        ("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", path("ca.pem")),
        ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", path("client.pem")),
        ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", path("client.key")),
    ]);
    assert_eq!(config.warnings, Vec::<String>::new());
    let mut exporter = config.otlp.exporter().unwrap();
    assert_eq!(exporter.export(&spans(2)), Ok(()));
    assert_eq!(receiver.requests().len(), 1);
}

#[test]
fn a_bad_or_missing_tls_file_is_an_error_naming_its_variable() {
    let pki = Pki::new();
    let dir = pki.write_files("bad");
    let path = |file: &str| dir.join(file).to_str().unwrap().to_owned();
    let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://localhost:4318".to_owned());
    let error = |vars: &[(&str, String)]| env(vars).otlp.exporter().unwrap_err().to_string();

    let missing = path("nowhere.pem");
    let text = error(&[endpoint.clone(), ("OTEL_EXPORTER_OTLP_CERTIFICATE", missing.clone())]);
    assert!(
        text.starts_with(&format!("OTEL_EXPORTER_OTLP_CERTIFICATE={missing}: cannot read it: ")),
        "{text}"
    );
    // A key where a certificate should be.
    let text = error(&[
        endpoint.clone(),
        ("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", path("client.key")),
    ]);
    assert_eq!(
        text,
        format!(
            "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE={}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it",
            path("client.key")
        )
    );
    let text = error(&[
        endpoint.clone(),
        ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", path("client.pem")),
        ("OTEL_EXPORTER_OTLP_CLIENT_KEY", path("client.pem")),
    ]);
    assert_eq!(
        text,
        format!(
            "OTEL_EXPORTER_OTLP_CLIENT_KEY={}: no PEM private key (-----BEGIN PRIVATE KEY-----) in it",
            path("client.pem")
        )
    );
    let text = error(&[endpoint, ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", path("client.pem"))]);
    assert_eq!(
        text,
        "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE is set without OTEL_EXPORTER_OTLP_CLIENT_KEY: mutual TLS needs both"
    );
}

#[cfg(feature = "otlp-grpc")]
mod grpc {
    use super::*;
    use otlp_grpc_receiver::GrpcReceiver;
    use tracer::export::otlp::OtlpProtocol;

    fn grpc_to(receiver: &GrpcReceiver) -> OtlpExporterBuilder {
        exporter_to(&receiver.endpoint_localhost()).protocol(OtlpProtocol::Grpc)
    }

    #[test]
    fn grpc_with_the_ca_given_delivers() {
        let pki = Pki::new();
        let receiver = GrpcReceiver::start_with(0, Some(pki.tonic_server(false)));
        let mut exporter = grpc_to(&receiver)
            .ca_certificate_pem(pki.ca_pem.clone())
            .build()
            .unwrap();
        assert_eq!(exporter.export(&spans(3)), Ok(()));
        let requests = receiver.requests();
        assert_eq!(requests.len(), 1);
        assert_eq!(span_names(&requests[0].request), ["test_root", "work0", "work1"]);
    }

    #[test]
    fn grpc_with_an_untrusted_certificate_fails_at_once_and_is_counted() {
        let pki = Pki::new();
        let receiver = GrpcReceiver::start_with(0, Some(pki.tonic_server(false)));
        let exporter = grpc_to(&receiver)
            .ca_certificate_pem(pki.other_ca_pem.clone())
            .build()
            .unwrap();
        let processor = BatchSpanProcessor::new(exporter, BatchConfig::default());
        processor.on_end_batch(spans(4).into());
        let error = processor.force_flush(Duration::from_secs(20)).expect_err("not trusted");
        assert!(error.reason.contains("not trusted"), "{error}");
        let stats = processor.stats();
        assert_eq!(
            (stats.received, stats.failed, stats.exported, stats.retries),
            (4, 4, 0, 0)
        );
        processor.shutdown(Duration::from_secs(5)).unwrap();
        assert!(receiver.requests().is_empty());
    }

    #[test]
    fn grpc_mutual_tls_takes_a_client_certificate() {
        let pki = Pki::new();
        let receiver = GrpcReceiver::start_with(0, Some(pki.tonic_server(true)));
        let mut exporter = grpc_to(&receiver)
            .ca_certificate_pem(pki.ca_pem.clone())
            .client_identity_pem(pki.client_cert_pem.clone(), pki.client_key_pem.clone())
            .build()
            .unwrap();
        assert_eq!(exporter.export(&spans(2)), Ok(()));
        assert_eq!(receiver.requests().len(), 1);
    }

    #[test]
    fn grpc_mutual_tls_refuses_a_client_without_a_certificate() {
        // tonic's server refuses after the TLS 1.3 handshake and closes at
        // once: the client may read the alert or only a closed connection.
        // Either way nothing is delivered and the spans are counted failed.
        let pki = Pki::new();
        let receiver = GrpcReceiver::start_with(0, Some(pki.tonic_server(true)));
        let exporter = grpc_to(&receiver)
            .ca_certificate_pem(pki.ca_pem.clone())
            .build()
            .unwrap();
        let processor = BatchSpanProcessor::new(exporter, BatchConfig::default());
        processor.on_end_batch(spans(3).into());
        let error = processor
            .force_flush(Duration::from_secs(20))
            .expect_err("the collector refused the client");
        assert!(
            error.reason.contains("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE") || error.reason.contains("connection"),
            "{error}"
        );
        let stats = processor.stats();
        assert_eq!((stats.received, stats.failed, stats.exported), (3, 3, 0));
        assert!(receiver.requests().is_empty());
        processor.shutdown(Duration::from_secs(5)).unwrap();
    }
}
