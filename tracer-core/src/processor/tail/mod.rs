//! Tail sampling: which traces to keep, decided once their spans have
//! ended, in front of another processor.

mod config;
mod decisions;
mod held;
mod policy;
mod stats;
#[cfg(test)]
mod test_spans;
#[cfg(test)]
mod tests;

pub use config::{TailSamplingBuilder, TailSamplingConfig};
pub use stats::{TailSamplingStats, TailStatsHandle};

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use self::decisions::{Decisions, HeldMarks, Tick, TraceKey, marks_len};
use self::held::{Cause, Forced, HeldTraces};
use self::policy::{Policy, Predicate, TraceScan, Verdict};
use self::stats::{Count, TailCounters};
use super::{FlushError, ProcessorStats, SpanBatch, SpanProcessor};
use crate::model::{RatioRule, Resource, SpanData, TraceId};

/// Keeps every trace that failed or was slow, and a sample of the rest,
/// deciding once the trace's spans have ended; kept traces go on, whole,
/// to the next processor.
///
/// # The policy
///
/// A trace is kept when, among its spans in this process:
///
/// 1. a span failed: its status is an error (a panic sets the error
///    "panicked"), or it has the attribute `cancelled = true` (a future
///    dropped before it completed), unless
///    [`keep_errors(false)`](TailSamplingBuilder::keep_errors);
/// 2. the local root took at least [`slower_than`](TailSamplingBuilder::slower_than);
/// 3. the predicate given to [`keep_if`](TailSamplingBuilder::keep_if)
///    returns `true` for the spans;
/// 4. or the trace id falls in the [`ratio`](TailSamplingBuilder::ratio),
///    by the rule of [`TraceIdRatio`](crate::sampler::TraceIdRatio) (the
///    id's lower 56 bits against `ratio × 2^56`): services configured alike
///    keep the same traces.
///
/// Other traces are dropped, and counted.
///
/// # When a trace is decided
///
/// The **local root** is the span whose parent is absent (a new trace) or
/// remote (the caller's span, from a propagated context). A trace's spans
/// in this process are decided when its local root ends, on the thread that
/// ended it, together: the root's batch and every span held for the trace.
/// Spans handed over before the root (children that ended on other threads
/// or in other tasks, the first records of a long-lived root) are held
/// until then. A kept trace goes to the next processor in one batch.
///
/// Spans that end after their trace was decided (a spawned task, another
/// thread) follow the decision, which is remembered for the
/// [`late_span_window`](TailSamplingBuilder::late_span_window), for up to
/// [`remembered_traces`](TailSamplingBuilder::remembered_traces) traces (in
/// sets of eight by trace id hash, each forgetting its oldest decision
/// first). A late span whose decision is no longer remembered is held like
/// an early one; when the window has passed it is decided on its own, by
/// the policy, with its own spans
/// ([`forced_by_age`](TailSamplingStats::forced_by_age)). The same happens
/// to spans whose local parent never ends in this process (a context
/// attached by hand with `is_remote = false`): they have no local root
/// here.
///
/// # Limits
///
/// At most [`max_traces`](TailSamplingBuilder::max_traces) traces and
/// [`max_spans`](TailSamplingBuilder::max_spans) spans are held. When more
/// would be, the oldest held trace is decided at once, by the policy with
/// the spans it has so far (the slow rule needs the root, so it does not
/// apply), and counted in
/// [`forced_by_limits`](TailSamplingStats::forced_by_limits); its later
/// spans, the root included, follow that decision. No span is lost to the
/// limits. At shutdown every held trace is decided the same way.
///
/// # Cost
///
/// Deciding runs at the hand-over, once per batch, on the thread that
/// handed the batch over. A batch that holds its trace's local root, with
/// nothing held for the trace (the common case), is decided on the batch
/// itself: one pass over its spans (each one's trace id and parent; status
/// and attributes only when the thread knew a span owns heap memory), a
/// few loads and one store in tables of atomics, and no lock. The batch
/// then goes on to the next processor as it came, or back to its thread's
/// pool: no copy and no allocation. Only batches without their local root,
/// and those of traces with spans held, take the lock of the held traces,
/// once per batch.
///
/// # Counters
///
/// [`tail_stats`](Self::tail_stats) counts traces kept by each rule, traces
/// and spans dropped, and what the limits forced.
/// [`stats`](SpanProcessor::stats) reports the next processor's counters,
/// with the held spans added to `queued` and the spans the policy dropped
/// in [`sampled_out`](ProcessorStats::sampled_out) (both added to
/// `received` too).
///
/// # With head sampling
///
/// A tail sampler sees only the traces the provider's sampler recorded and
/// sampled. With the default `ParentBased(AlwaysOn)` it sees every trace; a
/// head ratio bounds the cost of recording, and the tail sampler then keeps
/// errors and slow traces among the recorded ones only.
///
/// ```
/// use std::time::Duration;
/// use tracer_core::export::InMemoryExporter;
/// use tracer_core::processor::{SimpleSpanProcessor, TailSamplingProcessor};
/// use tracer_core::{in_span, Span, Status, TracerProvider};
///
/// let exporter = InMemoryExporter::new();
/// let tail = TailSamplingProcessor::builder(SimpleSpanProcessor::new(exporter.clone()))
///     .slower_than(Duration::from_millis(500))
///     .ratio(0.0)
///     .build();
/// let stats = tail.stats_handle();
/// let _guard = TracerProvider::builder().with_processor(tail).install().unwrap();
///
/// {
///     let _fine = Span::root("fine").entered();
///     in_span("step", |_| {});
/// }
/// {
///     let _failed = Span::root("failed").entered();
///     in_span("step", |step| step.set_status(Status::error("boom")));
/// }
/// let names: Vec<String> = exporter.spans().iter().map(|s| s.name.to_string()).collect();
/// assert_eq!(names, ["failed", "step"]);
/// assert_eq!((stats.get().kept_error, stats.get().dropped_traces), (1, 1));
/// ```
pub struct TailSamplingProcessor<P: SpanProcessor> {
    next: P,
    policy: Policy,
    /// The late span window, in ticks.
    window: u32,
    decisions: Decisions,
    marks: Arc<HeldMarks>,
    held: Mutex<HeldTraces>,
    counters: Arc<TailCounters>,
}

