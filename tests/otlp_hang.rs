//! A collector that accepts connections and never answers must not slow
//! the application: `span.finish()` stays fast, the full queue drops and
//! counts, and `force_flush`/`shutdown` return within their timeouts with
//! the number of spans not delivered.
//!
//! This binary installs the global provider, so it holds this one test.
#![cfg(feature = "otlp")]

mod otlp_receiver;

use std::time::{Duration, Instant};

use otlp_receiver::{Receiver, Reply};
use tracer::export::otlp::{OtlpExporter, RetryPolicy};
use tracer::processor::{BatchConfig, BatchSpanProcessor};
use tracer::{Span, TracerProvider};

#[test]
fn finish_stays_fast_while_the_collector_hangs() {
    let receiver = Receiver::start();
    receiver.set_default(Reply::Hang);
    let exporter = OtlpExporter::builder()
        .endpoint(receiver.endpoint())
        .timeout(Duration::from_secs(30))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let config = BatchConfig::default()
        .max_queue_size(200)
        .max_batch_size(10)
        .export_interval(Duration::from_millis(20));
    let _guard = TracerProvider::builder()
        .service_name("hang-test")
        .with_processor(BatchSpanProcessor::new(exporter, config))
        .install()
        .unwrap();
    let provider = TracerProvider::global().unwrap();

    // Get the export thread stuck inside a request the collector never
    // answers.
    for _ in 0..10 {
        Span::new("warm_up").finish();
    }
    assert_eq!(
        receiver.wait_for(1, Duration::from_secs(20)).len(),
        1,
        "the first export reached the collector"
    );

    // A blocked finish would wait for the 30 s network timeout; the bound is
    // generous for a loaded machine and far below that.
    let mut slowest = Duration::ZERO;
    for i in 0..5_000 {
        let span = Span::new("while_hanging");
        span.set_tag("i", i);
        let start = Instant::now();
        span.finish();
        slowest = slowest.max(start.elapsed());
    }
    assert!(
        slowest < Duration::from_millis(1500),
        "span.finish() blocked for {slowest:?}"
    );
    // The same from other threads.
    let threads: Vec<_> = (0..3)
        .map(|_| {
            std::thread::spawn(|| {
                let mut slowest = Duration::ZERO;
                for _ in 0..1_000 {
                    let span = Span::new("thread_while_hanging");
                    let start = Instant::now();
                    span.finish();
                    slowest = slowest.max(start.elapsed());
                }
                slowest
            })
        })
        .collect();
    for thread in threads {
        let slowest = thread.join().unwrap();
        assert!(
            slowest < Duration::from_millis(1500),
            "span.finish() blocked for {slowest:?}"
        );
    }

    let stats = provider.stats().processors;
    assert_eq!(stats.received, 10 + 5_000 + 3_000);
    assert!(
        stats.dropped_queue_full >= 8_010 - 200,
        "the bounded queue dropped the rest: {stats:?}"
    );

    // Flush and shutdown give up at their timeouts and say what is left.
    let start = Instant::now();
    let flush = provider
        .force_flush(Duration::from_millis(300))
        .expect_err("nothing can be delivered");
    assert!(flush.undelivered() > 0 && flush.undelivered() <= 200, "{flush}");
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "force_flush hung for {:?}",
        start.elapsed()
    );
    let start = Instant::now();
    let shut = provider
        .shutdown(Duration::from_millis(300))
        .expect_err("nothing can be delivered");
    assert!(shut.undelivered() > 0, "{shut}");
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "shutdown hung for {:?}",
        start.elapsed()
    );
    assert!(!Span::new("after_shutdown").is_recording());

    // Let the collector go: every span is accounted for, once the export
    // thread has counted what it held.
    receiver.release();
    let deadline = Instant::now() + Duration::from_secs(30);
    let stats = loop {
        let stats = provider.stats().processors;
        if stats.queued == 0 || Instant::now() > deadline {
            break stats;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(stats.queued, 0, "{stats:?}");
    assert_eq!(stats.exported, 0, "{stats:?}");
    assert_eq!(
        stats.received,
        stats.exported + stats.dropped_queue_full + stats.failed + stats.rejected,
        "every span is counted once: {stats:?}"
    );
    assert!(receiver.delivered_span_ids().is_empty());
}
