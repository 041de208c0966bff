//! Entering a span: making it current on this thread, with its record in
//! the thread's buffer.

use std::borrow::Cow;
use std::sync::Arc;

use super::cell::{local_mut, with_local};
use super::owned::{SpanState, finish_owned};
use super::owned_record::OwnedRecord;
use super::provider_scope::{thread_default, with_thread_default};
use super::stack::{frame_context, unsampled_top};
use super::start::{Parent, StartSpec, start_root_into, start_with};
use super::state::LocalState;
use crate::model::{SpanContext, SpanData, SpanId, SpanKind};
use crate::provider::{self, Active, ProviderInner};

/// A span made current by this thread's runtime, as its guard
/// ([`EnteredSpan`](crate::EnteredSpan)) holds it.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The span the guard names: its own, or for an unsampled child, its
    /// parent's. `None` when nothing is current for it.
    pub(crate) span_id: Option<SpanId>,
    /// Where its frame was pushed: ending it usually finds the frame there
    /// (checked against the span id) without a search.
    pub(crate) depth: u32,
    /// Whether it pushed the frame it names (and pops it when it ends). An
    /// unsampled child pushes nothing: it names its parent's frame, whose
    /// context it shares.
    pub(crate) owns_frame: bool,
    /// Whether the thread was panicking when it started: only a panic that
    /// begins later marks the span.
    pub(crate) panicking_at_start: bool,
}

/// The guard a caller of the enter functions gets:
/// [`EnteredSpan`](crate::EnteredSpan). The functions build it where it is
/// returned: building an [`Entry`] and then the guard from it made callers
/// copy it field by field (8 instructions per span with no provider).
pub(crate) trait FromEntry {
    /// The guard of `entry`.
    fn from_entry(entry: Entry) -> Self;
}

impl Entry {
    /// The depth of an entry that entered its span's provider as the
    /// thread's default, and leaves it when it ends: never a real depth, so
    /// that ending it always takes the slow path, which leaves the default.
    pub(crate) const LEAVES_DEFAULT: u32 = u32::MAX;

    #[inline(always)]
    fn new(span_id: SpanId, depth: usize) -> Entry {
        Entry {
            span_id: Some(span_id),
            depth: depth as u32,
            owns_frame: true,
            panicking_at_start: std::thread::panicking(),
        }
    }

    /// Nothing current: no provider, an unsampled trace, or no thread state.
    #[inline(always)]
    pub(crate) fn inert() -> Entry {
        Entry {
            span_id: None,
            depth: 0,
            owns_frame: false,
            panicking_at_start: false,
        }
    }

    /// A child of the unsampled local span `parent`: nothing is made or
    /// pushed, and the guard shows the parent's context, as an unsampled
    /// child's context is its parent's.
    #[inline(always)]
    pub(crate) fn inherited(parent: SpanId) -> Entry {
        Entry {
            span_id: Some(parent),
            depth: 0,
            owns_frame: false,
            panicking_at_start: false,
        }
    }
}

/// The hot path for `#[trace]`: start a span and make it current. With no
/// provider installed this is a load and a branch, inlined into the caller.
#[inline(always)]
pub(crate) fn enter_new<E: FromEntry>(name: &'static str, kind: SpanKind, root: bool) -> E {
    if !root {
        // A child of an unsampled span: nothing is made, and `#[trace]`
        // code cannot tell.
        if unsampled_top().is_some() {
            return E::from_entry(Entry::inert());
        }
    }
    match provider::active() {
        Active::Off => E::from_entry(Entry::inert()),
        Active::Global(provider) => enter_active(provider, name, kind, root, false),
        Active::Scoped => enter_new_under_default(name, kind, root),
    }
}

/// [`enter_new`] once defaults are in use. Out of line: the hot path
/// inlined into every `#[trace]` function stays a load and two branches.
#[inline(never)]
fn enter_new_under_default<E: FromEntry>(name: &'static str, kind: SpanKind, root: bool) -> E {
    // SAFETY: for this start only.
    match unsafe { thread_default() } {
        Some(provider) => enter_active_inline(provider, name, kind, root, false),
        None => E::from_entry(Entry::inert()),
    }
}

