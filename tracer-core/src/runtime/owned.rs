//! Owned spans: a span's state while a [`Span`](crate::Span) holds it, and
//! how its record reaches the thread's buffer when it finishes.

use std::mem::MaybeUninit;

use super::cell::with_local;
use super::hand_over::{flush_if_due, hand_over};
use super::provider_scope::{deliver, owner_limits};
use crate::buffer::SpanBatch;
use crate::clock;
use crate::model::{SpanContext, SpanData};
use crate::provider::TracerProvider;

/// The state of an owned span.
pub(crate) enum SpanState {
    /// Open and recorded. The record is boxed so that a `Span`, and every
    /// future holding one, stays small (48 bytes, not ~430): nested async
    /// functions hold each other's futures, so a chain of them carried, and
    /// moved on every call, the records of all its levels. The boxes come
    /// from a per-thread pool (`LocalState::record_boxes`), so that a span
    /// still costs no allocation.
    ///
    /// The provider is the one it started under, when that is not the
    /// installed one: its record goes there wherever it ends.
    Recording(Box<SpanData>, Option<TracerProvider>),
    /// Not recorded; keeps a context when there is one, for propagation.
    NonRecording(Option<SpanContext>),
    /// Finished, or moved into the thread's stack by `entered`.
    Done,
}

/// Boxes an owned span's record: in an emptied box from this thread's pool
/// when there is one (see `SpanState::Recording`).
#[inline]
pub(super) fn box_record(data: SpanData) -> Box<SpanData> {
    fill_record_box(with_local(|local| local.record_boxes.pop()).flatten(), data)
}

#[inline(always)]
pub(super) fn fill_record_box(empty: Option<Box<MaybeUninit<SpanData>>>, data: SpanData) -> Box<SpanData> {
    match empty {
        Some(mut empty) => {
            empty.write(data);
            // SAFETY: written just above.
            unsafe { empty.assume_init() }
        }
        None => Box::new(data),
    }
}

/// Finishes an owned span at `end` (now if `None`): a recorded one is
/// marked `panicked` if a panic began since it started, stamped, and taken
/// into this thread's buffer. `*state` becomes `Done`.
#[inline]
pub(crate) fn finish_owned(state: &mut SpanState, end: Option<u64>, panicking_at_start: bool) {
    match state {
        SpanState::Recording(data, owner) => {
            if !panicking_at_start && std::thread::panicking() {
                data.record_panic(clock::now_unix_nanos(), &owner_limits(owner.as_ref()));
            }
            data.end_time_unix_nano = end.unwrap_or_else(clock::now_unix_nanos);
            // Moves the record into the thread's buffer (one copy) and
            // leaves `Done`.
            submit_finished(state);
        }
        SpanState::NonRecording(context) => {
            // The context is all it owns: dropped as such, and the rest
            // forgotten, so that no drop of a whole `SpanState` is called
            // (out of line once shared spans also dropped states: 0.2
            // instructions more per span on `off`).
            drop(context.take());
            std::mem::forget(std::mem::replace(state, SpanState::Done));
        }
        // Checked first so that dropping a finished or entered span costs
        // no copy of the state.
        SpanState::Done => {}
    }
}

/// Takes a finished owned span's record into this thread's buffer, or, if
/// the thread's buffer is another provider's, straight to its own provider.
/// `*state` must be `Recording`; it becomes `Done`.
fn submit_finished(state: &mut SpanState) {
    if !matches!(state, SpanState::Recording(..)) {
        return;
    }
    let batch = with_local(|local| {
        let SpanState::Recording(record, owner) = std::mem::replace(state, SpanState::Done) else {
            unreachable!("checked above");
        };
        if !local.owns(owner.as_ref()) {
            return Err((record, owner));
        }
        local.take_boxed(record);
        Ok(flush_if_due(local))
    });
    match batch {
        Some(Ok(batch)) => hand_over(batch),
        Some(Err((record, owner))) => deliver(owner.as_ref(), SpanBatch::from(vec![*record])),
        // No thread-local state (thread exit, or re-entrant): the closure did
        // not run; the record is handed over alone rather than lost.
        None => {
            if let SpanState::Recording(record, owner) = std::mem::replace(state, SpanState::Done) {
                deliver(owner.as_ref(), SpanBatch::from(vec![*record]));
            }
        }
    }
}
