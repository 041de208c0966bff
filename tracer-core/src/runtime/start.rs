//! Starting a span: finding its parent, asking the sampler, and making
//! its record.

use std::borrow::Cow;

use smallvec::SmallVec;

use super::cell::with_local;
use super::owned::{SpanState, new_record_box};
use super::provider_scope::{thread_default, with_active};
use super::shared_context::top_shared;
use super::stack::{unsampled_child_shared, unsampled_top, unsampled_top_context};
use super::started::{StartedBox, StartedSpan};
use crate::clock;
use crate::model::{KeyValue, Link, SpanContext, SpanId, SpanKind, TraceFlags, TraceId, TraceState};
use crate::provider::{self, Active, ProviderInner};
use crate::sampler::{SamplingDecision, SamplingParams, SamplingResult};

/// Where a new span's parent comes from.
pub(crate) enum Parent {
    /// The thread's current span, if any.
    Current,
    /// None: the span starts a trace.
    Root,
    /// This context, local or remote.
    Explicit(SpanContext),
}

/// Everything a span may be started with (what `SpanBuilder` collects).
pub(crate) struct StartSpec {
    pub(crate) name: Cow<'static, str>,
    pub(crate) kind: SpanKind,
    pub(crate) parent: Parent,
    /// Inline for up to four, as a record's: a builder with a few
    /// attributes allocates nothing.
    pub(crate) attributes: SmallVec<[KeyValue; 4]>,
    pub(crate) links: Vec<Link>,
    pub(crate) start_time: Option<u64>,
}

/// Decides whether a span is recorded and, if so, makes its (boxed) record,
/// writing the outcome into `*out` (which is `Done`).
#[inline(never)]
pub(crate) fn start_into(mut spec: StartSpec, out: &mut SpanState) {
    with_active(
        &mut *out,
        // Lent, not moved: the ~140-byte spec is not copied into each call.
        |provider, out| start_with(provider, &mut spec, out),
        |out| *out = SpanState::NonRecording(None),
    );
    out.note_start();
}

/// `Span::new` and an `async fn`'s `#[trace]`: a child of the current span
/// (a root without one) of `kind`, with no attributes, links or start time. No spec is built where none is needed:
/// without a provider, and under an unsampled local parent, whose context
/// the span shows (nothing is made, as for its other children). Writes
/// into `*out` (which is `Done`).
///
/// The checks for "no provider" and "unsampled parent" inline into the
/// caller: such a span costs a load or two and a small call.
#[inline(always)]
pub(crate) fn start_child_into(name: Cow<'static, str>, kind: SpanKind, out: &mut SpanState) {
    if tracing_off() {
        // SAFETY: `out` is a valid, exclusive reference to a `Done` state,
        // which has nothing to drop.
        return unsafe { std::ptr::write(out, SpanState::NonRecording(None)) };
    }
    start_child_on_into(name, kind, out)
}

/// [`start_child_into`] for a caller that has found tracing on (a
/// provider installed or set as a default): the check is not made twice.
#[inline(always)]
pub(crate) fn start_child_on_into(name: Cow<'static, str>, kind: SpanKind, out: &mut SpanState) {
    if unsampled_top().is_some() {
        return start_unsampled_child(out);
    }
    start_child_active(name, kind, out)
}

/// Whether no provider is installed or set as a default: spans record
/// nothing and carry no context.
#[inline(always)]
pub(crate) fn tracing_off() -> bool {
    matches!(provider::active(), Active::Off)
}

/// A child of the unsampled local span on top of the stack: it shows its
/// parent's context, and nothing is made. Out of line: `Span::new` stays
/// small enough to inline into its callers. The usual case, a later child
/// of the same parent, is a load and a count.
#[inline(never)]
fn start_unsampled_child(out: &mut SpanState) {
    match top_shared() {
        // SAFETY: as in `start_child_into`.
        Some(parent) => unsafe { std::ptr::write(out, SpanState::NonRecording(Some(parent))) },
        None => start_unsampled_child_first(out),
    }
}

/// [`start_unsampled_child`] for the first child of its parent since it
/// became the top: its context is the one this thread shared last, or is
/// shared now (made from the mirror of the top, or cloned from the stack
/// when it has a trace state).
#[cold]
#[inline(never)]
fn start_unsampled_child_first(out: &mut SpanState) {
    let state = match unsampled_child_shared() {
        Some(parent) => SpanState::NonRecording(Some(parent)),
        None => SpanState::non_recording(
            unsampled_top_context().or_else(|| with_local(|local| local.top_context().cloned()).flatten()),
        ),
    };
    // SAFETY: as in `start_child_into`.
    unsafe { std::ptr::write(out, state) };
}