/// `SpanBuilder::entered`: start a span and make it current. The spec is
/// lent (the ~350-byte builder is not copied), and what the span keeps is
/// taken from it.
#[inline]
pub(crate) fn enter_spec<E: FromEntry>(spec: &mut StartSpec) -> E {
    match provider::active() {
        Active::Off => E::from_entry(Entry::inert()),
        Active::Global(provider) => enter_spec_with(provider, spec),
        Active::Scoped => enter_spec_under_default(spec),
    }
}

/// [`enter_spec`] once defaults are in use, out of line.
#[inline(never)]
fn enter_spec_under_default<E: FromEntry>(spec: &mut StartSpec) -> E {
    with_thread_default(
        spec,
        |provider, spec| enter_spec_with(provider, spec),
        |_| E::from_entry(Entry::inert()),
    )
}

/// [`enter_spec`] under `provider`.
#[inline(always)]
fn enter_spec_with<E: FromEntry>(provider: &ProviderInner, spec: &mut StartSpec) -> E {
    if let Some(parent) = spec.unsampled_parent() {
        return E::from_entry(Entry::inherited(parent));
    }
    let plain = matches!(spec.parent, Parent::Current) && spec.links.is_empty() && spec.start_time.is_none();
    if plain {
        if spec.attributes.is_empty() {
            // An unsampled child's handle shows its parent's context, as
            // `Span::entered` makes it.
            return enter_active(provider, std::mem::take(&mut spec.name), spec.kind, false, true);
        }
        if provider.fast_children() {
            return enter_with_attributes(provider, spec);
        }
    }
    start_then_enter(provider, spec)
}

/// A builder's child of the current span with attributes: on the fast path
/// (see [`start_child`]) its record is written into the buffer, and the
/// attributes put into it there, within the provider's limits.
#[inline(never)]
fn enter_with_attributes<E: FromEntry>(provider: &ProviderInner, spec: &mut StartSpec) -> E {
    let Some(mut local) = local_mut() else {
        return E::from_entry(Entry::inert());
    };
    match start_child::<_, E>(&mut local, std::mem::take(&mut spec.name), spec.kind) {
        Ok(entered) => {
            let limits = provider.limits();
            // `start_child` wrote the record last.
            if let Some(record) = local.records.last_mut() {
                for kv in spec.attributes.drain(..) {
                    record.put_attribute(kv, limits);
                }
            }
            local.dirty = true;
            entered
        }
        Err((Some(parent), _)) => E::from_entry(Entry::inherited(parent)),
        Err((None, name)) => {
            drop(local);
            spec.name = name;
            start_then_enter(provider, spec)
        }
    }
}

/// Starts a span and makes it current: the fast path (see
/// [`start_child`]) when the span is a child of a sampled local span, else
/// through the sampler. Generic over the name so that a `&'static str`
/// travels in registers.
///
/// A child of an unsampled local span records nothing and pushes nothing;
/// with `keep_unsampled`, its handle shows its parent's context (as a
/// sampled-out owned span's does).
#[inline(never)]
pub(super) fn enter_active<N: Into<Cow<'static, str>>, E: FromEntry>(
    provider: &ProviderInner,
    name: N,
    kind: SpanKind,
    root: bool,
    keep_unsampled: bool,
) -> E {
    enter_active_inline(provider, name, kind, root, keep_unsampled)
}

/// [`enter_active`], inlined into the paths under a default, which are
/// out of line already.
#[inline(always)]
fn enter_active_inline<N: Into<Cow<'static, str>>, E: FromEntry>(
    provider: &ProviderInner,
    name: N,
    kind: SpanKind,
    root: bool,
    keep_unsampled: bool,
) -> E {
    if !root && provider.fast_children() {
        if let Some(mut local) = local_mut() {
            match start_child(&mut local, name, kind) {
                Ok(entered) => return entered,
                Err((Some(parent), _)) if keep_unsampled => return E::from_entry(Entry::inherited(parent)),
                Err((Some(_), _)) => return E::from_entry(Entry::inert()),
                Err((None, name)) => {
                    drop(local);
                    return start_then_enter(provider, &mut StartSpec::current(name.into(), kind));
                }
            }
        }
    }
    if root {
        return enter_root(name.into(), kind);
    }
    start_then_enter(provider, &mut StartSpec::current(name.into(), kind))
}

