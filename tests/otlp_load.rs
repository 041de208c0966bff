//! Load: many spans from several threads through the batch processor and
//! the OTLP exporter to a real receiver. Under capacity every span id
//! arrives exactly once.
//!
//! This binary installs the global provider, so it holds this one test.
#![cfg(feature = "otlp")]

mod otlp_receiver;

use std::collections::HashSet;
use std::time::Duration;

use otlp_receiver::Receiver;
use tracer::export::otlp::{OtlpCompression, OtlpExporter};
use tracer::processor::{BatchConfig, BatchSpanProcessor};
use tracer::{Span, TracerProvider, in_span};

const THREADS: usize = 4;
const ROOTS_PER_THREAD: usize = 500;
const CHILDREN: usize = 4;

#[test]
fn every_span_arrives_exactly_once_under_capacity() {
    let receiver = Receiver::start();
    let exporter = OtlpExporter::builder()
        .endpoint(receiver.endpoint())
        .compression(OtlpCompression::Gzip)
        .build()
        .unwrap();
    let config = BatchConfig::default()
        .max_queue_size(100_000)
        .max_batch_size(512)
        .export_interval(Duration::from_millis(50));
    let _guard = TracerProvider::builder()
        .service_name("load-test")
        .with_processor(BatchSpanProcessor::new(exporter, config))
        .install()
        .unwrap();

    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            std::thread::spawn(move || {
                let mut ids = Vec::with_capacity(ROOTS_PER_THREAD * (CHILDREN + 1));
                for r in 0..ROOTS_PER_THREAD {
                    let root = Span::root("request").entered();
                    root.set_tag("thread", t as i64);
                    root.set_tag("request", r as i64);
                    ids.push(root.span_id().unwrap().to_bytes());
                    for c in 0..CHILDREN {
                        in_span("step", |span| {
                            span.set_tag("step", c as i64);
                            ids.push(span.span_id().unwrap().to_bytes());
                        });
                    }
                }
                ids
            })
        })
        .collect();
    let mut created = HashSet::new();
    for thread in threads {
        for id in thread.join().unwrap() {
            assert!(created.insert(id), "span ids are unique");
        }
    }
    let total = THREADS * ROOTS_PER_THREAD * (CHILDREN + 1);
    assert_eq!(created.len(), total);

    let provider = TracerProvider::global().unwrap();
    provider
        .force_flush(Duration::from_secs(60))
        .expect("everything is delivered");
    let stats = provider.stats().processors;
    assert_eq!(stats.received, total as u64);
    assert_eq!(stats.exported, total as u64, "{stats:?}");
    assert_eq!(
        (stats.dropped_queue_full, stats.failed, stats.rejected, stats.queued),
        (0, 0, 0, 0)
    );
    let delivered = receiver.delivered_once();
    assert_eq!(delivered, created, "every span id exactly once");
    let requests = receiver.requests();
    assert!(
        requests.iter().all(|r| r.spans().len() <= 512),
        "batches respect max_batch_size"
    );
    assert!(requests.iter().all(|r| r.header("content-encoding") == Some("gzip")));
}
