//! A tiny OTLP/gRPC collector on `127.0.0.1:4317` (or the port given as
//! the first argument) that prints every span it receives, to try the gRPC
//! exporter without installing a collector:
//!
//! ```text
//! cargo run --example otlp_grpc_receiver --features otlp-grpc
//! # in another terminal:
//! OTEL_EXPORTER_OTLP_PROTOCOL=grpc cargo run --example otlp --features otlp-grpc
//! ```
//!
//! It is tonic's server with the `TraceService` that `opentelemetry-proto`
//! generates; it stops on Ctrl-C.

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use tonic::codec::CompressionEncoding;
use tonic::{Request, Response, Status};

struct PrintingCollector;

#[tonic::async_trait]
impl TraceService for PrintingCollector {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        for resource_spans in request.into_inner().resource_spans {
            let service = resource_spans
                .resource
                .iter()
                .flat_map(|r| &r.attributes)
                .find(|kv| kv.key == "service.name")
                .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                    Value::StringValue(name) => Some(name.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            for span in resource_spans.scope_spans.iter().flat_map(|s| &s.spans) {
                let micros = span.end_time_unix_nano.saturating_sub(span.start_time_unix_nano) / 1000;
                println!(
                    "{service}: {} trace={} span={} parent={} {micros} µs",
                    span.name,
                    hex(&span.trace_id),
                    hex(&span.span_id),
                    hex(&span.parent_span_id)
                );
            }
        }
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::args().nth(1).map_or(Ok(4317), |p| p.parse())?;
    let address = ([127, 0, 0, 1], port).into();
    println!("OTLP/gRPC receiver on http://{address}");
    tonic::transport::Server::builder()
        .add_service(TraceServiceServer::new(PrintingCollector).accept_compressed(CompressionEncoding::Gzip))
        .serve_with_shutdown(address, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