/// Starts a root span and makes it current. Out of line so that it stays
/// out of [`enter_active`]'s frame: when the compiler inlined it, every
/// child span's prologue and epilogue saved more (nested100: 282 → 289
/// instructions per span).
#[inline(never)]
fn enter_root<E: FromEntry>(name: Cow<'static, str>, kind: SpanKind) -> E {
    let mut state = SpanState::Done;
    start_root_into(name, kind, &mut state);
    enter_or_finish(state)
}

/// Starts any span through `start_with` and makes it current.
#[inline(never)]
fn start_then_enter<E: FromEntry>(provider: &ProviderInner, spec: &mut StartSpec) -> E {
    let mut state = SpanState::Done;
    start_with(provider, spec, &mut state);
    enter_or_finish(state)
}

/// Makes a just-started span current.
#[inline(always)]
fn enter_or_finish<E: FromEntry>(mut state: SpanState) -> E {
    let entered = enter_state(&mut state);
    // Still `Recording` only if the thread's state was unavailable: then it
    // finishes as an owned span rather than being lost.
    finish_owned(&mut state, None, std::thread::panicking());
    entered
}

/// The fast path: a child of a sampled local span, under a sampler that
/// keeps such children. The record is written straight into the thread's
/// buffer (no sampler call, no copy of the record) and pushed, in the one
/// borrow the caller holds.
///
/// `Err((Some(parent), _))`: the parent is a local span that is not
/// sampled, so nothing is made. `Err((None, name))`: the slow path must
/// decide (no local parent, or a remote one); the name is handed back.
#[inline(always)]
fn start_child<N: Into<Cow<'static, str>>, E: FromEntry>(
    local: &mut LocalState,
    name: N,
    kind: SpanKind,
) -> Result<E, (Option<SpanId>, N)> {
    let LocalState {
        stack,
        records,
        open_records,
        ids,
        clock,
        dirty,
        ..
    } = local;
    let Some(top) = stack.frames.last() else {
        return Err((None, name));
    };
    let parent = frame_context(records, &stack.scoped, top);
    if parent.is_remote() {
        return Err((None, name));
    }
    if !parent.is_sampled() {
        return Err((Some(top.span_id), name));
    }
    let parent_span_id = top.span_id;
    let (trace_id, trace_flags, trace_state) = (parent.trace_id(), parent.trace_flags(), parent.trace_state().clone());
    // Room first: a reallocation moves the parent's record, and the rest
    // then stays in registers.
    records.reserve(1);
    let span_id = ids.span_id();
    let start = clock.now_unix_nanos();
    let context = SpanContext::new(trace_id, span_id, trace_flags, false, trace_state);
    let name: Cow<'static, str> = name.into();
    *dirty |= matches!(name, Cow::Owned(_)) | !context.trace_state().is_empty();
    let index = records.len();
    // SAFETY: `reserve` made room at `index`; `write_new` initialises every
    // field before `set_len` exposes the record.
    unsafe {
        SpanData::write_new(
            records.as_mut_ptr().add(index),
            name,
            kind,
            context,
            Some(parent_span_id),
            start,
        );
        records.set_len(index + 1);
    }
    *open_records += 1;
    let depth = stack.frames.len();
    stack.push_local(span_id, index);
    Ok(E::from_entry(Entry::new(span_id, depth)))
}

