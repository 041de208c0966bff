//! The basics: a manual span, a scoped span, child spans, an error, and
//! log lines that carry the trace id. The console exporter prints each
//! trace as a tree.
//!
//! Run it with `cargo run --example quickstart`.

use std::fmt;

use tracer::{Span, current_span_id, current_trace_id, in_span, trace};

fn main() {
    // Print every finished trace as a tree on stdout; flush at the end of main.
    let _tracer = tracer::init();

    manual_lifecycle();
    context_manager();
    process_order();
    let _ = traced_operation("usr_456");
    println!("({} spans exported)", exported());
}

/// A manual span lifecycle: start, tag, finish.
fn manual_lifecycle() {
    let span = Span::new("user_login");
    span.set_tag("user_id", "usr_123");
    span.set_tag("method", "password");
    // ... do work ...
    span.finish();
}

/// A scoped span: current inside the block and finished when it ends,
/// even if the code panics.
fn context_manager() {
    let span = Span::new("user_login").entered();
    span.set_tag("user_id", "usr_123");
    span.set_tag("method", "password");
    // ... do work ...
}

/// Child spans attach to the current span on their own.
fn process_order() {
    let span = Span::new("order_processing").entered();
    span.set_tag("order_id", "ord_123");

    in_span("payment_processing", |payment_span| {
        payment_span.set_tag("amount", 99.99);
        charge_card();
    });

    in_span("inventory_update", |inventory_span| {
        inventory_span.set_tag("items_count", 3);
    });
}

/// `#[trace]` does the same for a whole function: a span named after it,
/// a child of the current span.
#[trace]
fn charge_card() {
    std::thread::sleep(std::time::Duration::from_millis(2));
}

#[derive(Debug)]
struct PaymentDeclined;

impl fmt::Display for PaymentDeclined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("card declined")
    }
}

impl std::error::Error for PaymentDeclined {}

/// Log lines that carry the trace and span ids, and an error recorded on
/// the span (status error + exception event).
fn traced_operation(user_id: &str) -> Result<(), PaymentDeclined> {
    let span = Span::new("user_operation").entered();
    let trace_id = current_trace_id().map(|id| id.to_string()).unwrap_or_default();
    let span_id = current_span_id().map(|id| id.to_string()).unwrap_or_default();
    span.set_tag("user_id", user_id.to_string());

    log_line("operation_started", &trace_id, &span_id, user_id);
    match perform() {
        Ok(()) => {
            log_line("operation_completed", &trace_id, &span_id, user_id);
            Ok(())
        }
        Err(e) => {
            span.set_error(&e);
            log_line(&format!("operation_failed error={e:?}"), &trace_id, &span_id, user_id);
            Err(e)
        }
    }
}

fn perform() -> Result<(), PaymentDeclined> {
    Err(PaymentDeclined)
}

/// Stands in for a structured logger. With the `log` feature,
/// `tracer::logging::TraceLogger` adds these ids to every record for you.
fn log_line(event: &str, trace_id: &str, span_id: &str, user_id: &str) {
    eprintln!("INFO {event} trace_id={trace_id} span_id={span_id} user_id={user_id}");
}

fn exported() -> u64 {
    tracer::TracerProvider::global().map_or(0, |p| p.stats().processors.exported)
}
