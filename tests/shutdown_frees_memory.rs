//! After `shutdown()`, the record buffers a batch processor's queue held,
//! and those the pool kept for them, go back to the allocator. One test in
//! its own binary: it reads the process's live heap bytes.

#[path = "support/counting_allocator.rs"]
mod counting_allocator;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use counting_allocator::{CountingAllocator, live_bytes};
use tracer::export::{ExportError, SpanExporter};
use tracer::processor::{BatchConfig, BatchSpanProcessor};
use tracer::{Span, SpanData, TracerProvider, in_span};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Exports only while its gate is open, counting what it exported.
struct Gated {
    open: Arc<(Mutex<bool>, Condvar)>,
    exported: Arc<AtomicUsize>,
}

impl SpanExporter for Gated {
    fn export(&mut self, batch: &[SpanData]) -> Result<(), ExportError> {
        let (open, changed) = &*self.open;
        let _open = changed.wait_while(open.lock().unwrap(), |open| !*open).unwrap();
        self.exported.fetch_add(batch.len(), Ordering::Relaxed);
        Ok(())
    }
}

fn set_gate(gate: &(Mutex<bool>, Condvar), open: bool) {
    *gate.0.lock().unwrap() = open;
    gate.1.notify_all();
}

/// One trace of `SPANS` spans: small enough that its buffer is pooled.
fn one_trace() {
    let _root = Span::root("root").entered();
    for _ in 1..SPANS {
        in_span("child", |_| {});
    }
}

const SPANS: usize = 200;
const THREADS: usize = 4;
const TRACES_PER_THREAD: usize = 100;
const MIB: isize = 1 << 20;

#[test]
fn shutdown_gives_the_queue_and_the_pool_back() {
    let gate = Arc::new((Mutex::new(true), Condvar::new()));
    let exported = Arc::new(AtomicUsize::new(0));
    let processor = BatchSpanProcessor::new(
        Gated {
            open: Arc::clone(&gate),
            exported: Arc::clone(&exported),
        },
        BatchConfig::default()
            .max_queue_size(THREADS * TRACES_PER_THREAD * SPANS)
            .max_batch_size(512)
            .export_interval(Duration::from_secs(3600)),
    );
    let guard = TracerProvider::builder().with_processor(processor).install().unwrap();
    let provider = guard.provider().unwrap();
    one_trace();
    provider.force_flush(Duration::from_secs(10)).unwrap();
    let baseline = live_bytes();

    // The exporter stalls: every span waits in the queue.
    set_gate(&gate, false);
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            std::thread::spawn(|| {
                for _ in 0..TRACES_PER_THREAD {
                    one_trace();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let queued = provider.stats().processors.queued;
    assert_eq!(queued, (THREADS * TRACES_PER_THREAD * SPANS) as u64, "nothing dropped");
    let peak = live_bytes();
    assert!(
        peak - baseline > 20 * MIB,
        "the queued records are in memory: {} MiB",
        (peak - baseline) / MIB
    );

    set_gate(&gate, true);
    provider.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!(
        exported.load(Ordering::Relaxed),
        SPANS + THREADS * TRACES_PER_THREAD * SPANS
    );
    let after = live_bytes();
    assert!(
        after - baseline < MIB,
        "{} KiB still held after shutdown (peak {} MiB above the start)",
        (after - baseline) >> 10,
        (peak - baseline) / MIB
    );
    std::mem::forget(guard);
}
