//! Records that own heap data (owned names, attribute values, events,
//! status messages, trace states, links) are dropped when their buffer is
//! reused, on every way a record can come to own something. A buffer whose
//! records own nothing is emptied without looking at each record, so a way
//! that went unnoticed would leak what those records own, round after round.
//! Only tracer's own processors, registered directly, rely on what the thread
//! knows: a user's processor around one of them, or an exporter feeding one,
//! may pass on records that own something.
//!
//! One test in its own binary: it counts the process's live heap bytes, which
//! other tests running alongside would disturb.

#[path = "support/counting_allocator.rs"]
mod counting_allocator;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use counting_allocator::{CountingAllocator, live_bytes};
use tracer::export::{ExportError, SpanExporter};
use tracer::processor::{
    BatchConfig, BatchSpanProcessor, FlushError, ProcessorStats, SimpleSpanProcessor, SpanBatch, SpanProcessor,
};
use tracer::{Span, SpanContext, SpanData, SpanId, Status, TraceFlags, TraceId, TraceState, TracerProvider, in_span};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Counts exported spans and keeps none.
#[derive(Clone)]
struct Counting(Arc<AtomicUsize>);

impl SpanExporter for Counting {
    fn export(&mut self, batch: &[SpanData]) -> Result<(), ExportError> {
        self.0.fetch_add(batch.len(), Ordering::Relaxed);
        Ok(())
    }
}

/// A processor of the user's that adds an owned attribute to every span,
/// then passes the batch on to one of tracer's: the records it passes on
/// own something even when the thread's own did not.
struct Enriching(SimpleSpanProcessor);

impl SpanProcessor for Enriching {
    fn on_end(&self, span: SpanData) {
        self.on_end_batch(vec![span].into());
    }

    fn on_end_batch(&self, mut spans: SpanBatch) {
        for span in spans.iter_mut() {
            span.set_attribute("enriched", owned(1));
        }
        self.0.on_end_batch(spans);
    }

    fn force_flush(&self, timeout: std::time::Duration) -> Result<(), FlushError> {
        self.0.force_flush(timeout)
    }

    fn shutdown(&self, timeout: std::time::Duration) -> Result<(), FlushError> {
        self.0.shutdown(timeout)
    }

    fn stats(&self) -> ProcessorStats {
        self.0.stats()
    }
}

/// An exporter that hands enriched copies of what it exports to a
/// processor of its own: that processor's batch is not the one the thread
/// handed over.
struct Forwarding(SimpleSpanProcessor);

impl SpanExporter for Forwarding {
    fn export(&mut self, batch: &[SpanData]) -> Result<(), ExportError> {
        let mut copies = batch.to_vec();
        for span in &mut copies {
            span.set_attribute("forwarded", owned(2));
        }
        self.0.on_end_batch(copies.into());
        Ok(())
    }
}

const TRACES_PER_ROUND: usize = 10;
const CHILDREN: usize = 50;
const WARM_UP_ROUNDS: usize = 40;

/// A string long enough that leaking one per span shows: 64 bytes.
fn owned(i: usize) -> String {
    format!("{i:064}")
}

/// Children of the root in the "open root" way: more than a thread buffers
/// before it hands over finished records while its root is still open.
const LONG_TRACE_CHILDREN: usize = 600;

