//! An async service: `#[trace]` on async functions with kinds, the span
//! builder with attributes and links, events and status, `current_span()`,
//! `current_trace_id()` and `current_span_id()` from deep inside, a custom
//! sampler, and a batch processor.
//!
//! Run it with `cargo run --example async_service`.

use std::time::Duration;

use tracer::export::ConsoleExporter;
use tracer::processor::{BatchConfig, BatchSpanProcessor};
use tracer::{
    FutureExt, KeyValue, Span, SpanId, SpanKind, Status, TraceId, TracerProvider, current_span, current_span_id,
    current_trace_id, trace,
};

/// A closure sampler: always sample under a parent; a new trace is sampled
/// unless its root is a `/health` request.
fn my_sampler(_trace_id: TraceId, parent_id: Option<SpanId>, name: &str) -> bool {
    parent_id.is_some() || !name.contains("/health")
}

#[tokio::main]
async fn main() {
    let guard = TracerProvider::builder()
        .service_name("uno-demo")
        .sampler(my_sampler)
        // Batches of at most 100 spans, exported at least every 5 seconds.
        .with_processor(BatchSpanProcessor::new(
            ConsoleExporter::new(),
            BatchConfig::default()
                .max_batch_size(100)
                .export_interval(Duration::from_secs(5)),
        ))
        .install()
        .expect("the only provider");

    handle_request("GET /health").await;
    handle_request("GET /orders/42").await;

    // Deliver what the batch processor still holds, then stop.
    guard.shutdown().expect("all spans delivered");
}

/// A SERVER span named after the function, recording the `route` argument.
#[trace(kind = SpanKind::Server, args(route))]
async fn handle_request(route: &str) {
    let total = my_function(20, 22).await;
    current_span().set_tag("total", total);
    if let Err(e) = load_customer(7).await {
        current_span().set_status(Status::error(e.to_string()));
    }
}

/// A span with its own name and an explicit kind.
#[trace(name = "my_operation", kind = SpanKind::Internal)]
async fn my_function(arg1: i64, arg2: i64) -> i64 {
    tokio::time::sleep(Duration::from_millis(1)).await;
    arg1 + arg2
}

/// The span builder: a kind, attributes and a link, then the span made
/// current on every poll of a future.
async fn load_customer(customer_id: i64) -> Result<(), std::io::Error> {
    let related = current_span().context();
    let span = Span::builder("load_customer")
        .kind(SpanKind::Client)
        .attribute("customer_id", customer_id)
        .attributes([KeyValue::new("product_id", "456")]);
    let span = match related {
        Some(context) => span.link(context, [KeyValue::new("reason", "related-work")]),
        None => span,
    }
    .start();

    async {
        // Add events and attributes from deep inside.
        some_function();
        current_span().add_event("cache_miss", [KeyValue::new("key", "user:123")]);
        tokio::time::sleep(Duration::from_millis(1)).await;
        current_span().set_status(Status::error("Database connection failed"));
        Err(std::io::Error::other("Database connection failed"))
    }
    .in_span(span)
    .await
}

/// The current span, trace id and span id, from anywhere.
fn some_function() {
    let span = current_span();
    span.add_event("something_happened", []);
    let trace_id = current_trace_id().map(|id| id.to_string()).unwrap_or_default();
    let span_id = current_span_id().map(|id| id.to_string()).unwrap_or_default();
    println!("Trace ID: {trace_id}, Span ID: {span_id}");
}