/// [`start_child_into`] past its inlined checks.
#[inline(never)]
fn start_child_active(name: Cow<'static, str>, kind: SpanKind, out: &mut SpanState) {
    if let (Active::Global(provider), Cow::Borrowed(static_name)) = (provider::active(), &name) {
        if provider.fast_children() && start_started(static_name, kind, out) {
            return out.note_start();
        }
    }
    start_child_other(name, kind, out)
}

/// [`start_child_active`] past its fast path, out of line: the fast path's
/// frame stays small.
#[inline(never)]
fn start_child_other(name: Cow<'static, str>, kind: SpanKind, out: &mut SpanState) {
    match provider::active() {
        Active::Global(provider) => {
            start_child_with(provider, name, kind, out);
            out.note_start();
        }
        // SAFETY: `out` is a valid, exclusive reference to a `Done` state,
        // which has nothing to drop.
        Active::Off => unsafe { std::ptr::write(out, SpanState::NonRecording(None)) },
        Active::Scoped => start_child_under_default(name, kind, out),
    }
}

/// [`start_child_into`] once defaults are in use, out of line.
#[inline(never)]
fn start_child_under_default(name: Cow<'static, str>, kind: SpanKind, out: &mut SpanState) {
    // SAFETY: for this start only.
    match unsafe { thread_default() } {
        Some(provider) => {
            start_child_with(provider, name, kind, out);
            out.note_start();
        }
        // SAFETY: as in `start_child_into`.
        None => unsafe { std::ptr::write(out, SpanState::NonRecording(None)) },
    }
}

/// The installed provider's child of a sampled local span, with a static
/// name, under a sampler that keeps it: a [`SpanState::Started`], in one
/// borrow of the thread's state. `false` (and `*out` untouched) when the
/// current span is not such a parent.
#[inline(always)]
fn start_started(name: &'static str, kind: SpanKind, out: &mut SpanState) -> bool {
    let started = with_local(|local| {
        let top = local.stack.frames.last()?;
        let parent = local.frame_context(top);
        if parent.is_remote() || !parent.is_sampled() {
            return None;
        }
        let (parent_span_id, trace_id, trace_flags) = (top.span_id, parent.trace_id(), parent.trace_flags());
        let trace_state = parent.trace_state().clone();
        let context = SpanContext::new(trace_id, local.ids.span_id(), trace_flags, false, trace_state);
        let started = StartedSpan {
            context,
            parent_span_id,
            start_time_unix_nano: local.clock.now_unix_nanos(),
            name,
            kind,
        };
        Some(StartedBox::new(local.record_box(), started))
    })
    .flatten();
    match started {
        Some(started) => {
            // SAFETY: `out` is a valid, exclusive reference to a `Done`
            // state, which has nothing to drop.
            unsafe { std::ptr::write(out, SpanState::Started(started)) };
            true
        }
        None => false,
    }
}

#[inline(always)]
fn start_child_with(provider: &ProviderInner, name: Cow<'static, str>, kind: SpanKind, out: &mut SpanState) {
    let Some((parent, trace_id, span_id)) = look_at_parent(&Parent::Current, out) else {
        return;
    };
    match &parent {
        // As in `start_with`, without a spec: the record is made from the
        // name and kind.
        Some(p) if !p.is_remote() && provider.fast_children() => {
            let context = SpanContext::new(trace_id, span_id, p.trace_flags(), false, p.trace_state().clone());
            let record = new_record_box(name, kind, context, Some(p), clock::now_unix_nanos());
            *out = SpanState::recording(record, provider.owner_handle());
        }
        _ => {
            let mut spec = StartSpec::current(name, kind);
            start_sampled(provider, &mut spec, parent, trace_id, span_id, out);
        }
    }
}

/// One borrow of the thread's state finds a new span's parent and makes its
/// ids. `None` when nothing is to be made: `*out` is then written (a child
/// of an unsampled local span, which inherits its "no" and shows its
/// context, or no thread state).
#[inline(always)]
fn look_at_parent(parent: &Parent, out: &mut SpanState) -> Option<(Option<SpanContext>, TraceId, SpanId)> {
    let first = with_local(|local| {
        let parent = match parent {
            Parent::Current => local.top_context().cloned(),
            Parent::Root => None,
            Parent::Explicit(context) => Some(context.clone()),
        };
        // Children inherit a local parent's "no": nothing is made, not even
        // an id.
        if parent.as_ref().is_some_and(|p| !p.is_remote() && !p.is_sampled()) {
            return ParentLookup::Inherited(parent);
        }
        let trace_id = parent
            .as_ref()
            .map_or_else(|| local.ids.trace_id(), SpanContext::trace_id);
        ParentLookup::Start {
            parent,
            trace_id,
            span_id: local.ids.span_id(),
        }
    });
    match first {
        Some(ParentLookup::Start {
            parent,
            trace_id,
            span_id,
        }) => Some((parent, trace_id, span_id)),
        Some(ParentLookup::Inherited(parent)) => {
            *out = SpanState::non_recording(parent);
            None
        }
        None => {
            *out = SpanState::NonRecording(None);
            None
        }
    }
}

