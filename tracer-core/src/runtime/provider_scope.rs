//! The thread's default provider: which provider the spans started on this
//! thread report to.
//!
//! Without a default, spans report to the installed provider, and nothing
//! here runs: span starts read one global word ([`provider::active`]).
//! Once any thread has made a provider its default, starts look at their
//! thread's default first.
//!
//! A default comes with a stack and a buffer of its own: entering one saves
//! the thread's current spans and buffer, so that the thread's buffer only
//! ever holds records of one provider, and a default begins with no current
//! span (as `tracing::subscriber::set_default` does). Leaving it closes what
//! its spans left open, hands its records to its provider, and brings the
//! saved ones back.
//!
//! An owned span keeps a handle of a provider that is not the installed one
//! (see [`SpanState::Recording`]). Made current on a thread whose default is
//! another (`in_scope`, a poll of its future on a worker thread,
//! `entered`), it makes its provider the default for that time; finished
//! there, its record goes straight to its provider.

use std::cell::Cell;
use std::mem;
use std::sync::Arc;

use super::cell::with_local;
use super::owned::SpanState;
use super::shared::release_frame;
use super::stack::{FrameKind, Stack};
use super::state::LocalState;
use crate::buffer::SpanBatch;
use crate::model::{SpanId, SpanLimits};
use crate::provider::{self, Active, ProviderInner, TracerProvider};

/// What a thread was doing before it entered a default: restored when it
/// leaves.
pub(super) struct SavedDefault {
    stack: Stack,
    records: Vec<crate::model::SpanData>,
    open_records: usize,
    dirty: bool,
    unsampled: bool,
    provider: Option<TracerProvider>,
    /// The entered span whose end leaves this default (see
    /// `Entry::LEAVES_DEFAULT`), if a span's guard entered it.
    opened_by: Option<SpanId>,
}

/// Runs `on` with the provider a span starting now reports to, or `off`
/// when spans are not recorded; either gets `cx`.
#[inline(always)]
pub(crate) fn with_active<C, R>(cx: C, on: impl FnOnce(&ProviderInner, C) -> R, off: impl FnOnce(C) -> R) -> R {
    match provider::active() {
        Active::Off => off(cx),
        Active::Global(provider) => on(provider, cx),
        Active::Scoped => with_thread_default(cx, on, off),
    }
}

/// [`with_active`] once defaults are in use: the thread's default, else the
/// installed provider. Callers keep it out of the installed provider's
/// path (`Active::Scoped` arms call out-of-line functions that use it).
#[inline(always)]
pub(super) fn with_thread_default<C, R>(cx: C, on: impl FnOnce(&ProviderInner, C) -> R, off: impl FnOnce(C) -> R) -> R {
    // SAFETY: used for this call only.
    match unsafe { thread_default() } {
        Some(provider) => on(provider, cx),
        None => off(cx),
    }
}

/// The provider a span starting now reports to once defaults are in use:
/// the thread's default, else the installed provider while it records.
///
/// # Safety
/// The reference is for one span start (or one read), by this crate's
/// code: the thread's default may end afterwards and free its provider.
#[inline(always)]
pub(super) unsafe fn thread_default<'a>() -> Option<&'a ProviderInner> {
    let default = THREAD_DEFAULT.with(Cell::get);
    if default.is_null() {
        return provider::global_recording();
    }
    // SAFETY: `THREAD_DEFAULT` is the address of the `ProviderInner` whose
    // handle `LocalState::provider` holds (`set_thread_default`), and the
    // caller uses it for one start. None of this crate's code ends a
    // default; the user code that may (a sampler, an `on_start` processor)
    // runs while the start path holds a handle of its own
    // (`start_sampled`, `start_root_with`).
    let default = unsafe { &*default };
    (!default.is_shut_down()).then_some(default)
}

thread_local! {
    /// The address of this thread's default provider, null without one:
    /// what a span start reads, instead of borrowing the thread's state.
    static THREAD_DEFAULT: Cell<*const ProviderInner> = const { Cell::new(std::ptr::null()) };
}

/// Points [`THREAD_DEFAULT`] at `provider`'s (null for `None`).
fn set_thread_default(provider: Option<&TracerProvider>) {
    let address = provider.map_or(std::ptr::null(), |p| Arc::as_ptr(&p.inner));
    let _ = THREAD_DEFAULT.try_with(|cell| cell.set(address));
}

