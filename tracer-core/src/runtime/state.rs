//! The thread's state: its span stack, its buffer of span records, and
//! what it knows about them.

use std::mem::MaybeUninit;

use super::hand_over::{LOCAL_BATCH_LIMIT, flush_due, flush_if_due};
use super::provider_scope::{SavedDefault, deliver};
use super::shared::{SharedSpan, frame_span};
use super::shared_context::release_last_shared;
use super::stack::{Frame, FrameKind, Stack, frame_context};
use crate::buffer::{BatchSummary, POOLED_CAPACITY, SpanBatch, recycled_buffer};
use crate::clock;
use crate::model::{IdGenerator, SpanContext, SpanData, SpanId};
use crate::provider::TracerProvider;

pub(super) struct LocalState {
    pub(super) stack: Stack,
    pub(super) records: Vec<SpanData>,
    pub(super) open_records: usize,
    pub(super) ids: IdGenerator,
    pub(super) clock: clock::LocalClock,
    /// Emptied boxes for owned spans' records (see `SpanState::Recording`).
    /// The boxes are what is pooled, hence a `Vec` of them.
    #[allow(clippy::vec_box)]
    pub(super) record_boxes: Vec<Box<MaybeUninit<SpanData>>>,
    /// Whether a record in `records` may own something (an owned name or
    /// status message, attributes, events, links, a trace state). Set by
    /// every way into or at a record: a child with an owned name, an owned
    /// span's record that owns something, any mutable access, a panic.
    /// While it is clear, the handed-over buffer is emptied without a look
    /// at each record.
    pub(super) dirty: bool,
    /// Scratch for `compact_into`: each record's new index. Kept so that a
    /// compaction allocates only when the buffer is larger than ever.
    pub(super) new_slots: Vec<u32>,
    /// Whether a record in `records` may be recorded but not sampled (a
    /// sampler's `RecordOnly`): processors then filter the batch. Only an
    /// owned span's record can be: children started in the buffer are of
    /// sampled parents.
    pub(super) unsampled: bool,
    /// The largest hand-over of records from the buffer (at most
    /// [`LOCAL_BATCH_LIMIT`]): the buffer it is replaced by has room for
    /// that many, even after a smaller hand-over (a lone span ending
    /// outside others), so that the next trace does not grow it again.
    pub(super) batch_capacity: usize,
    /// The provider this thread's buffer and stack are for: `None` for the
    /// installed one, else the thread's default (see
    /// [`provider_scope`](super::provider_scope)).
    pub(super) provider: Option<TracerProvider>,
    /// What the thread had before each default it is in, innermost last.
    pub(super) saved: Vec<SavedDefault>,
}

/// Emptied record boxes a thread keeps: enough for a deep chain of nested
/// async functions (each level holds one open), ~53 KB at most.
pub(super) const KEPT_RECORD_BOXES: usize = 128;

impl LocalState {
    /// A thread's state before its first span.
    pub(super) const fn new() -> LocalState {
        LocalState {
            stack: Stack::new(),
            records: Vec::new(),
            open_records: 0,
            ids: IdGenerator::new(),
            clock: clock::LocalClock::new(),
            record_boxes: Vec::new(),
            new_slots: Vec::new(),
            dirty: false,
            unsampled: false,
            batch_capacity: 0,
            provider: None,
            saved: Vec::new(),
        }
    }

    pub(super) fn frame_context(&self, frame: &Frame) -> &SpanContext {
        frame_context(&self.records, &self.stack.scoped, frame)
    }

    pub(super) fn top_context(&self) -> Option<&SpanContext> {
        self.stack.frames.last().map(|frame| self.frame_context(frame))
    }

    /// The open record of `span_id`'s frame, to change: the buffer may then
    /// own something.
    pub(super) fn data_mut(&mut self, span_id: SpanId) -> Option<&mut SpanData> {
        let frame = self.stack.frames[self.stack.position(span_id)?];
        // Whatever the caller does with it.
        self.dirty |= frame.kind == FrameKind::Local;
        self.record_of(frame)
    }

    /// The shared span of `span_id`'s frame, if it is a `Shared` one.
    pub(super) fn shared_of(&self, span_id: SpanId) -> Option<&SharedSpan> {
        let frame = self.stack.frames[self.stack.position(span_id)?];
        // SAFETY: the frame is on the stack, so it owns a strong count.
        (frame.kind == FrameKind::Shared).then(|| unsafe { frame_span(self.stack.scoped[frame.slot as usize].state) })
    }

    /// Whether `span_id`'s frame has an open record; looks, changes nothing.
    pub(super) fn has_record(&mut self, span_id: SpanId) -> bool {
        let Some(position) = self.stack.position(span_id) else {
            return false;
        };
        let frame = self.stack.frames[position];
        match frame.kind {
            FrameKind::Local => true,
            // SAFETY: as in `record_of`; only read.
            FrameKind::Borrowed => unsafe { &*self.stack.scoped[frame.slot as usize].state }.is_recording(),
            FrameKind::Context | FrameKind::Shared => false,
        }
    }