/// What one look at the thread's state found for a new span.
enum ParentLookup {
    /// A child of a local span that is not sampled: nothing is made.
    Inherited(Option<SpanContext>),
    /// The parent (if any) and the new span's ids.
    Start {
        parent: Option<SpanContext>,
        trace_id: TraceId,
        span_id: SpanId,
    },
}

#[inline]
/// Starts a span from `spec`, taking from it what the record keeps; the
/// caller drops the rest.
pub(super) fn start_with(provider: &ProviderInner, spec: &mut StartSpec, out: &mut SpanState) {
    if matches!(spec.parent, Parent::Root) {
        // No parent to look for: only the ids.
        return match with_local(|local| (local.ids.trace_id(), local.ids.span_id())) {
            Some((trace_id, span_id)) => start_sampled(provider, spec, None, trace_id, span_id, out),
            None => *out = SpanState::NonRecording(None),
        };
    }
    let Some((parent, trace_id, span_id)) = look_at_parent(&spec.parent, out) else {
        return;
    };
    match &parent {
        // The common case, a child of a sampled local span under a sampler
        // that keeps it: no sampler call, and the record is built right
        // where the caller wants it (this function inlines), not moved.
        // The parent's flags are copied whole: a local span's were made
        // by `base_flags`, so its random bit is kept and nothing else.
        Some(p)
            if !p.is_remote()
                && provider.inherits_local_sampled()
                && !provider.has_on_start()
                && spec.attributes.is_empty()
                && spec.links.is_empty() =>
        {
            let context = SpanContext::new(trace_id, span_id, p.trace_flags(), false, p.trace_state().clone());
            let start = spec.start_time.unwrap_or_else(clock::now_unix_nanos);
            let name = std::mem::take(&mut spec.name);
            let record = new_record_box(name, spec.kind, context, Some(p), start);
            *out = SpanState::recording(record, provider.owner_handle());
        }
        _ => start_sampled(provider, spec, parent, trace_id, span_id, out),
    }
}

/// The rest of `start_with`: roots, remote parents, samplers, attributes
/// for the sampler, `on_start` processors. Writes into `*out`, as
/// `start_into` does.
#[inline(never)]
fn start_sampled(
    provider: &ProviderInner,
    spec: &mut StartSpec,
    parent: Option<SpanContext>,
    trace_id: TraceId,
    span_id: SpanId,
    out: &mut SpanState,
) {
    // The sampler and `on_start` processors are user code: a handle keeps
    // a default's provider alive while they run (see `with_thread_default`).
    let _keep = provider.owner_handle();
    let local_parent = parent.as_ref().filter(|p| !p.is_remote());
    let base_flags = base_flags(parent.as_ref());
    let mut result = match local_parent {
        Some(_) if provider.inherits_local_sampled() => SamplingResult::from_bool(true),
        // The sampler is user code: it runs outside any borrow.
        _ => provider.sampler().should_sample(&SamplingParams {
            trace_id,
            trace_flags: base_flags,
            parent: parent.as_ref(),
            name: &spec.name,
            kind: spec.kind,
            attributes: &spec.attributes,
            links: &spec.links,
        }),
    };
    let context = decided_context(trace_id, span_id, base_flags, parent.as_ref(), &mut result);
    if result.decision == SamplingDecision::Drop {
        return sampled_out(context, out);
    }
    record_started(provider, spec, context, parent.as_ref(), result.attributes, out);
}

/// `Span::root` and a `#[trace]` root: no attributes, links or start time,
/// so the sampler is asked before any spec is built, and a sampled-out root
/// (the usual case under ratio sampling) costs the ids, the sampler call
/// and a context. Writes into `*out`, as `start_into` does.
#[inline(never)]
pub(crate) fn start_root_into(name: Cow<'static, str>, kind: SpanKind, out: &mut SpanState) {
    with_active(
        (name, &mut *out),
        |provider, (name, out)| start_root_with(provider, name, kind, out),
        |(_, out)| *out = SpanState::NonRecording(None),
    );
    out.note_start();
}

