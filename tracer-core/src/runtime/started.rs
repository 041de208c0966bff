//! Spans started but not yet given a record: what `Span::new` makes under
//! a sampled local parent of the installed provider.
//!
//! An owned span may finish on another thread, so its record cannot start
//! in this thread's buffer; but most are entered or finished where they
//! started, and a record made in a box of their own and then copied into
//! the buffer (~430 bytes) costs more than the rest of the span. So the
//! span keeps only what its record is made from ([`StartedSpan`]), in the
//! box its record would need ([`StartedBox`]), and the record is written
//! once, where the span goes first: into the thread's buffer when it is
//! entered or finished there, into that box for anything else.

use std::borrow::Cow;
use std::mem::{ManuallyDrop, MaybeUninit};

use super::state::{KEPT_RECORD_BOXES, LocalState};
use crate::model::{SpanContext, SpanData, SpanId, SpanKind};

/// What a started span's record is made from.
pub(crate) struct StartedSpan {
    pub(crate) context: SpanContext,
    pub(crate) parent_span_id: SpanId,
    pub(crate) start_time_unix_nano: u64,
    pub(crate) name: &'static str,
    pub(crate) kind: SpanKind,
}

// The parts live at the start of a record's allocation.
const _: () =
    assert!(size_of::<StartedSpan>() <= size_of::<SpanData>() && align_of::<StartedSpan>() <= align_of::<SpanData>());

impl StartedSpan {
    /// Writes the span's (open) record into `slot`.
    ///
    /// # Safety
    /// `slot` is valid for a write of a record, and nothing in it is
    /// dropped.
    #[inline(always)]
    unsafe fn write_record(self, slot: *mut SpanData) {
        // SAFETY: the caller's promise.
        unsafe {
            SpanData::write_new(
                slot,
                Cow::Borrowed(self.name),
                self.kind,
                self.context,
                Some(self.parent_span_id),
                self.start_time_unix_nano,
            );
        }
    }
}

/// A [`StartedSpan`] in a record's box: a span stays two words, and the
/// box is there if the span needs its record boxed after all.
pub(crate) struct StartedBox {
    /// Holds an initialised `StartedSpan` at its start.
    slot: ManuallyDrop<Box<MaybeUninit<SpanData>>>,
}

impl StartedBox {
    /// `started`, kept in `slot` (an emptied record box).
    #[inline(always)]
    pub(super) fn new(mut slot: Box<MaybeUninit<SpanData>>, started: StartedSpan) -> StartedBox {
        // SAFETY: a record's allocation is large and aligned enough for the
        // parts (checked above), and holds nothing to drop.
        unsafe { slot.as_mut_ptr().cast::<StartedSpan>().write(started) };
        StartedBox {
            slot: ManuallyDrop::new(slot),
        }
    }

    /// The parts.
    #[inline(always)]
    pub(super) fn parts(&self) -> &StartedSpan {
        // SAFETY: the slot holds initialised parts while `self` lives.
        unsafe { &*self.slot.as_ptr().cast::<StartedSpan>() }
    }

    /// The parts, and the emptied box.
    #[inline(always)]
    pub(super) fn into_parts(self) -> (StartedSpan, Box<MaybeUninit<SpanData>>) {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so the box and the parts are
        // each taken once; the box is left holding nothing to drop.
        unsafe {
            let slot = ManuallyDrop::take(&mut this.slot);
            let started = slot.as_ptr().cast::<StartedSpan>().read();
            (started, slot)
        }
    }

    /// The span's record, made in its own box: no other box, no copy.
    #[inline(never)]
    pub(super) fn into_record(self) -> Box<SpanData> {
        let (started, mut slot) = self.into_parts();
        // SAFETY: the box is an allocation for one record, which
        // `write_record` initialises whole.
        unsafe {
            started.write_record(slot.as_mut_ptr());
            slot.assume_init()
        }
    }
}

impl Drop for StartedBox {
    fn drop(&mut self) {
        // SAFETY: the parts are initialised and dropped once, then the box
        // is freed (it holds nothing else to drop).
        unsafe {
            std::ptr::drop_in_place(self.slot.as_mut_ptr().cast::<StartedSpan>());
            ManuallyDrop::drop(&mut self.slot);
        }
    }
}

impl LocalState {
    /// An emptied record box: from the thread's pool, or a new one.
    #[inline(always)]
    pub(super) fn record_box(&mut self) -> Box<MaybeUninit<SpanData>> {
        self.record_boxes.pop().unwrap_or_else(Box::new_uninit)
    }

    /// Keeps an emptied record box for the next owned span.
    #[inline(always)]
    pub(super) fn keep_record_box(&mut self, empty: Box<MaybeUninit<SpanData>>) {
        if self.record_boxes.len() < KEPT_RECORD_BOXES {
            self.record_boxes.push(empty);
        }
    }

    /// Writes a started span's record into the buffer, open (`end` is
    /// `None`) or ended. Returns its index.
    #[inline(always)]
    pub(super) fn take_started(&mut self, started: StartedSpan, end: Option<u64>) -> usize {
        self.dirty |= !started.context.trace_state().is_empty();
        self.records.reserve(1);
        let index = self.records.len();
        // SAFETY: `reserve` made room at `index`; the record is written
        // whole before `set_len` exposes it.
        unsafe {
            let slot = self.records.as_mut_ptr().add(index);
            started.write_record(slot);
            if let Some(end) = end {
                (*slot).end_time_unix_nano = end;
            }
            self.records.set_len(index + 1);
        }
        if end.is_none() {
            self.open_records += 1;
        }
        index
    }
}
