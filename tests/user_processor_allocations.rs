//! A processor written outside tracer gets the same hand-over as the
//! built-in ones: it receives each thread's spans as a `SpanBatch`, and
//! dropping the batch gives its buffer back to the thread, so that spans
//! cost no allocation once the thread's buffers are warm. The allocator
//! here counts allocations made on the test's own thread while it is
//! measuring.

#[path = "support/counting_allocator.rs"]
mod counting_allocator;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use counting_allocator::{CountingAllocator, allocations_in};
use tracer::processor::{SpanBatch, SpanProcessor};
use tracer::{Span, SpanData, TracerProvider, in_span, trace};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// What the user's processor saw, counted without allocating.
#[derive(Default)]
struct Seen {
    spans: AtomicUsize,
    roots: AtomicUsize,
    children_of_a_root: AtomicUsize,
}

/// The user's processor: looks at every span and drops the batch. Once
/// `keep` is set it keeps each batch's spans instead (`into_vec`), so the
/// buffers never go back: the control case, which must allocate.
struct UserProcessor {
    seen: Arc<Seen>,
    keep: Arc<AtomicBool>,
    kept: Mutex<Vec<Vec<SpanData>>>,
}

impl SpanProcessor for UserProcessor {
    fn on_end(&self, span: SpanData) {
        self.on_end_batch(SpanBatch::from(vec![span]));
    }

    fn on_end_batch(&self, mut batch: SpanBatch) {
        batch.retain_sampled();
        for span in batch.iter() {
            let Some(parent) = span.parent_span_id else {
                self.seen.roots.fetch_add(1, Ordering::Relaxed);
                continue;
            };
            if batch
                .iter()
                .any(|s| s.span_id() == parent && s.parent_span_id.is_none())
            {
                self.seen.children_of_a_root.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.seen.spans.fetch_add(batch.len(), Ordering::Relaxed);
        if self.keep.load(Ordering::Relaxed) {
            self.kept.lock().unwrap().push(batch.into_vec());
        }
    }
}

#[trace]
fn traced_child() {}

/// One trace: a root with children made every public way.
fn one_trace() {
    let root = Span::root("root").entered();
    for _ in 0..4 {
        in_span("in_span_child", |_| {});
        let guard = Span::new("entered_child").entered();
        drop(guard);
        traced_child();
    }
    drop(root);
}

const CHILDREN_PER_TRACE: usize = 12;

#[test]
fn a_users_processor_keeps_spans_free_of_allocations() {
    let seen = Arc::new(Seen::default());
    let keep = Arc::new(AtomicBool::new(false));
    let _guard = TracerProvider::builder()
        .with_processor(UserProcessor {
            seen: Arc::clone(&seen),
            keep: Arc::clone(&keep),
            kept: Mutex::new(Vec::new()),
        })
        .install()
        .unwrap();

    // Warm-up: the thread's buffers, record boxes and pool fill up.
    let warm_up = 50;
    for _ in 0..warm_up {
        one_trace();
    }
    let traces = 200;
    let allocations = allocations_in(|| {
        for _ in 0..traces {
            one_trace();
        }
    });
    let all = warm_up + traces;
    assert_eq!(
        seen.spans.load(Ordering::Relaxed),
        all * (CHILDREN_PER_TRACE + 1),
        "every span reached the processor"
    );
    assert_eq!(seen.roots.load(Ordering::Relaxed), all);
    assert_eq!(
        seen.children_of_a_root.load(Ordering::Relaxed),
        all * CHILDREN_PER_TRACE,
        "each child's parent is its trace's root, in the same batch"
    );
    assert_eq!(allocations, 0, "{allocations} allocations for {traces} traces");

    // The control: a processor that keeps the buffers makes the thread
    // allocate new ones, and this measurement sees it.
    keep.store(true, Ordering::Relaxed);
    let allocations = allocations_in(|| {
        for _ in 0..traces {
            one_trace();
        }
    });
    assert!(
        allocations >= traces,
        "{allocations} allocations for {traces} traces whose buffers were kept"
    );
}
