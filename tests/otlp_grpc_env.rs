//! `init_from_env()` with `OTEL_EXPORTER_OTLP_PROTOCOL=grpc`: the endpoint
//! is used as given (no `/v1/traces`), headers become metadata, gzip is
//! gRPC compression, and the spans reach tonic's real server.
//!
//! This binary sets the process environment and installs the global
//! provider, so it holds this one test.
#![cfg(feature = "otlp-grpc")]

mod otlp_grpc_receiver;

use otlp_grpc_receiver::GrpcReceiver;
use tracer::export::otlp::OtlpProtocol;
use tracer::{Span, TracerProvider};

#[test]
fn init_from_env_exports_over_grpc() {
    let receiver = GrpcReceiver::start();
    let vars = [
        ("OTEL_SERVICE_NAME", "grpc-env-service".to_owned()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc".to_owned()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint()),
        ("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=s3cr%3Dt".to_owned()),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip".to_owned()),
        ("OTEL_BSP_SCHEDULE_DELAY", "50".to_owned()),
    ];
    for (name, value) in &vars {
        // TODO: Audit that the environment access only happens in single-threaded code.
        unsafe { std::env::set_var(name, value) };
    }
    let config = tracer::env::EnvConfig::from_env();
    assert_eq!(config.warnings, Vec::<String>::new());
    assert_eq!(config.otlp.protocol, OtlpProtocol::Grpc);
    assert_eq!(config.otlp.url, receiver.endpoint());

    let guard = tracer::init_from_env();
    let root = Span::new("grpc_root").entered();
    Span::new("grpc_child").finish();
    drop(root);
    let provider = TracerProvider::global().expect("installed");
    guard.shutdown().expect("every span delivered");
    assert_eq!(provider.stats().processors.exported, 2);

    let requests = receiver.requests();
    let spans: Vec<_> = requests.iter().flat_map(|r| r.spans()).collect();
    assert_eq!(spans.len(), 2);
    let root = spans.iter().find(|s| s.name == "grpc_root").unwrap();
    let child = spans.iter().find(|s| s.name == "grpc_child").unwrap();
    assert_eq!(child.parent_span_id, root.span_id);
    assert_eq!(child.trace_id, root.trace_id);
    for request in &requests {
        assert_eq!(request.metadata("x-api-key"), Some("s3cr=t"));
        assert_eq!(request.metadata("grpc-encoding"), Some("gzip"));
    }
}