/// What a batch without its local root comes to.
enum Outcome {
    /// It is its trace's local root (with what was held): decide.
    Decide,
    /// Its trace was decided: follow.
    Follow(bool),
    /// Its spans are held.
    Held,
}

impl<P: SpanProcessor> TailSamplingProcessor<P> {
    /// A builder around `next`, the processor kept traces go to.
    ///
    /// ```
    /// use tracer_core::export::InMemoryExporter;
    /// use tracer_core::processor::{BatchSpanProcessor, TailSamplingProcessor};
    ///
    /// let tail = TailSamplingProcessor::builder(BatchSpanProcessor::with_defaults(InMemoryExporter::new()))
    ///     .ratio(0.05)
    ///     .build();
    /// # drop(tail);
    /// ```
    pub fn builder(next: P) -> TailSamplingBuilder<P> {
        TailSamplingBuilder::new(next)
    }

    /// A tail sampler around `next` with `config` and no predicate.
    ///
    /// ```
    /// use tracer_core::export::InMemoryExporter;
    /// use tracer_core::processor::{SimpleSpanProcessor, TailSamplingConfig, TailSamplingProcessor};
    ///
    /// let tail = TailSamplingProcessor::new(SimpleSpanProcessor::new(InMemoryExporter::new()), TailSamplingConfig::default());
    /// # drop(tail);
    /// ```
    pub fn new(next: P, config: TailSamplingConfig) -> TailSamplingProcessor<P> {
        TailSamplingProcessor::from_parts(next, config, None)
    }

