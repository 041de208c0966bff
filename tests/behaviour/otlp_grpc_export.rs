//! The OTLP/gRPC exporter against tonic's real server on 127.0.0.1: every
//! span field, the resource and the scope arrive as the HTTP exporter
//! sends them (decoded by tonic with the official types), with the
//! headers as metadata and gzip as gRPC message compression.
#![cfg(feature = "otlp-grpc")]

use std::time::Duration;

use crate::otlp_export::{SERVICE, check_request, in_provider, sample_spans};
use crate::otlp_grpc_receiver::GrpcReceiver;
use tracer::export::SpanExporter;
use tracer::export::otlp::{OtlpCompression, OtlpExporter, OtlpProtocol};

fn grpc(receiver: &GrpcReceiver) -> tracer::export::otlp::OtlpExporterBuilder {
    OtlpExporter::builder()
        .protocol(OtlpProtocol::Grpc)
        .endpoint(receiver.endpoint())
        .timeout(Duration::from_secs(20))
}

#[test]
fn grpc_round_trips_every_field_with_headers_as_metadata() {
    let sent = sample_spans();
    let receiver = GrpcReceiver::start();
    let mut exporter = in_provider(grpc(&receiver).header("X-Api-Key", "secret-1"));
    assert_eq!(exporter.url(), receiver.endpoint(), "no /v1/traces over gRPC");
    exporter.export(&sent).unwrap();
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    let call = &requests[0];
    assert_eq!(call.metadata("x-api-key"), Some("secret-1"));
    assert_eq!(call.metadata("content-type"), Some("application/grpc"));
    assert_eq!(call.metadata("grpc-encoding"), None);
    let agent = call.metadata("user-agent").unwrap();
    assert!(
        agent.starts_with(concat!("tracer/", env!("CARGO_PKG_VERSION"))),
        "{agent}"
    );
    assert!(call.metadata("grpc-timeout").is_some(), "the deadline is sent");
    check_request(&call.request, &sent, ("tracer", env!("CARGO_PKG_VERSION")), SERVICE);
    assert_eq!(exporter.retries(), 0);
}

#[test]
fn grpc_gzip_carries_the_same_request() {
    let sent = sample_spans();
    let receiver = GrpcReceiver::start();
    in_provider(grpc(&receiver)).export(&sent).unwrap();
    in_provider(grpc(&receiver).compression(OtlpCompression::Gzip))
        .export(&sent)
        .unwrap();
    let requests = receiver.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].metadata("grpc-encoding"), Some("gzip"));
    assert_eq!(requests[1].request, requests[0].request);
    check_request(
        &requests[1].request,
        &sent,
        ("tracer", env!("CARGO_PKG_VERSION")),
        SERVICE,
    );
}

#[test]
fn grpc_traces_endpoint_is_the_collector_address() {
    let receiver = GrpcReceiver::start();
    let sent = sample_spans();
    let mut exporter = OtlpExporter::builder()
        .protocol(OtlpProtocol::Grpc)
        .traces_endpoint(receiver.endpoint())
        .build()
        .unwrap();
    exporter.export(&sent[..2]).unwrap();
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].spans().len(), 2);
}

#[test]
fn grpc_export_works_inside_an_async_runtime() {
    // A simple processor in async code exports on a runtime thread, where
    // the exporter's own runtime cannot block: it must still deliver.
    let receiver = GrpcReceiver::start();
    let sent = sample_spans();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut exporter = grpc(&receiver).build().unwrap();
    let result = runtime.block_on(async { exporter.export(&sent[..3]) });
    assert_eq!(result, Ok(()));
    // Dropped in async code too, which must not panic.
    runtime.block_on(async move { drop(exporter) });
    assert_eq!(receiver.requests().len(), 1);
    assert_eq!(receiver.requests()[0].spans().len(), 3);
}
