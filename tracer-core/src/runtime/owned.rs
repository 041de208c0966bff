//! Owned spans: a span's state while a [`Span`](crate::Span) holds it, and
//! how its record reaches the thread's buffer when it finishes.

use std::borrow::Cow;
use std::mem::MaybeUninit;
use std::sync::Arc;

use super::cell::with_local;
use super::hand_over::{flush_due_holding_records, flush_if_due, hand_over};
use super::owned_record::{OwnedRecord, OwnedRecordBox};
use super::provider_scope::{deliver, owner_limits};
use super::shared_context::share;
use super::started::StartedBox;
use super::state::LocalState;
use crate::buffer::SpanBatch;
use crate::clock;
use crate::model::{SpanContext, SpanData, SpanKind};
use crate::provider::TracerProvider;

/// The state of an owned span.
pub(crate) enum SpanState {
    /// Open and recorded. The record is boxed so that a `Span`, and every
    /// future holding one, stays small (two words, not ~430 bytes): nested
    /// async functions hold each other's futures, so a chain of them
    /// carries, and copies as it is built, the spans of all its levels. The
    /// boxes come from a per-thread pool (`LocalState::record_boxes`), so
    /// that a span still costs no allocation.
    ///
    /// This one started under the installed provider.
    Recording(Box<SpanData>),
    /// Open and recorded, with what `Recording` and `Started` take as
    /// given spelled out (see [`OwnedRecord`]): the span's provider, when
    /// it is not the installed one (a thread's default), and whether the
    /// thread was panicking when it started. Both are rare, so they are
    /// kept apart, and a `Span` stays two words.
    RecordingFor(OwnedRecordBox),
    /// Open and recorded, its record not made yet: what `Span::new` starts
    /// under a sampled local parent of the installed provider, with a
    /// static name. The record is written where the span goes first:
    /// straight into the thread's buffer when it is entered or finished
    /// (no box, no copy of the record), into a box when anything else needs
    /// it ([`SpanState::open`]).
    Started(StartedBox),
    /// Not recorded; keeps a context when there is one, for propagation
    /// (shared: see [`shared_context`](super::shared_context)).
    NonRecording(Option<Arc<SpanContext>>),
    /// Finished, or moved into the thread's stack by `entered`.
    Done,
}

impl SpanState {
    /// An open record of `owner` (`None`: the installed provider).
    #[inline(always)]
    pub(crate) fn recording(record: Box<SpanData>, owner: Option<TracerProvider>) -> SpanState {
        match owner {
            None => SpanState::Recording(record),
            Some(owner) => SpanState::RecordingFor(OwnedRecordBox::new(OwnedRecord {
                record,
                owner: Some(owner),
                panicking_at_start: false,
            })),
        }
    }

    /// Notes, for a span that starts being owned now, whether the thread
    /// is panicking: if so, only a panic that begins later marks it.
    #[inline(always)]
    pub(crate) fn note_start(&mut self) {
        if self.is_recording() && std::thread::panicking() {
            self.started_in_panic();
        }
    }

    /// The span started while the thread was panicking.
    #[cold]
    #[inline(never)]
    fn started_in_panic(&mut self) {
        self.open();
        match std::mem::replace(self, SpanState::Done) {
            SpanState::Recording(record) => {
                *self = SpanState::RecordingFor(OwnedRecordBox::new(OwnedRecord {
                    record,
                    owner: None,
                    panicking_at_start: true,
                }));
            }
            SpanState::RecordingFor(mut owned) => {
                owned.panicking_at_start = true;
                *self = SpanState::RecordingFor(owned);
            }
            other => *self = other,
        }
    }

    /// Whether the span started while the thread was panicking.
    #[inline(always)]
    fn panicking_at_start(&self) -> bool {
        matches!(self, SpanState::RecordingFor(owned) if owned.panicking_at_start)
    }

    /// Not recorded, with `context` if there is one.
    #[inline]
    pub(crate) fn non_recording(context: Option<SpanContext>) -> SpanState {
        SpanState::NonRecording(context.map(share))
    }

    /// Whether it is open and recorded.
    #[inline(always)]
    pub(crate) fn is_recording(&self) -> bool {
        matches!(
            self,
            SpanState::Recording(_) | SpanState::RecordingFor(_) | SpanState::Started(_)
        )
    }

    /// Takes a `Started` span's box, leaving `Done`.
    ///
    /// # Panics
    /// If the state is not `Started`.
    #[inline(always)]
    pub(super) fn take_started(&mut self) -> StartedBox {
        match std::mem::replace(self, SpanState::Done) {
            SpanState::Started(started) => started,
            _ => unreachable!("the caller matched a started span"),
        }
    }