    fn from_parts(next: P, config: TailSamplingConfig, predicate: Option<Predicate>) -> TailSamplingProcessor<P> {
        let max_traces = config.max_traces.max(1);
        let marks = Arc::new(HeldMarks::new(marks_len(max_traces)));
        let slower_than_nanos = config
            .slower_than
            .map(|t| u64::try_from(t.as_nanos()).unwrap_or(u64::MAX));
        TailSamplingProcessor {
            next,
            policy: Policy {
                keep_errors: config.keep_errors,
                slower_than_nanos,
                predicate,
                ratio: RatioRule::new(config.ratio),
            },
            window: Tick::count_in(config.late_span_window),
            decisions: Decisions::new(config.remembered_traces),
            held: Mutex::new(HeldTraces::new(Arc::clone(&marks), max_traces, config.max_spans)),
            marks,
            counters: Arc::default(),
        }
    }

    /// What the policy kept and dropped, and what is held.
    ///
    /// ```
    /// use tracer_core::export::InMemoryExporter;
    /// use tracer_core::processor::{SimpleSpanProcessor, TailSamplingProcessor};
    ///
    /// let tail = TailSamplingProcessor::builder(SimpleSpanProcessor::new(InMemoryExporter::new())).build();
    /// assert_eq!(tail.tail_stats().held_traces, 0);
    /// ```
    pub fn tail_stats(&self) -> TailSamplingStats {
        self.counters.snapshot()
    }

    /// A handle to [`tail_stats`](Self::tail_stats) that stays usable after
    /// the processor is given to the provider.
    ///
    /// ```
    /// use tracer_core::export::InMemoryExporter;
    /// use tracer_core::processor::{SimpleSpanProcessor, TailSamplingProcessor};
    ///
    /// let tail = TailSamplingProcessor::builder(SimpleSpanProcessor::new(InMemoryExporter::new())).build();
    /// let handle = tail.stats_handle();
    /// assert_eq!(handle.get(), tail.tail_stats());
    /// ```
    pub fn stats_handle(&self) -> TailStatsHandle {
        TailStatsHandle(Arc::clone(&self.counters))
    }

    /// The spans of one trace.
    fn one_trace(&self, trace_id: TraceId, scan: TraceScan, batch: SpanBatch) {
        let key = TraceKey::of(trace_id);
        let now = Tick::now();
        if scan.has_root && !self.marks.may_hold(key) {
            self.decide_at_root(trace_id, key, scan, batch, now);
        } else {
            self.with_held(trace_id, key, scan, batch, now);
        }
    }

    /// The common case: a batch with its trace's local root, and nothing
    /// held for the trace. No lock.
    #[inline]
    fn decide_at_root(&self, trace_id: TraceId, key: TraceKey, scan: TraceScan, batch: SpanBatch, now: Tick) {
        let shard = batch.pool_shard();
        let keep = match self.decisions.get(key, now, self.window) {
            // Decided already: a second local root of the trace, or one
            // forced out of the held traces before its root ended.
            Some(keep) => {
                self.counters.add(shard, Count::FollowedSpans, batch.len() as u64);
                keep
            }
            None => self.decide(trace_id, key, &batch, scan, now, shard),
        };
        self.deliver(batch, keep, shard);
    }

