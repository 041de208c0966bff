//! Sends traces to Jaeger, Grafana Tempo or an OpenTelemetry Collector over
//! OTLP/HTTP or OTLP/gRPC, configured from the standard `OTEL_*`
//! environment variables.
//!
//! Start Jaeger (its UI on port 16686, OTLP/HTTP on 4318):
//!
//! ```text
//! docker run --rm --name jaeger -p 16686:16686 -p 4318:4318 jaegertracing/all-in-one:latest
//! ```
//!
//! Then run the example and open <http://localhost:16686>:
//!
//! ```text
//! OTEL_SERVICE_NAME=otlp-example \
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 \
//!     cargo run --example otlp --features otlp
//! ```
//!
//! Over gRPC (port 4317; `-p 4317:4317` for Jaeger), with the `otlp-grpc`
//! feature:
//!
//! ```text
//! OTEL_SERVICE_NAME=otlp-example OTEL_EXPORTER_OTLP_PROTOCOL=grpc \
//!     cargo run --example otlp --features otlp-grpc
//! ```
//!
//! `cargo run --example otlp_grpc_receiver --features otlp-grpc` is a
//! small gRPC collector on port 4317 that prints what it receives.
//!
//! Without a collector the example still ends promptly: the export fails,
//! is retried within its timeout, and the spans are reported as not
//! delivered.

use std::time::Duration;

use tracer::{KeyValue, Span, SpanKind, Status, TracerProvider, in_span};

fn main() {
    // Reads OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT, ... and installs
    // an OTLP exporter behind a batch processor (OTEL_TRACES_EXPORTER
    // defaults to `otlp`). Use `OTEL_TRACES_EXPORTER=console` to print
    // instead.
    let guard = tracer::init_from_env();

    for order in 1..=3 {
        handle_checkout(order);
    }

    // Flush and stop, waiting at most the default 5 s even if the collector
    // hangs, and say what was not delivered.
    let provider = TracerProvider::global();
    match guard.shutdown() {
        Ok(()) => println!("all spans delivered"),
        Err(e) => eprintln!("not everything was delivered: {e}"),
    }
    if let Some(provider) = provider {
        let stats = provider.stats().processors;
        println!(
            "exported {}, failed {}, dropped {}, retries {}",
            stats.exported, stats.failed, stats.dropped_queue_full, stats.retries
        );
    }
}

fn handle_checkout(order: u32) {
    let request = Span::builder("POST /checkout")
        .kind(SpanKind::Server)
        .attribute("http.request.method", "POST")
        .attribute("order.id", i64::from(order))
        .entered();
    in_span("load_cart", |span| {
        span.set_tag("cart.items", vec![1_i64, 2, 3]);
        std::thread::sleep(Duration::from_millis(5));
    });
    in_span("charge_card", |span| {
        span.add_event("payment.authorized", [KeyValue::new("amount", 99.99)]);
        if order == 3 {
            span.set_status(Status::error("card declined"));
        }
    });
    request.set_tag("http.response.status_code", 200);
}
