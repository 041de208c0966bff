//! The batch type every processor receives.

use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};

use super::pool::{FilledBuffer, PoolShard, give_back};
use crate::model::SpanData;

/// What the thread that filled a batch knows about its records, which
/// would otherwise take a read of each record. The default knows nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct BatchSummary {
    /// No record owns heap memory (an owned name or status message,
    /// attributes, events, links, a trace state): the records need no drop,
    /// and emptying the buffer need not read them (each record's cache
    /// lines, cold by then, about 20 instructions a record).
    pub(crate) owns_no_heap: bool,
    /// Every record is sampled: processors need not filter.
    pub(crate) all_sampled: bool,
}

/// Finished spans handed over together, from one thread, to every
/// [`SpanProcessor`](crate::processor::SpanProcessor).
///
/// It dereferences to the spans (`&[SpanData]`), so an exporter can take it
/// as it is. It knows what the runtime knew when it made it: whether every
/// span is sampled ([`all_sampled`](Self::all_sampled)), and whether any
/// owns heap memory. When dropped, its buffer goes back, emptied, to the
/// producing thread's pool, so that the next spans of that thread allocate
/// nothing: a processor that keeps spans should move them out
/// ([`drain`](Self::drain), [`move_into`](Self::move_into)) rather than keep
/// the batch.
///
/// ```
/// use tracer_core::processor::{SpanBatch, SpanProcessor};
/// use tracer_core::SpanData;
///
/// /// Counts error spans; every span it sees is sampled.
/// struct CountErrors(std::sync::atomic::AtomicUsize);
///
/// impl SpanProcessor for CountErrors {
///     fn on_end(&self, span: SpanData) {
///         self.on_end_batch(SpanBatch::from(vec![span]));
///     }
///
///     fn on_end_batch(&self, mut batch: SpanBatch) {
///         batch.retain_sampled(); // free when the runtime knows all are
///         let errors = batch.iter().filter(|s| s.status.is_error()).count();
///         self.0.fetch_add(errors, std::sync::atomic::Ordering::Relaxed);
///         // Dropping `batch` gives its buffer back to the producing thread.
///     }
/// }
/// ```
pub struct SpanBatch {
    records: ManuallyDrop<Vec<SpanData>>,
    summary: BatchSummary,
    home: PoolShard,
}

impl SpanBatch {
    /// A batch made by the runtime on the thread that filled `records`.
    #[inline]
    pub(crate) fn new(records: Vec<SpanData>, summary: BatchSummary) -> SpanBatch {
        SpanBatch {
            records: ManuallyDrop::new(records),
            summary,
            home: PoolShard::current(),
        }
    }

    /// The index of the pool shard the buffer goes back to: the producing
    /// thread's group.
    pub(crate) fn pool_shard(&self) -> usize {
        self.home.index()
    }

    /// Whether every span in the batch is sampled. `false` means "not
    /// known", not that some span is not: [`retain_sampled`](Self::retain_sampled)
    /// finds out.
    #[inline]
    pub fn all_sampled(&self) -> bool {
        self.summary.all_sampled
    }

    /// Drops the spans that are recorded but not sampled (a sampler's
    /// `RecordOnly`), which exporters do not send. Costs nothing when the
    /// runtime knows every span is sampled, and one read of each span's
    /// flags otherwise.
    #[inline]
    pub fn retain_sampled(&mut self) {
        if self.summary.all_sampled {
            return;
        }
        // A fold rather than `any`: no branch per record. `retain` moves
        // records, so it runs only when one is to go.
        if !self.records.iter().fold(true, |all, s| all & s.context.is_sampled()) {
            self.records.retain(|s| s.context.is_sampled());
        }
        self.summary.all_sampled = true;
    }

    /// Whether no span owns heap memory, as the producing thread knew it:
    /// then none has an error status or an attribute either.
    #[inline]
    pub(crate) fn owns_no_heap(&self) -> bool {
        self.summary.owns_no_heap
    }

    /// Moves every span of `spans` (which must be sampled) to the end of
    /// the batch, leaving `spans` empty. Nothing is known of them, so the
    /// batch no longer assumes that no span owns heap memory.
    pub(crate) fn append(&mut self, spans: &mut Vec<SpanData>) {
        debug_assert!(spans.iter().all(|s| s.context.is_sampled()));
        self.summary.owns_no_heap = false;
        self.records.append(spans);
    }

    /// Keeps the first `len` spans and drops the rest.
    pub fn truncate(&mut self, len: usize) {
        self.records.truncate(len);
    }

    /// Removes every span from the batch, in order. The emptied buffer still
    /// goes back to its thread's pool when the batch drops.
    pub fn drain(&mut self) -> std::vec::Drain<'_, SpanData> {
        self.records.drain(..)
    }

    /// Moves every span to the end of `spans` (one copy), leaving the batch
    /// empty.
    pub fn move_into(&mut self, spans: &mut Vec<SpanData>) {
        spans.append(&mut self.records);
    }

    /// The spans as a vector. The buffer is the vector's now and is not
    /// given back to the pool.
    pub fn into_vec(self) -> Vec<SpanData> {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so `records` is taken once.
        unsafe { ManuallyDrop::take(&mut this.records) }
    }
}

impl Deref for SpanBatch {
    type Target = [SpanData];

    #[inline]
    fn deref(&self) -> &[SpanData] {
        &self.records
    }
}

impl DerefMut for SpanBatch {
    /// The spans, to change. A changed span may own heap memory, so the
    /// batch no longer assumes that none does.
    #[inline]
    fn deref_mut(&mut self) -> &mut [SpanData] {
        self.summary.owns_no_heap = false;
        &mut self.records
    }
}

impl From<Vec<SpanData>> for SpanBatch {
    /// A batch of spans of which nothing is known: each is looked at when
    /// the batch drops, and its buffer joins this thread's pool.
    fn from(records: Vec<SpanData>) -> SpanBatch {
        SpanBatch::new(records, BatchSummary::default())
    }
}

impl Clone for SpanBatch {
    /// A copy with the same summary (a copy of a record that owns no heap
    /// memory owns none either), returning to the same thread's pool.
    fn clone(&self) -> SpanBatch {
        SpanBatch {
            records: ManuallyDrop::new(Vec::clone(&self.records)),
            summary: self.summary,
            home: self.home,
        }
    }
}

impl Drop for SpanBatch {
    fn drop(&mut self) {
        // SAFETY: taken once, here.
        let records = unsafe { ManuallyDrop::take(&mut self.records) };
        // Its records are dropped by the thread that takes the buffer next:
        // an export thread then never touches records it did not need to
        // read (their cache lines stay with the threads that write records),
        // and their event lists join that thread's pool.
        give_back(self.home, FilledBuffer::new(records, self.summary.owns_no_heap));
    }
}

impl fmt::Debug for SpanBatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpanBatch")
            .field("spans", &self.records.len())
            .field("all_sampled", &self.summary.all_sampled)
            .finish()
    }
}