/// [`start_root_into`] under `provider`.
#[inline(always)]
fn start_root_with(provider: &ProviderInner, name: Cow<'static, str>, kind: SpanKind, out: &mut SpanState) {
    // As in `start_sampled`.
    let _keep = provider.owner_handle();
    let Some((trace_id, span_id)) = with_local(|local| (local.ids.trace_id(), local.ids.span_id())) else {
        return *out = SpanState::NonRecording(None);
    };
    let mut result = provider.sampler().should_sample(&SamplingParams {
        trace_id,
        trace_flags: ROOT_FLAGS,
        parent: None,
        name: &name,
        kind,
        attributes: &[],
        links: &[],
    });
    let context = decided_context(trace_id, span_id, ROOT_FLAGS, None, &mut result);
    if result.decision == SamplingDecision::Drop {
        return sampled_out(context, out);
    }
    let mut spec = StartSpec::current(name, kind);
    spec.parent = Parent::Root;
    record_started(provider, &mut spec, context, None, result.attributes, out);
}

/// A new trace's flags before the sampler decides: its id comes from the
/// thread's random generator, so W3C Level 2's random bit is set.
const ROOT_FLAGS: TraceFlags = TraceFlags::RANDOM;

/// The flags a new span starts from (the sampler then sets the sampled
/// bit): a root's, or the parent's without the bits Level 2 leaves
/// undefined, which it asks vendors to clear.
#[inline(always)]
fn base_flags(parent: Option<&SpanContext>) -> TraceFlags {
    parent.map_or(ROOT_FLAGS, |p| p.trace_flags().defined())
}

/// The new span's context: `base_flags` with the sampler's "sampled", and
/// the sampler's trace state if it gave one (taken), else the parent's.
#[inline(always)]
fn decided_context(
    trace_id: TraceId,
    span_id: SpanId,
    base_flags: TraceFlags,
    parent: Option<&SpanContext>,
    result: &mut SamplingResult,
) -> SpanContext {
    let trace_state = result
        .trace_state
        .take()
        .unwrap_or_else(|| parent.map_or_else(TraceState::empty, |p| p.trace_state().clone()));
    let sampled = result.decision == SamplingDecision::RecordAndSample;
    SpanContext::new(trace_id, span_id, base_flags.with_sampled(sampled), false, trace_state)
}

/// A sampled-out span: a context of its own, for propagation.
#[inline(always)]
fn sampled_out(context: SpanContext, out: &mut SpanState) {
    // Every caller passes a `Done` state, so it is overwritten without a
    // drop.
    // SAFETY: `out` is a valid, exclusive reference.
    unsafe { std::ptr::write(out, SpanState::non_recording(Some(context))) };
}

/// A span the sampler kept: its record takes the spec's name, attributes
/// and links, and the sampler's attributes (a sampled-out span moves
/// nothing, and its caller drops the spec whole).
#[inline(never)]
fn record_started(
    provider: &ProviderInner,
    spec: &mut StartSpec,
    context: SpanContext,
    parent: Option<&SpanContext>,
    sampler_attributes: Vec<KeyValue>,
    out: &mut SpanState,
) {
    let start = spec.start_time.unwrap_or_else(clock::now_unix_nanos);
    let mut data = new_record_box(std::mem::take(&mut spec.name), spec.kind, context, parent, start);
    if !spec.attributes.is_empty() || !sampler_attributes.is_empty() || !spec.links.is_empty() {
        let limits = provider.limits();
        for kv in std::mem::take(&mut spec.attributes)
            .into_iter()
            .chain(sampler_attributes)
        {
            data.put_attribute(kv, limits);
        }
        for link in std::mem::take(&mut spec.links) {
            data.add_link(link, limits);
        }
    }
    provider.on_start(&mut data);
    *out = SpanState::recording(data, provider.owner_handle());
}

impl StartSpec {
    /// Whether dropping it frees nothing: a static name, inline attributes
    /// with static keys and no owned strings or arrays, no links, no
    /// explicit parent. Inlined, a builder's literal attributes fold to
    /// `true`, and such a spec is forgotten instead of dropped.
    #[inline(always)]
    pub(crate) fn owns_nothing(&self) -> bool {
        matches!(self.name, Cow::Borrowed(_))
            && matches!(self.parent, Parent::Current | Parent::Root)
            && !self.attributes.spilled()
            && !self.attributes.iter().any(KeyValue::owns_heap)
            && self.links.capacity() == 0
    }

    /// The unsampled span on top, when this spec starts its child (the
    /// current span's, with no links or start time): nothing is made.
    #[inline(always)]
    pub(crate) fn unsampled_parent(&self) -> Option<SpanId> {
        let plain = matches!(self.parent, Parent::Current) && self.links.is_empty() && self.start_time.is_none();
        if plain { unsampled_top() } else { None }
    }

    pub(super) fn current(name: Cow<'static, str>, kind: SpanKind) -> StartSpec {
        StartSpec {
            name,
            kind,
            parent: Parent::Current,
            attributes: SmallVec::new(),
            links: Vec::new(),
            start_time: None,
        }
    }
}