/// One trace: a root and [`CHILDREN`] children, each made to own heap data
/// in the way `way` names. Returns the trace's span count.
fn trace(way: &str) -> usize {
    // A new trace state each trace, of about 1.6 KB: leaked clones would
    // keep each one alive.
    let header: Vec<String> = (0..8).map(|k| format!("vendor{k}={}", "x".repeat(200))).collect();
    let trace_state = TraceState::from_header(&header.join(",")).unwrap();
    let remote = SpanContext::new(
        TraceId::random(),
        SpanId::random(),
        TraceFlags::SAMPLED,
        true,
        trace_state,
    );
    if way == "trace state" {
        // The children inherit the root's trace state (a clone each). The
        // root stays an owned span, current only in its scope, so that the
        // children's records are handed over without it.
        let root = Span::child_of("root", &remote);
        root.in_scope(|| {
            for _ in 0..CHILDREN {
                in_span("child", |_| {});
            }
        });
        return CHILDREN + 1;
    }
    if way == "open root" {
        // The root owns something and is still open when the thread hands
        // over its first 512 records: it stays in the buffer, and what the
        // thread knows about it must stay too. Its children own nothing.
        let root = Span::root("root").entered();
        for k in 0..16 {
            root.set_attribute(format!("key{k}"), owned(k));
        }
        for _ in 0..LONG_TRACE_CHILDREN {
            in_span("child", |_| {});
        }
        return LONG_TRACE_CHILDREN + 1;
    }
    if way == "thread exit" {
        // The thread ends with its root still open (its guard forgotten):
        // the thread's exit hands over what it holds.
        std::thread::spawn(|| {
            let root = Span::root("root").entered();
            root.set_attribute("key", owned(0));
            for i in 0..CHILDREN {
                in_span(owned(i), |_| {});
            }
            std::mem::forget(root);
        })
        .join()
        .unwrap();
        return CHILDREN + 1;
    }
    let root = Span::root("root").entered();
    for i in 0..CHILDREN {
        match way {
            "nothing" => in_span("child", |_| {}),
            "owned name" => in_span(owned(i), |_| {}),
            "attribute" => in_span("child", |span| span.set_attribute("key", owned(i))),
            "event" => in_span("child", |span| span.add_event(owned(i), [])),
            "status" => in_span("child", |span| span.set_status(Status::error(owned(i)))),
            "renamed" => in_span("child", |span| span.update_name(owned(i))),
            "panic" => {
                let _ = std::panic::catch_unwind(|| in_span("child", |_| std::panic::panic_any(owned(i))));
            }
            "owned span" => drop(Span::builder("child").attribute("key", owned(i)).entered()),
            "link" => drop(Span::builder("child").link(remote.clone(), []).entered()),
            other => unreachable!("{other}"),
        }
    }
    drop(root);
    CHILDREN + 1
}

#[test]
fn records_owning_heap_data_are_dropped_when_their_buffer_is_reused() {
    // The "panic" way's panics (an `owned` string) are quiet; others not.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<String>().is_none_or(|s| s.len() != 64) {
            report(info);
        }
    }));
    let exported = Arc::new(AtomicUsize::new(0));
    let copies = Arc::new(AtomicUsize::new(0));
    let enriched = Arc::new(AtomicUsize::new(0));
    let forwarded = Arc::new(AtomicUsize::new(0));
    // Four processors: the simple one gets copies of each batch and gives
    // them back on this thread, as do the user's around another simple one
    // and the simple one whose exporter feeds one of its own; the batch
    // processor gets the thread's own buffer and gives it back from its
    // export thread.
    let _guard = TracerProvider::builder()
        .with_processor(SimpleSpanProcessor::new(Counting(Arc::clone(&copies))))
        .with_processor(Enriching(SimpleSpanProcessor::new(Counting(Arc::clone(&enriched)))))
        .with_simple_exporter(Forwarding(SimpleSpanProcessor::new(Counting(Arc::clone(&forwarded)))))
        .with_processor(BatchSpanProcessor::new(
            Counting(Arc::clone(&exported)),
            BatchConfig::default(),
        ))
        .install()
        .unwrap();
    let flush = || tracer::force_flush().unwrap();

    let ways = [
        "nothing",
        "owned name",
        "attribute",
        "event",
        "status",
        "renamed",
        "panic",
        "owned span",
        "link",
        "trace state",
        "open root",
        "thread exit",
    ];
    for way in ways {
        // Flushed after each trace: the batch queue (2,048) then never
        // drops spans, which would leave the processors' counts apart.
        let round = || {
            (0..TRACES_PER_ROUND)
                .map(|_| {
                    let spans = trace(way);
                    flush();
                    spans
                })
                .sum::<usize>()
        };
        // Warm-up: pools and queues reach their size. The copies make the
        // buffer pool grow to its limit (16,384 records, plus the queue's
        // 2,048), about 360 traces.
        for _ in 0..WARM_UP_ROUNDS {
            round();
        }
        let before = (live_bytes(), exported.load(Ordering::Relaxed));
        const ROUNDS: usize = 20;
        let made: usize = (0..ROUNDS).map(|_| round()).sum();
        let grown = live_bytes() - before.0;
        assert_eq!(exported.load(Ordering::Relaxed) - before.1, made, "{way}");
        // A leak of 64 bytes a child would be ROUNDS × 500 × 64 = 640 KB;
        // of a root's 16 attributes, ROUNDS × 10 × 1 KB = 200 KB.
        assert!(
            grown < 64 * 1024,
            "{way}: the live heap grew by {grown} bytes over {ROUNDS} rounds"
        );
    }
    assert_eq!(copies.load(Ordering::Relaxed), exported.load(Ordering::Relaxed));
    assert_eq!(enriched.load(Ordering::Relaxed), exported.load(Ordering::Relaxed));
    assert_eq!(forwarded.load(Ordering::Relaxed), exported.load(Ordering::Relaxed));
}