    /// Gives a `Started` span its record, in the box it holds: for
    /// everything but being entered or finished, which write the record
    /// into the thread's buffer.
    #[inline]
    pub(crate) fn open(&mut self) {
        if let SpanState::Started(_) = self {
            let record = self.take_started().into_record();
            // SAFETY: `*self` is `Done`, which has nothing to drop.
            unsafe { std::ptr::write(self, SpanState::Recording(record)) };
        }
    }

    /// The open record, if any.
    #[inline(always)]
    pub(crate) fn record_mut(&mut self) -> Option<&mut SpanData> {
        match self {
            SpanState::Recording(data) => Some(data),
            SpanState::RecordingFor(owned) => Some(&mut owned.record),
            _ => None,
        }
    }

    /// Its context: the record's, or the one kept when not recorded.
    #[inline(always)]
    pub(crate) fn context(&self) -> Option<SpanContext> {
        self.context_ref().cloned()
    }

    /// [`context`](Self::context), borrowed.
    #[inline(always)]
    pub(crate) fn context_ref(&self) -> Option<&SpanContext> {
        match self {
            SpanState::Recording(data) => Some(&data.context),
            SpanState::RecordingFor(owned) => Some(&owned.record.context),
            SpanState::Started(started) => Some(&started.parts().context),
            SpanState::NonRecording(context) => context.as_deref(),
            SpanState::Done => None,
        }
    }
}