    /// Batches without their local root, or whose trace has spans held.
    fn with_held(&self, trace_id: TraceId, key: TraceKey, mut scan: TraceScan, mut batch: SpanBatch, now: Tick) {
        let shard = batch.pool_shard();
        if !scan.has_root {
            if let Some(keep) = self.decisions.get(key, now, self.window) {
                return self.follow(batch, keep, shard);
            }
        }
        let mut forced = Vec::new();
        let outcome = {
            let mut held = self.lock_held();
            let outcome = if scan.has_root {
                if let Some(mut trace) = held.take(trace_id) {
                    scan = scan.merge(trace.scan);
                    batch.append(&mut trace.spans);
                }
                Outcome::Decide
            } else {
                let decided = || self.decisions.get(key, now, self.window);
                match held.hold(trace_id, &mut batch, scan, now, decided, &mut forced) {
                    Some(keep) => Outcome::Follow(keep),
                    None => Outcome::Held,
                }
            };
            held.expire(now, self.window, &mut forced);
            self.counters.set_held(held.traces(), held.spans());
            outcome
        };
        // Deciding, and what the next processor does, run without the lock.
        match outcome {
            Outcome::Decide => match self.decisions.get(key, now, self.window) {
                Some(keep) => self.follow(batch, keep, shard),
                None => {
                    let keep = self.decide(trace_id, key, &batch, scan, now, shard);
                    self.deliver(batch, keep, shard);
                }
            },
            Outcome::Follow(keep) => self.follow(batch, keep, shard),
            // Emptied: its buffer goes back to its thread.
            Outcome::Held => drop(batch),
        }
        self.decide_forced(forced, shard);
    }

    /// Decides `trace_id` by the policy, remembers and counts the verdict,
    /// and collects what a holder may have held for the trace meanwhile.
    fn decide(
        &self,
        trace_id: TraceId,
        key: TraceKey,
        spans: &[SpanData],
        scan: TraceScan,
        now: Tick,
        shard: usize,
    ) -> bool {
        let verdict = self.policy.decide(trace_id, spans, scan);
        let keep = verdict.keeps();
        self.decisions.put(key, keep, now);
        let count = match verdict {
            Verdict::KeptError => Count::KeptError,
            Verdict::KeptSlow => Count::KeptSlow,
            Verdict::KeptPredicate => Count::KeptPredicate,
            Verdict::KeptRatio => Count::KeptRatio,
            Verdict::Dropped => Count::DroppedTraces,
        };
        self.counters.add(shard, count, 1);
        // A thread may have marked the trace held since it was checked:
        // after the store above, one of the two sees the other (see
        // `decisions`).
        if self.marks.may_hold(key) {
            self.collect_held(trace_id, keep, shard);
        }
        keep
    }

    /// Takes the spans held for a trace just decided, to follow it.
    #[cold]
    fn collect_held(&self, trace_id: TraceId, keep: bool, shard: usize) {
        let trace = {
            let mut held = self.lock_held();
            let trace = held.take(trace_id);
            self.counters.set_held(held.traces(), held.spans());
            trace
        };
        if let Some(trace) = trace {
            self.follow(SpanBatch::from(trace.spans), keep, shard);
        }
    }

    /// Decides traces taken out of the held ones, with what they have.
    fn decide_forced(&self, forced: Vec<Forced>, shard: usize) {
        for Forced { trace_id, trace, cause } in forced {
            let spans = trace.spans.len() as u64;
            match cause {
                Cause::Limits => {
                    self.counters.add(shard, Count::ForcedByLimits, 1);
                    self.counters.add(shard, Count::SpansForcedByLimits, spans);
                }
                Cause::Age => self.counters.add(shard, Count::ForcedByAge, 1),
                Cause::Shutdown => self.counters.add(shard, Count::ForcedAtShutdown, 1),
            }
            let key = TraceKey::of(trace_id);
            let now = Tick::now();
            let batch = SpanBatch::from(trace.spans);
            match self.decisions.get(key, now, self.window) {
                Some(keep) => self.follow(batch, keep, shard),
                None => {
                    let keep = self.decide(trace_id, key, &batch, trace.scan, now, shard);
                    self.deliver(batch, keep, shard);
                }
            }
        }
    }

    /// Spans of a trace decided before they came.
    fn follow(&self, batch: SpanBatch, keep: bool, shard: usize) {
        self.counters.add(shard, Count::FollowedSpans, batch.len() as u64);
        self.deliver(batch, keep, shard);
    }