/// Whether spans started now could be recorded, by any provider.
#[cfg(feature = "tracing")]
pub(crate) fn recording_possible() -> bool {
    with_active((), |_, ()| true, |()| false)
}

/// Runs `f` on the span limits of the provider spans started now report
/// to (no copy of them). `f` is this crate's code: it may run while a
/// record is borrowed.
#[inline(always)]
pub(crate) fn with_limits<R>(f: impl FnOnce(&SpanLimits) -> R) -> R {
    static DEFAULT: SpanLimits = SpanLimits::DEFAULT;
    match provider::active() {
        Active::Global(provider) => f(&provider.limits),
        Active::Off => f(&DEFAULT),
        Active::Scoped => with_limits_under_default(f),
    }
}

/// [`with_limits`] once defaults are in use, out of line.
#[inline(never)]
fn with_limits_under_default<R>(f: impl FnOnce(&SpanLimits) -> R) -> R {
    static DEFAULT: SpanLimits = SpanLimits::DEFAULT;
    // A shut-down default's limits still apply to what it recorded.
    let default = THREAD_DEFAULT.with(Cell::get);
    if default.is_null() {
        return match provider::global_recording() {
            Some(global) => f(&global.limits),
            None => f(&DEFAULT),
        };
    }
    // SAFETY: as in `thread_default`; the reference is for this read, and
    // `f` is this crate's code.
    f(unsafe { &(*default).limits })
}

/// The span limits of the provider spans started now report to.
#[cfg(feature = "tracing")]
#[inline]
pub(crate) fn limits() -> SpanLimits {
    match provider::active() {
        Active::Global(provider) => provider.limits,
        Active::Off => SpanLimits::default(),
        Active::Scoped => limits_under_default(),
    }
}

#[cfg(feature = "tracing")]
#[inline(never)]
fn limits_under_default() -> SpanLimits {
    with_thread_default((), |provider, ()| *provider.limits(), |()| SpanLimits::default())
}

/// The span limits of `owner` (`None`: the installed provider).
pub(super) fn owner_limits(owner: Option<&TracerProvider>) -> SpanLimits {
    owner.map_or_else(provider::limits, |provider| *provider.limits())
}

/// Gives `batch` to `owner` (`None`: the installed provider, if any).
pub(super) fn deliver(owner: Option<&TracerProvider>, batch: SpanBatch) {
    if batch.is_empty() {
        return;
    }
    let provider = match owner {
        Some(owner) => Some(owner),
        None => provider::get(),
    };
    match provider {
        Some(provider) => provider.inner.on_end_batch(batch),
        // Dropped: the buffer goes back to this thread's pool.
        None => drop(batch),
    }
}

/// Makes `provider` (`None`: the installed one) this thread's default until
/// [`leave_defaults_from`] with the depth returned (`None` when the
/// thread's state is unavailable).
pub(crate) fn enter_default(provider: Option<TracerProvider>) -> Option<usize> {
    with_local(|local| {
        local.enter_default(provider, None);
        local.saved.len()
    })
}

/// This thread's default provider, if it has one.
pub(crate) fn current_default() -> Option<TracerProvider> {
    if !provider::scopes_used() {
        return None;
    }
    with_local(|local| local.provider.clone()).flatten()
}

/// Makes `provider` this thread's default as [`enter_default`] does, unless
/// it is the default already; the default is left when the guard drops
/// (also when unwinding).
pub(crate) fn enter_default_unless_current(provider: &TracerProvider) -> LeaveDefault {
    LeaveDefault(
        with_local(|local| {
            if local.owns(Some(provider)) {
                return None;
            }
            local.enter_default(Some(provider.clone()), None);
            Some(local.saved.len())
        })
        .flatten(),
    )
}

/// Leaves the default it names, if any, when dropped.
pub(crate) struct LeaveDefault(Option<usize>);

impl Drop for LeaveDefault {
    fn drop(&mut self) {
        if let Some(depth) = self.0 {
            leave_defaults_from(depth);
        }
    }
}

