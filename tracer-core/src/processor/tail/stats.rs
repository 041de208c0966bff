//! What a tail sampler counts, and a handle to read it once the provider
//! owns the processor.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The counters of a [`TailSamplingProcessor`](super::TailSamplingProcessor).
///
/// Every span received is passed on, dropped by the policy, or still held:
/// `received_spans == passed_spans + dropped_spans + held_spans`. No span is
/// lost to the limits: a trace they force out is decided with what it has
/// (`forced_by_limits`), and its spans are passed on or dropped like any
/// other.
///
/// Trace counts are of decisions: each local part of a trace decided at
/// once (its local root with what was held for it, or a held part forced
/// out) counts once, under the first rule that keeps it, or as dropped.
///
/// ```
/// use tracer_core::export::InMemoryExporter;
/// use tracer_core::processor::{SimpleSpanProcessor, TailSamplingProcessor};
///
/// let tail = TailSamplingProcessor::builder(SimpleSpanProcessor::new(InMemoryExporter::new())).build();
/// let stats = tail.tail_stats();
/// assert_eq!(stats.received_spans, stats.passed_spans + stats.dropped_spans + stats.held_spans);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TailSamplingStats {
    /// Sampled spans received.
    pub received_spans: u64,
    /// Spans passed to the next processor.
    pub passed_spans: u64,
    /// Spans the policy dropped: those of dropped traces, and later spans
    /// that followed a drop.
    pub dropped_spans: u64,
    /// Spans held now, waiting for their trace's local root.
    pub held_spans: u64,
    /// Traces held now.
    pub held_traces: u64,
    /// Traces kept because a span failed: error status (a panic
    /// included), or `cancelled = true`.
    pub kept_error: u64,
    /// Traces kept because their local root was slow.
    pub kept_slow: u64,
    /// Traces kept by the predicate.
    pub kept_predicate: u64,
    /// Traces kept by the ratio.
    pub kept_ratio: u64,
    /// Traces the policy dropped.
    pub dropped_traces: u64,
    /// Spans that arrived after their trace was decided, and followed the
    /// decision (included in `passed_spans` or `dropped_spans`).
    pub followed_spans: u64,
    /// Held traces decided before their local root ended, to make room
    /// under `max_traces` or `max_spans` (oldest first).
    pub forced_by_limits: u64,
    /// The spans those traces had when they were decided.
    pub spans_forced_by_limits: u64,
    /// Held traces decided without their local root after the late span
    /// window: a root that never ends in this process, or late spans whose
    /// trace's decision was no longer remembered.
    pub forced_by_age: u64,
    /// Held traces decided without their local root at shutdown.
    pub forced_at_shutdown: u64,
}

/// Reads a tail sampler's counters after the processor was handed to the
/// provider.
///
/// ```
/// use tracer_core::export::InMemoryExporter;
/// use tracer_core::processor::{SimpleSpanProcessor, TailSamplingProcessor};
/// use tracer_core::TracerProvider;
///
/// let tail = TailSamplingProcessor::builder(SimpleSpanProcessor::new(InMemoryExporter::new())).build();
/// let stats = tail.stats_handle();
/// let _guard = TracerProvider::builder().with_processor(tail).install().unwrap();
/// assert_eq!(stats.get().kept_error, 0);
/// ```
#[derive(Clone, Debug)]
pub struct TailStatsHandle(pub(super) Arc<TailCounters>);

impl TailStatsHandle {
    /// The counters now.
    ///
    /// ```
    /// use tracer_core::export::InMemoryExporter;
    /// use tracer_core::processor::{SimpleSpanProcessor, TailSamplingProcessor};
    ///
    /// let tail = TailSamplingProcessor::builder(SimpleSpanProcessor::new(InMemoryExporter::new())).build();
    /// let stats = tail.stats_handle().get();
    /// assert_eq!((stats.received_spans, stats.dropped_traces), (0, 0));
    /// ```
    pub fn get(&self) -> TailSamplingStats {
        self.0.snapshot()
    }
}

/// One counter of [`TailCounters`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Count {
    PassedSpans,
    DroppedSpans,
    KeptError,
    KeptSlow,
    KeptPredicate,
    KeptRatio,
    DroppedTraces,
    FollowedSpans,
    ForcedByLimits,
    SpansForcedByLimits,
    ForcedByAge,
    ForcedAtShutdown,
}

const COUNTS: usize = Count::ForcedAtShutdown as usize + 1;

/// Copies of the counters, one per pool shard of producing threads, each
/// on cache lines of its own: threads of different shards never write the
/// same line.
const STRIPES: usize = 8;

#[derive(Debug, Default)]
#[repr(align(64))]
struct Stripe([AtomicU64; COUNTS]);

/// The shared counters behind [`TailSamplingStats`].
#[derive(Debug, Default)]
pub(super) struct TailCounters {
    stripes: [Stripe; STRIPES],
    /// Set under the held traces' lock.
    held_spans: AtomicU64,
    held_traces: AtomicU64,
}

impl TailCounters {
    /// Adds `n` to `count`, in the stripe of the thread (pool shard)
    /// `shard`.
    #[inline]
    pub(super) fn add(&self, shard: usize, count: Count, n: u64) {
        self.stripes[shard % STRIPES].0[count as usize].fetch_add(n, Ordering::Relaxed);
    }

    pub(super) fn set_held(&self, traces: usize, spans: usize) {
        self.held_traces.store(traces as u64, Ordering::Relaxed);
        self.held_spans.store(spans as u64, Ordering::Relaxed);
    }

    pub(super) fn snapshot(&self) -> TailSamplingStats {
        let sum = |count: Count| -> u64 {
            self.stripes
                .iter()
                .map(|s| s.0[count as usize].load(Ordering::Relaxed))
                .sum()
        };
        let held_spans = self.held_spans.load(Ordering::Relaxed);
        TailSamplingStats {
            received_spans: sum(Count::PassedSpans) + sum(Count::DroppedSpans) + held_spans,
            passed_spans: sum(Count::PassedSpans),
            dropped_spans: sum(Count::DroppedSpans),
            held_spans,
            held_traces: self.held_traces.load(Ordering::Relaxed),
            kept_error: sum(Count::KeptError),
            kept_slow: sum(Count::KeptSlow),
            kept_predicate: sum(Count::KeptPredicate),
            kept_ratio: sum(Count::KeptRatio),
            dropped_traces: sum(Count::DroppedTraces),
            followed_spans: sum(Count::FollowedSpans),
            forced_by_limits: sum(Count::ForcedByLimits),
            spans_forced_by_limits: sum(Count::SpansForcedByLimits),
            forced_by_age: sum(Count::ForcedByAge),
            forced_at_shutdown: sum(Count::ForcedAtShutdown),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripes_add_up() {
        let counters = TailCounters::default();
        counters.add(0, Count::PassedSpans, 5);
        counters.add(3, Count::PassedSpans, 7);
        counters.add(11, Count::DroppedSpans, 2);
        counters.add(1, Count::KeptSlow, 1);
        counters.set_held(1, 4);
        let stats = counters.snapshot();
        assert_eq!(
            (stats.received_spans, stats.passed_spans, stats.dropped_spans),
            (18, 12, 2)
        );
        assert_eq!((stats.held_traces, stats.held_spans, stats.kept_slow), (1, 4, 1));
        assert_eq!(stats.kept_error + stats.kept_ratio + stats.forced_by_age, 0);
    }
}