    /// Passes `batch` on if `keep`, or drops it; counts its spans.
    #[inline]
    fn deliver(&self, batch: SpanBatch, keep: bool, shard: usize) {
        let spans = batch.len() as u64;
        if keep {
            self.counters.add(shard, Count::PassedSpans, spans);
            self.next.on_end_batch(batch);
        } else {
            // Dropping it gives the buffer back to its thread.
            self.counters.add(shard, Count::DroppedSpans, spans);
        }
    }

    /// A batch of several traces (a thread's hand-over at exit, or one of
    /// 512 records holding other traces' spans): each trace on its own.
    #[cold]
    fn each_trace(&self, mut batch: SpanBatch) {
        let mut traces: Vec<(TraceId, Vec<SpanData>)> = Vec::new();
        let mut index: HashMap<TraceId, usize> = HashMap::new();
        for span in batch.drain() {
            let at = *index.entry(span.trace_id()).or_insert_with(|| {
                traces.push((span.trace_id(), Vec::new()));
                traces.len() - 1
            });
            traces[at].1.push(span);
        }
        drop(batch);
        for (trace_id, spans) in traces {
            let batch = SpanBatch::from(spans);
            if let Some((_, scan)) = policy::scan(&batch, self.policy.keep_errors) {
                self.one_trace(trace_id, scan, batch);
            }
        }
    }

    fn lock_held(&self) -> MutexGuard<'_, HeldTraces> {
        // Nothing panics while it is held: no user code runs under it.
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Decides every held trace with what it has.
    fn decide_all_held(&self) {
        let mut forced = Vec::new();
        {
            let mut held = self.lock_held();
            held.take_all(&mut forced);
            self.counters.set_held(0, 0);
        }
        self.decide_forced(forced, 0);
    }
}

impl<P: SpanProcessor> SpanProcessor for TailSamplingProcessor<P> {
    fn on_start(&self, span: &mut SpanData) {
        self.next.on_start(span);
    }

    fn wants_on_start(&self) -> bool {
        self.next.wants_on_start()
    }

    fn on_end(&self, span: SpanData) {
        self.on_end_batch(SpanBatch::from(vec![span]));
    }

    fn on_end_batch(&self, mut batch: SpanBatch) {
        // Spans recorded but not sampled are not exported by any built-in
        // processor: they take no part.
        batch.retain_sampled();
        let look_for_failures = self.policy.keep_errors && !batch.owns_no_heap();
        match policy::scan(&batch, look_for_failures) {
            Some((trace_id, scan)) => self.one_trace(trace_id, scan, batch),
            None if batch.is_empty() => {}
            None => self.each_trace(batch),
        }
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.next.set_resource(resource);
    }

    /// Decides the traces held for the whole late span window, then
    /// flushes the next processor. Traces still waiting for their local
    /// root stay held.
    fn force_flush(&self, timeout: Duration) -> Result<(), FlushError> {
        let mut forced = Vec::new();
        {
            let mut held = self.lock_held();
            held.expire(Tick::now(), self.window, &mut forced);
            self.counters.set_held(held.traces(), held.spans());
        }
        self.decide_forced(forced, 0);
        self.next.force_flush(timeout)
    }

    /// Decides every held trace with what it has, then shuts the next
    /// processor down.
    fn shutdown(&self, timeout: Duration) -> Result<(), FlushError> {
        self.decide_all_held();
        self.next.shutdown(timeout)
    }

    fn stats(&self) -> ProcessorStats {
        let next = self.next.stats();
        let tail = self.tail_stats();
        ProcessorStats {
            received: next.received + tail.dropped_spans + tail.held_spans,
            queued: next.queued + tail.held_spans,
            sampled_out: next.sampled_out + tail.dropped_spans,
            ..next
        }
    }
}

impl<P: SpanProcessor> Drop for TailSamplingProcessor<P> {
    /// Decides what is still held (a processor dropped without a shutdown),
    /// so that nothing held is lost uncounted.
    fn drop(&mut self) {
        self.decide_all_held();
    }
}