/// A new owned span's record, written straight into its box: an emptied
/// one from this thread's pool when there is one (see
/// `SpanState::Recording`). Made in place, not built and then moved in.
#[inline]
pub(super) fn new_record_box(
    name: Cow<'static, str>,
    kind: SpanKind,
    context: SpanContext,
    parent: Option<&SpanContext>,
    start_time_unix_nano: u64,
) -> Box<SpanData> {
    let mut slot = with_local(LocalState::record_box).unwrap_or_else(Box::new_uninit);
    let parent_span_id = parent.map(SpanContext::span_id);
    // SAFETY: the box is an allocation for one record, which `write_new`
    // initialises whole; then one field is set.
    unsafe {
        SpanData::write_new(
            slot.as_mut_ptr(),
            name,
            kind,
            context,
            parent_span_id,
            start_time_unix_nano,
        );
        (*slot.as_mut_ptr()).parent_is_remote = parent.is_some_and(SpanContext::is_remote);
        slot.assume_init()
    }
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
///
/// Only the check for a span that owns nothing inlines: a finished (or
/// entered) one, as a span is usually asked to finish more than once (an
/// instrumented future finishes it when ready, then drops it), and one
/// made with no provider. Both cost a compare.
#[inline(always)]
pub(crate) fn finish_owned(state: &mut SpanState, end: Option<u64>, panicking_at_start: bool) {
    match state {
        SpanState::Done | SpanState::NonRecording(None) => {}
        // The usual state of an instrumented future's span: apart from
        // `finish_open`'s larger frame.
        SpanState::Started(_) => finish_started_span(state, end, panicking_at_start),
        _ => finish_open(state, end, panicking_at_start),
    }
}

/// [`finish_owned`] of a `Started` span.
#[inline(never)]
fn finish_started_span(state: &mut SpanState, end: Option<u64>, panicking_at_start: bool) {
    if !panicking_at_start && std::thread::panicking() {
        state.open();
        return finish_open(state, end, panicking_at_start);
    }
    finish_started(state, end);
}

/// [`finish_owned`] of a span that is not `Done`.
#[inline(never)]
fn finish_open(state: &mut SpanState, end: Option<u64>, panicking_at_start: bool) {
    match state {
        SpanState::Recording(_) | SpanState::RecordingFor(_) => {
            if !panicking_at_start && !state.panicking_at_start() && std::thread::panicking() {
                mark_panicked(state);
            }
            let Some(data) = state.record_mut() else {
                unreachable!("matched above")
            };
            data.end_time_unix_nano = end.unwrap_or_else(clock::now_unix_nanos);
            // Moves the record into the thread's buffer (one copy) and
            // leaves `Done`.
            submit_finished(state);
        }
        SpanState::Started(_) => finish_started_span(state, end, panicking_at_start),
        SpanState::NonRecording(context) => {
            // The context is all it owns: dropped as such, and the rest
            // forgotten, so that no drop of a whole `SpanState` is called
            // (out of line once shared spans also dropped states: 0.2
            // instructions more per span on `off`).
            drop(context.take());
            std::mem::forget(std::mem::replace(state, SpanState::Done));
        }
        // `finish_owned` checked it.
        SpanState::Done => {}
    }
}

/// Finishes a `Started` span: its record is written, already ended,
/// straight into this thread's buffer. `*state` becomes `Done`.
#[inline(always)]
fn finish_started(state: &mut SpanState, end: Option<u64>) {
    let batch = with_local(|local| finish_started_in(local, state, end));
    match batch {
        Some(Some(batch)) => hand_over(batch),
        // A default's buffer, or no thread-local state (thread exit, or
        // re-entrant): boxed, and handed over alone rather than lost.
        _ => {
            state.open();
            if let Some(data) = state.record_mut() {
                data.end_time_unix_nano = end.unwrap_or_else(clock::now_unix_nanos);
            }
            deliver_alone(std::mem::replace(state, SpanState::Done));
        }
    }
}

/// [`finish_started`] in the caller's borrow of the thread's state: the
/// records due for hand-over. `None`, and `*state` untouched, when the
/// thread's buffer is a default's (not this span's), or the thread is
/// panicking (the caller then finishes it as an owned span, which marks it).
#[inline(always)]
pub(super) fn finish_started_in(
    local: &mut LocalState,
    state: &mut SpanState,
    end: Option<u64>,
) -> Option<Option<SpanBatch>> {
    if local.provider.is_some() || std::thread::panicking() {
        return None;
    }
    let (started, empty) = state.take_started().into_parts();
    let end = end.unwrap_or_else(|| local.clock.now_unix_nanos());
    local.take_started(started, Some(end));
    local.keep_record_box(empty);
    // It holds the record just written: only the rule's compare inlines.
    let due = flush_due_holding_records(local.stack.frames.len(), local.records.len() - local.open_records);
    Some(due.then(|| local.take_finished()))
}

/// A panic began while the span was open: marked within its provider's
/// limits.
#[cold]
fn mark_panicked(state: &mut SpanState) {
    let now = clock::now_unix_nanos();
    match state {
        SpanState::Recording(data) => data.record_panic(now, &owner_limits(None)),
        SpanState::RecordingFor(owned) => {
            let limits = owner_limits(owned.owner.as_ref());
            owned.record.record_panic(now, &limits);
        }
        _ => {}
    }
}

/// Takes a finished owned span's record into this thread's buffer, or, if
/// the thread's buffer is another provider's, straight to its own provider.
/// `*state` must be recording; it becomes `Done`.
fn submit_finished(state: &mut SpanState) {
    match state {
        SpanState::Recording(_) => {}
        SpanState::RecordingFor(_) => return submit_finished_for(state),
        _ => return,
    }
    let batch = with_local(|local| {
        // The thread's buffer is a default's: not this span's.
        if local.provider.is_some() {
            return None;
        }
        if let SpanState::Recording(record) = std::mem::replace(state, SpanState::Done) {
            local.take_boxed(record);
        }
        Some(flush_if_due(local))
    });
    match batch {
        Some(Some(batch)) => hand_over(batch),
        // A default's buffer, or no thread-local state (thread exit, or
        // re-entrant): the closure did not take it, and the record is
        // handed over alone rather than lost.
        _ => deliver_alone(std::mem::replace(state, SpanState::Done)),
    }
}

/// [`submit_finished`] for a [`SpanState::RecordingFor`] span (of a
/// default's provider, or started in a panic). Its own copy of
/// the take-or-deliver steps: one shared helper matching both variants cost
/// the installed provider's async spans 7 instructions each (macro_async
/// 1122 -> 1129).
#[inline]
fn submit_finished_for(state: &mut SpanState) {
    let batch = with_local(|local| {
        if !matches!(state, SpanState::RecordingFor(owned) if local.owns(owned.owner.as_ref())) {
            return None;
        }
        if let SpanState::RecordingFor(owned) = std::mem::replace(state, SpanState::Done) {
            let owned = owned.into_inner();
            local.take_boxed(owned.record);
        }
        Some(flush_if_due(local))
    });
    match batch {
        Some(Some(batch)) => hand_over(batch),
        _ => deliver_alone(std::mem::replace(state, SpanState::Done)),
    }
}

/// Gives a finished record straight to its provider, in a batch of its own.
#[cold]
#[inline(never)]
fn deliver_alone(state: SpanState) {
    match state {
        SpanState::Recording(record) => deliver(None, SpanBatch::from(vec![*record])),
        SpanState::RecordingFor(owned) => {
            let owned = owned.into_inner();
            deliver(owned.owner.as_ref(), SpanBatch::from(vec![*owned.record]));
        }
        _ => {}
    }
}