/// Makes a started span current, taking its record into this thread's
/// buffer (one copy). `*state` becomes `Done` when it was taken, and is left
/// as it was when the thread's state is unavailable (the caller then
/// finishes it as an owned span).
#[inline(never)]
pub(crate) fn enter_state<E: FromEntry>(state: &mut SpanState) -> E {
    match state {
        SpanState::Started(_) => match enter_started(state) {
            Some(entered) => entered,
            None => {
                state.open();
                enter_state(state)
            }
        },
        SpanState::Recording(_) | SpanState::RecordingFor(_) => {
            // Unavailable state: the closure does not run and `*state` is
            // left as it was.
            with_local(|local| {
                // A span of another provider than the thread's default's
                // (`Some(owner)`): its provider is the default until its
                // guard drops.
                let (record, foreign) = match std::mem::replace(state, SpanState::Done) {
                    SpanState::Recording(record) => (record, local.provider.is_some().then_some(None)),
                    SpanState::RecordingFor(owned) => {
                        let OwnedRecord { record, owner, .. } = owned.into_inner();
                        let foreign = (!local.owns(owner.as_ref())).then_some(owner);
                        (record, foreign)
                    }
                    _ => unreachable!("matched above"),
                };
                let span_id = record.context.span_id();
                let foreign = match foreign {
                    Some(owner) => {
                        local.enter_default(owner, Some(span_id));
                        true
                    }
                    None => false,
                };
                let index = local.take_boxed(record);
                local.open_records += 1;
                let depth = local.stack.frames.len();
                local.stack.push_local(span_id, index);
                let mut entry = Entry::new(span_id, depth);
                if foreign {
                    entry.depth = Entry::LEAVES_DEFAULT;
                }
                E::from_entry(entry)
            })
            .unwrap_or_else(|| E::from_entry(Entry::inert()))
        }
        SpanState::NonRecording(Some(context)) => {
            let span_id = context.span_id();
            if unsampled_top() == Some(span_id) {
                // An unsampled child, which shows its parent's context: its
                // guard names the parent, which is on top, and pushes
                // nothing (as `in_span` under that parent).
                // SAFETY: the context is dropped once, and `*state`
                // overwritten without a drop.
                unsafe {
                    drop(std::ptr::read(context));
                    std::ptr::write(state, SpanState::Done);
                }
                return E::from_entry(Entry::inherited(span_id));
            }
            let Some(mut local) = local_mut() else {
                return E::from_entry(Entry::inert());
            };
            // Moved out in place: a `mem::replace` of the whole state would
            // copy it and match it again.
            // SAFETY: the context is read once, and `*state` is overwritten
            // without dropping it.
            let context = unsafe {
                let context = std::ptr::read(context);
                std::ptr::write(state, SpanState::Done);
                context
            };
            let context = Arc::unwrap_or_clone(context);
            let depth = local.stack.frames.len();
            local.stack.push_scoped(context, std::ptr::null_mut());
            E::from_entry(Entry::new(span_id, depth))
        }
        SpanState::NonRecording(None) | SpanState::Done => E::from_entry(Entry::inert()),
    }
}

/// Makes a `Started` span current with its record written straight into
/// this thread's buffer: `*state` becomes `Done`. `None`, and `*state`
/// untouched, when it is not `Started` or its record cannot go there (no
/// thread state, or the thread is in a default, whose buffer is another
/// provider's).
// Out of line and small: `Span::entered` calls it first for the usual
// state, apart from `enter_state`'s larger frame.
#[inline(never)]
pub(crate) fn enter_started<E: FromEntry>(state: &mut SpanState) -> Option<E> {
    if !matches!(state, SpanState::Started(_)) {
        return None;
    }
    with_local(|local| {
        if local.provider.is_some() {
            return None;
        }
        let (started, empty) = state.take_started().into_parts();
        let span_id = started.context.span_id();
        let index = local.take_started(started, None);
        local.keep_record_box(empty);
        let depth = local.stack.frames.len();
        local.stack.push_local(span_id, index);
        Some(E::from_entry(Entry::new(span_id, depth)))
    })
    .flatten()
}

/// `in_span`'s start: a child of the current span, named `name`, made
/// current. The caller has checked that the current span is not an
/// unsampled one.
#[inline(always)]
pub(crate) fn enter_child<N: Into<Cow<'static, str>>, E: FromEntry>(name: N) -> E {
    match provider::active() {
        Active::Off => E::from_entry(Entry::inert()),
        Active::Global(provider) => enter_active(provider, name, SpanKind::Internal, false, true),
        Active::Scoped => enter_child_under_default(name),
    }
}

/// [`enter_child`] once defaults are in use, out of line.
#[inline(never)]
fn enter_child_under_default<N: Into<Cow<'static, str>>, E: FromEntry>(name: N) -> E {
    // SAFETY: for this start only.
    match unsafe { thread_default() } {
        Some(provider) => enter_active_inline(provider, name, SpanKind::Internal, false, true),
        None => E::from_entry(Entry::inert()),
    }
}
