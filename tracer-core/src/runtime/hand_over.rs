//! The hand-over: when a thread gives its finished records to the
//! processors, as one [`SpanBatch`].

use super::cell::with_local;
use super::state::LocalState;
use crate::buffer::SpanBatch;
use crate::provider::{self, Active};

/// A thread hands its finished records over once it holds this many, even
/// while spans are still open on it (a long-lived root).
pub(crate) const LOCAL_BATCH_LIMIT: usize = 512;

/// Hands a batch to the processors, outside any borrow of the local state.
#[inline]
pub(super) fn hand_over(batch: Option<SpanBatch>) {
    // Most calls have nothing to hand over: only the check is inlined.
    if let Some(batch) = batch {
        hand_over_batch(batch);
    }
}

/// Hands a batch of this thread's buffer to the provider the buffer is
/// for: the thread's default, else the installed provider.
#[inline(never)]
pub(super) fn hand_over_batch(batch: SpanBatch) {
    if matches!(provider::active(), Active::Scoped) {
        if let Some(Some(default)) = with_local(|local| local.provider.clone()) {
            return default.inner.on_end_batch(batch);
        }
    }
    match provider::get() {
        Some(provider) => provider.inner.on_end_batch(batch),
        // Dropped: the buffer goes back to this thread's pool.
        None => drop(batch),
    }
}

/// The hand-over rule: a thread hands its finished records over when its
/// outermost span ends, or once it holds [`LOCAL_BATCH_LIMIT`] finished
/// ones. Open records do not count: a recursion thousands of spans deep
/// holds that many open, and handing over at every span would cost each
/// span a look at all of them.
#[inline(always)]
pub(super) fn flush_due(frames: usize, finished: usize) -> bool {
    finished != 0 && flush_due_holding_records(frames, finished)
}

/// [`flush_due`] for a caller that knows the buffer holds a finished
/// record (it just closed one): on the span-end path the emptiness check
/// cost 5 instructions per span (nested100: 282 → 287).
#[inline(always)]
pub(super) fn flush_due_holding_records(frames: usize, finished: usize) -> bool {
    frames == 0 || finished >= LOCAL_BATCH_LIMIT
}

pub(super) fn flush_if_due(local: &mut LocalState) -> Option<SpanBatch> {
    if local.should_flush() {
        Some(local.take_finished())
    } else {
        None
    }
}

/// Hands over this thread's finished records now.
pub(crate) fn flush_local() {
    hand_over(
        with_local(|local| {
            // An empty buffer stays: replacing it would drop its capacity,
            // and the next trace would grow a new one from nothing.
            if local.records.len() == local.open_records {
                return None;
            }
            Some(local.take_finished())
        })
        .flatten(),
    );
}