    /// The open record of `frame`, to change. A started span current for a
    /// scope gets its record here, when something first changes it: one
    /// that nothing changes is written into the buffer when it finishes.
    pub(super) fn record_of(&mut self, frame: Frame) -> Option<&mut SpanData> {
        match frame.kind {
            FrameKind::Local => Some(&mut self.records[frame.slot as usize]),
            // Opening it takes no pooled box (it has its own), so it needs
            // no second borrow of this state.
            FrameKind::Borrowed => {
                // SAFETY: a borrowed frame lives only while its span is
                // pinned (a future being polled) or borrowed (`in_scope`),
                // and is popped before either ends; no other reference to
                // the state is in use (the borrow rule).
                let state = unsafe { &mut *self.stack.scoped[frame.slot as usize].state };
                state.open();
                state.record_mut()
            }
            // Behind its lock: see `with_open_record`.
            FrameKind::Context | FrameKind::Shared => None,
        }
    }

    /// Moves an owned span's record into the buffer, keeping its box for
    /// the next one. Returns the record's index.
    #[inline]
    pub(super) fn take_boxed(&mut self, record: Box<SpanData>) -> usize {
        self.dirty |= !record.owns_nothing();
        // Children started in the buffer are only ever of sampled parents.
        self.unsampled |= !record.context.is_sampled();
        let record = Box::into_raw(record);
        // SAFETY: the record is moved into the buffer once, and its box is
        // then only an allocation (`MaybeUninit`), never dropped as a record.
        unsafe {
            let index = move_into(&mut self.records, record);
            self.keep_record_box(Box::from_raw(record.cast::<MaybeUninit<SpanData>>()));
            index
        }
    }

    /// Whether the records should be handed over now.
    #[inline(always)]
    pub(super) fn should_flush(&self) -> bool {
        flush_due(self.stack.frames.len(), self.records.len() - self.open_records)
    }

    /// Takes every finished record, keeping open ones (and fixing the stack's
    /// indices to them). With none open, the buffer is replaced by a recycled
    /// one, so that it does not grow again from empty after every hand-over.
    ///
    /// With spans open, the work is bounded by the finished records, not by
    /// the open ones, in the usual shapes (a deep recursion, a long-lived
    /// root): their finished records follow the last open one, and leave
    /// with one copy each while the open ones stay where they are.
    pub(super) fn take_finished(&mut self) -> SpanBatch {
        let summary = self.summary();
        // A buffer larger than the pool keeps (a deep trace's) stays with
        // the thread, for its next deep trace: handed over, it would be
        // freed, and the thread would grow one again record by record.
        if self.open_records == 0 && self.records.capacity() <= POOLED_CAPACITY {
            self.batch_capacity = self.batch_capacity.max(self.records.len()).min(LOCAL_BATCH_LIMIT);
            self.dirty = false;
            self.unsampled = false;
            let replacement = recycled_buffer(self.batch_capacity);
            return SpanBatch::new(std::mem::replace(&mut self.records, replacement), summary);
        }
        let finished_count = self.records.len() - self.open_records;
        let after_last_open = self
            .records
            .iter()
            .rposition(|r| r.end_time_unix_nano == 0)
            .map_or(0, |last| last + 1);
        let tail = self.records.len() - after_last_open;
        let mut finished = recycled_buffer(finished_count);
        finished.reserve(finished_count);
        // Most finished records in the tail: those go now (with one copy),
        // the rest with a later hand-over. Otherwise every finished record
        // goes, and the open ones move to the front.
        if tail * 2 >= finished_count {
            self.move_tail_into(after_last_open, &mut finished);
        } else {
            self.compact_into(&mut finished);
        }
        if self.open_records == 0 {
            self.dirty = false;
            self.unsampled = false;
        }
        // Otherwise the kept records may own something, or not be sampled:
        // `dirty` and `unsampled` stay as they are.
        SpanBatch::new(finished, summary)
    }

    /// Moves the records from `start` on to the empty `finished`, which
    /// has room for them, one copy each.
    fn move_tail_into(&mut self, start: usize, finished: &mut Vec<SpanData>) {
        let tail = self.records.len() - start;
        debug_assert!(finished.is_empty() && finished.capacity() >= tail);
        // SAFETY: `finished` is empty with room for `tail` records; each
        // record of the tail is copied once, and both lengths are set so
        // that each is owned by exactly one of the two vectors.
        unsafe {
            let from = self.records.as_ptr().add(start);
            let to = finished.as_mut_ptr();
            // Record by record: a copy of one record's fixed size compiles
            // to a few vector moves, where one bulk copy of them all runs
            // `memcpy`'s string loop.
            for i in 0..tail {
                std::ptr::copy_nonoverlapping(from.add(i), to.add(i), 1);
            }
            self.records.set_len(start);
            finished.set_len(tail);
        }
    }

