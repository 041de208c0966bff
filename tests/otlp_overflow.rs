//! Overflow: while the collector is stuck, several threads produce far more
//! spans than the batch queue holds. The surplus is dropped and counted,
//! and the count of drops equals the count of spans that never arrived.
//!
//! This binary installs the global provider, so it holds this one test.
#![cfg(feature = "otlp")]

mod otlp_receiver;

use std::collections::HashSet;
use std::time::Duration;

use otlp_receiver::{Receiver, Reply};
use tracer::export::otlp::{OtlpExporter, RetryPolicy};
use tracer::processor::{BatchConfig, BatchSpanProcessor};
use tracer::{Span, TracerProvider, in_span};

const THREADS: usize = 4;
const ROOTS_PER_THREAD: usize = 200;
const QUEUE: usize = 64;

#[test]
fn drops_equal_missing_spans() {
    let receiver = Receiver::start();
    // The first request hangs until released; the retry and everything
    // after it succeed.
    receiver.script([Reply::Hang]);
    let exporter = OtlpExporter::builder()
        .endpoint(receiver.endpoint())
        .timeout(Duration::from_secs(60))
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(10))
                .max_attempts(20),
        )
        .build()
        .unwrap();
    let config = BatchConfig::default()
        .max_queue_size(QUEUE)
        .max_batch_size(16)
        .export_interval(Duration::from_millis(20));
    let _guard = TracerProvider::builder()
        .with_processor(BatchSpanProcessor::new(exporter, config))
        .install()
        .unwrap();

    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            std::thread::spawn(|| {
                let mut ids = Vec::new();
                for _ in 0..ROOTS_PER_THREAD {
                    let root = Span::root("request").entered();
                    ids.push(root.span_id().unwrap().to_bytes());
                    in_span("child", |span| ids.push(span.span_id().unwrap().to_bytes()));
                }
                ids
            })
        })
        .collect();
    let created: HashSet<[u8; 8]> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    let total = THREADS * ROOTS_PER_THREAD * 2;
    assert_eq!(created.len(), total);

    receiver.release();
    let provider = TracerProvider::global().unwrap();
    provider
        .force_flush(Duration::from_secs(60))
        .expect("what was queued is delivered");
    let stats = provider.stats().processors;
    assert_eq!(stats.received, total as u64);
    assert!(stats.dropped_queue_full > 0, "the queue overflowed: {stats:?}");
    assert!(stats.exported <= QUEUE as u64, "{stats:?}");
    assert_eq!((stats.failed, stats.rejected, stats.queued), (0, 0, 0), "{stats:?}");
    assert!(stats.retries >= 1, "the hung request was retried: {stats:?}");

    let delivered = receiver.delivered_once();
    assert!(delivered.is_subset(&created));
    let missing = created.len() - delivered.len();
    assert_eq!(
        stats.dropped_queue_full, missing as u64,
        "drops counted == spans missing"
    );
    assert_eq!(stats.exported, delivered.len() as u64);
}