/// Leaves the default that [`enter_default`] returned `depth` for, and any
/// entered after it and not left yet, handing their records to their
/// providers.
pub(crate) fn leave_defaults_from(depth: usize) {
    while let Some((batch, provider)) = with_local(|local| {
        if local.saved.len() >= depth {
            local.leave_default()
        } else {
            None
        }
    })
    .flatten()
    {
        deliver(provider.as_ref(), batch);
    }
}

/// Leaves the default entered last (by a span made current on a thread
/// whose default was another provider), handing its records to its
/// provider.
pub(super) fn leave_default() {
    if let Some((batch, provider)) = with_local(LocalState::leave_default).flatten() {
        deliver(provider.as_ref(), batch);
    }
}

/// The owner of an owned span's state, when it is recorded and its provider
/// is not this thread's default: making it current then needs its own
/// default.
pub(super) fn foreign_owner(local: &LocalState, state: &SpanState) -> Option<Option<TracerProvider>> {
    match state {
        SpanState::Recording(_) | SpanState::Started(_) if local.provider.is_some() => Some(None),
        SpanState::RecordingFor(owned) if !local.owns(owned.owner.as_ref()) => Some(owned.owner.clone()),
        _ => None,
    }
}

impl LocalState {
    /// Whether this thread's buffer is `owner`'s (`None`: the installed
    /// provider's).
    #[inline(always)]
    pub(super) fn owns(&self, owner: Option<&TracerProvider>) -> bool {
        match (&self.provider, owner) {
            (None, None) => true,
            (Some(current), Some(owner)) => current.same_as(owner),
            _ => false,
        }
    }

    /// The span limits of this thread's default provider.
    pub(super) fn limits(&self) -> SpanLimits {
        owner_limits(self.provider.as_ref())
    }

    /// Saves the stack and buffer, and starts empty ones for `provider`.
    pub(super) fn enter_default(&mut self, provider: Option<TracerProvider>, opened_by: Option<SpanId>) {
        if provider.is_some() {
            provider::mark_scopes_used();
        }
        let saved = SavedDefault {
            stack: mem::replace(&mut self.stack, Stack::new()),
            records: mem::take(&mut self.records),
            open_records: mem::take(&mut self.open_records),
            dirty: mem::take(&mut self.dirty),
            unsampled: mem::take(&mut self.unsampled),
            provider: mem::replace(&mut self.provider, provider),
            opened_by,
        };
        self.saved.push(saved);
        set_thread_default(self.provider.as_ref());
        self.stack.sync();
    }

    /// Whether the last default entered was entered by `span_id`'s guard.
    pub(super) fn default_opened_by(&self, span_id: SpanId) -> bool {
        self.saved.last().is_some_and(|saved| saved.opened_by == Some(span_id))
    }

    /// Ends the last default: what its spans left open ends now, and its
    /// records are returned with its provider, for [`deliver`]. The saved
    /// stack and buffer come back.
    pub(super) fn leave_default(&mut self) -> Option<(SpanBatch, Option<TracerProvider>)> {
        let saved = self.saved.pop()?;
        let batch = self.close_all();
        self.stack = saved.stack;
        self.records = saved.records;
        self.open_records = saved.open_records;
        self.dirty = saved.dirty;
        self.unsampled = saved.unsampled;
        let provider = mem::replace(&mut self.provider, saved.provider);
        set_thread_default(self.provider.as_ref());
        self.stack.sync();
        Some((batch, provider))
    }

    /// Ends every open record now, drops every frame, and takes the whole
    /// buffer: a default ending, or the thread exiting.
    pub(super) fn close_all(&mut self) -> SpanBatch {
        let now = self.clock.now_unix_nanos();
        for record in &mut self.records {
            if record.end_time_unix_nano == 0 {
                record.end_time_unix_nano = now;
            }
        }
        for frame in mem::take(&mut self.stack.frames) {
            if frame.kind == FrameKind::Shared {
                // SAFETY: the frame leaves the stack here, with its count.
                unsafe { release_frame(self.stack.scoped[frame.slot as usize].state) };
            }
        }
        self.stack.scoped.clear();
        self.open_records = 0;
        let summary = self.summary();
        self.dirty = false;
        self.unsampled = false;
        SpanBatch::new(mem::take(&mut self.records), summary)
    }
}
