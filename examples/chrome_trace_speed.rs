//! How fast `ChromeTraceExporter` writes: records 100 000 real spans (a
//! root with two attributes and nine children with one each, one with an
//! event), then exports them ten times over, in batches of 512: into
//! `io::sink()` (the exporter's own work), then into a file in the
//! temporary directory (adding the kernel's copy; the file is removed).
//!
//! ```text
//! cargo run --release --example chrome_trace_speed
//! ```

use std::time::Instant;

use tracer::export::{ChromeTraceExporter, InMemoryExporter, SpanExporter};
use tracer::{KeyValue, Span, SpanData, TracerProvider, in_span};

const ROUNDS: usize = 10;

fn record_spans() -> Vec<SpanData> {
    let memory = InMemoryExporter::new();
    let guard = TracerProvider::builder()
        .service_name("speed")
        .with_simple_exporter(memory.clone())
        .install()
        .expect("no other provider in this example");
    for order in 0..10_000 {
        let root = Span::root("handle_request").entered();
        root.set_tag("http.route", "/orders/{id}");
        root.set_tag("order.id", order);
        for step in 0..9 {
            in_span("step", |span| {
                span.set_tag("step", step);
                if step == 4 {
                    span.add_event("cache_miss", [KeyValue::new("key", "user:123")]);
                }
            });
        }
    }
    drop(guard);
    memory.take()
}

fn measure(what: &str, spans: &[SpanData], mut exporter: ChromeTraceExporter) {
    let started = Instant::now();
    for _ in 0..ROUNDS {
        for batch in spans.chunks(512) {
            exporter.export(batch).expect("the output takes the events");
        }
    }
    exporter.shutdown().expect("the output takes the events");
    let elapsed = started.elapsed().as_secs_f64();
    let total = spans.len() * ROUNDS;
    println!(
        "{what}: {total} spans in {elapsed:.3} s, {:.2} million spans per second",
        total as f64 / elapsed / 1e6
    );
}

fn main() {
    let spans = record_spans();
    measure("into io::sink()", &spans, ChromeTraceExporter::new(std::io::sink()));
    let path = std::env::temp_dir().join(format!("tracer-chrome-speed-{}.json", std::process::id()));
    let exporter = ChromeTraceExporter::create(&path).expect("the temporary directory is writable");
    measure("into a file", &spans, exporter);
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!("file size: {} bytes per span", bytes / (spans.len() * ROUNDS) as u64);
    let _ = std::fs::remove_file(&path);
}