    /// Moves every finished record to `finished` and the open ones to the
    /// front of the buffer, in order, then points the stack at their new
    /// places: one pass over the records, one over the frames.
    fn compact_into(&mut self, finished: &mut Vec<SpanData>) {
        let len = self.records.len();
        let mut new_slot = std::mem::take(&mut self.new_slots);
        new_slot.clear();
        new_slot.resize(len, u32::MAX);
        let records = self.records.as_mut_ptr();
        // SAFETY: the length is cleared first, so nothing is dropped twice
        // if `push` panics (it cannot reallocate: the caller reserved room
        // for every finished record); each record is read once, either
        // into `finished` or into the kept prefix, whose slots `kept <=
        // read` were already read.
        unsafe {
            self.records.set_len(0);
            let mut kept = 0;
            // `new_slot` has one slot per record (`len`).
            for (read, slot) in new_slot.iter_mut().enumerate() {
                let record = records.add(read);
                if (*record).end_time_unix_nano != 0 {
                    finished.push(std::ptr::read(record));
                } else {
                    if read != kept {
                        std::ptr::copy_nonoverlapping(record, records.add(kept), 1);
                    }
                    *slot = kept as u32;
                    kept += 1;
                }
            }
            self.records.set_len(kept);
        }
        self.stack.move_records(&new_slot);
        self.new_slots = new_slot;
    }

    /// What the flags say about the records in the buffer.
    pub(super) fn summary(&self) -> BatchSummary {
        BatchSummary {
            owns_no_heap: !self.dirty,
            all_sampled: !self.unsampled,
        }
    }

    /// Ends the span of the frame for `span_id`, which `EnteredSpan`
    /// pushed at `depth`, wherever that frame now is. Returns the records
    /// due for hand-over.
    #[cold]
    #[inline(never)]
    pub(super) fn end_anywhere(&mut self, span_id: SpanId, panicked: bool) -> Option<SpanBatch> {
        let position = self.stack.position(span_id)?;
        let (frame, _) = self.stack.remove(position);
        if frame.kind == FrameKind::Local {
            self.close_record(frame.slot as usize, panicked);
        }
        flush_if_due(self)
    }

    /// Pops the top frame, a `Context` one: its context is usually the
    /// last scoped one, and then nothing else moves.
    #[inline(always)]
    pub(super) fn pop_context_top(&mut self) -> Option<SpanBatch> {
        let Stack { frames, scoped } = &mut self.stack;
        let frame = frames.pop().expect("the caller saw a top frame");
        if frame.slot as usize + 1 == scoped.len() {
            // Dropped in place: `pop` would copy the context out first.
            scoped.truncate(frame.slot as usize);
        } else {
            self.stack.remove_scoped(frame.slot);
        }
        self.stack.sync();
        flush_if_due(self)
    }

    #[inline(always)]
    pub(super) fn close_record(&mut self, index: usize, panicked: bool) {
        if panicked {
            self.mark_panicked(index);
        }
        let record = &mut self.records[index];
        record.end_time_unix_nano = self.clock.now_unix_nanos();
        self.open_records -= 1;
    }

    #[cold]
    fn mark_panicked(&mut self, index: usize) {
        let limits = self.limits();
        self.records[index].record_panic(self.clock.now_unix_nanos(), &limits);
        self.dirty = true;
    }
}

impl Drop for LocalState {
    fn drop(&mut self) {
        // The thread is exiting: close what a leaked guard left open, and
        // hand everything over, to each default's provider (a default's
        // guard that was leaked) and the installed one.
        while let Some((batch, provider)) = self.leave_default() {
            deliver(provider.as_ref(), batch);
        }
        let batch = self.close_all();
        deliver(self.provider.as_ref(), batch);
        release_last_shared();
    }
}

/// Moves the record out of `*data` into `records` with a single copy.
///
/// # Safety
/// `*data` is left moved-out: the caller must overwrite it without dropping
/// it (`ptr::write`) before anything else reads or drops it.
#[inline]
pub(super) unsafe fn move_into(records: &mut Vec<SpanData>, data: *const SpanData) -> usize {
    // `Vec::push(ptr::read(data))` may copy the ~400-byte record twice,
    // through a temporary; copying straight into the free slot does it once.
    records.reserve(1);
    let index = records.len();
    // SAFETY: `reserve` made room for one more record at `index`; the
    // source is valid and the caller gives up ownership of it.
    unsafe {
        std::ptr::copy_nonoverlapping(data, records.as_mut_ptr().add(index), 1);
        records.set_len(index + 1);
    }
    index
}
