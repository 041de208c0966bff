//! The current span: a per-thread stack, and the hot path of every span.
//!
//! Each thread owns a stack of the spans that are current on it, and a
//! buffer of span records. Starting an entered span appends its record to
//! the buffer and pushes its index on the stack; finishing it stamps the end
//! time and pops it. Nothing here takes a lock, touches an atomic shared with
//! other threads, or allocates (beyond the buffer's amortised growth).
//!
//! Finished records are handed to the processors as one batch when the
//! thread's stack becomes empty (a local root finished, or a future's poll
//! returned), or when the buffer grows past [`LOCAL_BATCH_LIMIT`]. A thread
//! that exits hands over what it still holds.
//!
//! Three kinds of entry can be current:
//! - a record in this thread's buffer (an [`EnteredSpan`]);
//! - an owned [`Span`](crate::Span) that is current only for the duration
//!   of `Span::in_scope` or one `poll` of an instrumented future;
//! - a bare [`SpanContext`]: a span that was sampled out (kept so that its
//!   trace id still propagates), or a context attached with [`attach`].

use std::borrow::Cow;
use std::cell::RefCell;
use std::marker::PhantomData;

use crate::clock;
use crate::context::{SpanContext, TraceFlags};
use crate::id::{IdGenerator, SpanId, TraceId};
use crate::provider::{self, TracerProvider};
use crate::sampler::{SamplingDecision, SamplingParams};
use crate::span::{span_methods, Link, SpanData, SpanKind, SpanState};
use crate::value::KeyValue;

/// A thread hands its finished records over once it holds this many, even
/// while spans are still open on it (a long-lived root).
pub const LOCAL_BATCH_LIMIT: usize = 512;

pub(crate) enum Parent {
    Current,
    Root,
    Explicit(SpanContext),
}

pub(crate) struct StartSpec {
    pub(crate) name: Cow<'static, str>,
    pub(crate) kind: SpanKind,
    pub(crate) parent: Parent,
    pub(crate) attributes: Vec<KeyValue>,
    pub(crate) links: Vec<Link>,
    pub(crate) start_time: Option<u64>,
}

enum Entry {
    /// An open record in `LocalState::records`.
    Local { index: usize },
    /// An owned span, current for one `in_scope` call or one `poll`.
    Borrowed {
        state: *mut SpanState,
        context: SpanContext,
    },
    /// A sampled-out span or an attached context.
    Context { context: SpanContext },
}

fn context_of<'a>(records: &'a [SpanData], entry: &'a Entry) -> &'a SpanContext {
    match entry {
        Entry::Local { index, .. } => &records[*index].context,
        Entry::Borrowed { context, .. } | Entry::Context { context } => context,
    }
}

struct LocalState {
    stack: Vec<Entry>,
    records: Vec<SpanData>,
    open_records: usize,
    ids: IdGenerator,
}

thread_local! {
    static LOCAL: RefCell<LocalState> = const {
        RefCell::new(LocalState {
            stack: Vec::new(),
            records: Vec::new(),
            open_records: 0,
            ids: IdGenerator::new(),
        })
    };
}

impl LocalState {
    fn entry_context<'a>(&'a self, entry: &'a Entry) -> &'a SpanContext {
        context_of(&self.records, entry)
    }

    fn top_context(&self) -> Option<&SpanContext> {
        self.stack.last().map(|entry| self.entry_context(entry))
    }

    fn position(&self, span_id: SpanId) -> Option<usize> {
        self.stack
            .iter()
            .rposition(|entry| self.entry_context(entry).span_id() == span_id)
    }

    fn data_mut(&mut self, span_id: SpanId) -> Option<&mut SpanData> {
        let position = self.position(span_id)?;
        match self.stack[position] {
            Entry::Local { index, .. } => Some(&mut self.records[index]),
            // SAFETY: a borrowed entry lives only while its span is pinned
            // (a future being polled) or borrowed (`in_scope`), and is popped
            // before either ends.
            Entry::Borrowed { state, .. } => match unsafe { &mut *state } {
                SpanState::Recording(data) => Some(data),
                _ => None,
            },
            Entry::Context { .. } => None,
        }
    }

    /// Whether the records should be handed over now.
    fn should_flush(&self) -> bool {
        !self.records.is_empty() && (self.stack.is_empty() || self.records.len() >= LOCAL_BATCH_LIMIT)
    }

    /// Takes every finished record, keeping open ones (and fixing the stack's
    /// indices to them).
    fn take_finished(&mut self) -> Vec<SpanData> {
        if self.open_records == 0 {
            return std::mem::take(&mut self.records);
        }
        let mut finished = Vec::with_capacity(self.records.len() - self.open_records);
        let mut kept = Vec::with_capacity(self.open_records.max(16));
        for (old_index, record) in std::mem::take(&mut self.records).into_iter().enumerate() {
            if record.end_time_unix_nano != 0 {
                finished.push(record);
                continue;
            }
            let new_index = kept.len();
            kept.push(record);
            for entry in &mut self.stack {
                if let Entry::Local { index, .. } = entry {
                    if *index == old_index {
                        *index = new_index;
                    }
                }
            }
        }
        self.records = kept;
        finished
    }
}

impl Drop for LocalState {
    fn drop(&mut self) {
        // The thread is exiting: close what a leaked guard left open, and
        // hand everything over.
        let now = clock::now_unix_nanos();
        for record in &mut self.records {
            if record.end_time_unix_nano == 0 {
                record.end_time_unix_nano = now;
            }
        }
        let records = std::mem::take(&mut self.records);
        if let Some(provider) = provider::get() {
            provider.on_end_batch(records);
        }
    }
}

/// Runs `f` on this thread's state. `None` while the thread is being torn
/// down, or if called re-entrantly (from a processor or sampler).
#[inline]
fn with_local<R>(f: impl FnOnce(&mut LocalState) -> R) -> Option<R> {
    LOCAL
        .try_with(|cell| cell.try_borrow_mut().ok().map(|mut local| f(&mut local)))
        .ok()
        .flatten()
}

/// Hands a batch to the processors, outside any borrow of the local state.
fn hand_over(batch: Option<Vec<SpanData>>) {
    if let Some(batch) = batch {
        if let Some(provider) = provider::get() {
            provider.on_end_batch(batch);
        }
    }
}

fn flush_if_due(local: &mut LocalState) -> Option<Vec<SpanData>> {
    if local.should_flush() {
        Some(local.take_finished())
    } else {
        None
    }
}

/// What `start` decided.
// The record is inline on purpose: boxing it would allocate per span.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Started {
    /// Recorded.
    Recording(SpanData),
    /// Sampled out by the sampler: a context of its own, for propagation.
    SampledOut(SpanContext),
    /// Child of a local span that is not sampled: nothing was made. Carries
    /// the parent's context for `Span::context`.
    Inherited(Option<SpanContext>),
}

impl From<Started> for SpanState {
    fn from(started: Started) -> SpanState {
        match started {
            Started::Recording(data) => SpanState::Recording(data),
            Started::SampledOut(context) => SpanState::NonRecording(Some(context)),
            Started::Inherited(context) => SpanState::NonRecording(context),
        }
    }
}

/// Decides whether a span is recorded and, if so, makes its record.
pub(crate) fn start(spec: StartSpec) -> Started {
    let Some(provider) = provider::active() else {
        return Started::Inherited(None);
    };
    start_with(provider, spec)
}

fn start_with(provider: &'static TracerProvider, spec: StartSpec) -> Started {
    // First look: the parent, and whether the sampler must be asked.
    let first = with_local(|local| {
        let parent = match &spec.parent {
            Parent::Current => local.top_context().cloned(),
            Parent::Root => None,
            Parent::Explicit(context) => Some(context.clone()),
        };
        let trace_id = parent
            .as_ref()
            .map_or_else(|| local.ids.trace_id(), SpanContext::trace_id);
        (parent, trace_id)
    });
    let Some((parent, trace_id)) = first else {
        return Started::Inherited(None);
    };

    let local_parent = parent.as_ref().filter(|p| !p.is_remote());
    let mut sampler_attributes = Vec::new();
    let mut trace_state = parent.as_ref().map(|p| p.trace_state().clone()).unwrap_or_default();
    let decision = match local_parent {
        // Children inherit a local parent's "no": nothing is made.
        Some(p) if !p.is_sampled() => return Started::Inherited(parent),
        Some(_) if provider.inherits_local_sampled() => SamplingDecision::RecordAndSample,
        _ => {
            let result = provider.sampler().should_sample(&SamplingParams {
                trace_id,
                parent: parent.as_ref(),
                name: &spec.name,
                kind: spec.kind,
                attributes: &spec.attributes,
                links: &spec.links,
            });
            sampler_attributes = result.attributes;
            if let Some(state) = result.trace_state {
                trace_state = state;
            }
            result.decision
        }
    };
    let sampled = decision == SamplingDecision::RecordAndSample;
    let base_flags = parent.as_ref().map_or(TraceFlags::NONE, SpanContext::trace_flags);
    let Some(span_id) = with_local(|local| local.ids.span_id()) else {
        return Started::Inherited(None);
    };
    let context = SpanContext::new(trace_id, span_id, base_flags.with_sampled(sampled), false, trace_state);
    if decision == SamplingDecision::Drop {
        return Started::SampledOut(context);
    }

    let start = spec.start_time.unwrap_or_else(clock::now_unix_nanos);
    let mut data = SpanData::new(spec.name, spec.kind, context, parent.as_ref(), start);
    if !spec.attributes.is_empty() || !sampler_attributes.is_empty() || !spec.links.is_empty() {
        let limits = provider.limits();
        for kv in spec.attributes.into_iter().chain(sampler_attributes) {
            data.put_attribute(kv, limits);
        }
        for link in spec.links {
            data.add_link(link, limits);
        }
    }
    provider.on_start(&mut data);
    Started::Recording(data)
}

/// The hot path for `#[trace]` and `SpanBuilder::entered`: start a span and
/// make it current.
#[inline]
pub(crate) fn enter_new(name: &'static str, kind: SpanKind, root: bool) -> EnteredSpan {
    let Some(provider) = provider::active() else {
        return EnteredSpan::inert();
    };
    if !root && provider.inherits_local_sampled() {
        // Fast path: parent-based sampling under a local parent needs no
        // sampler call, so the whole start happens in one borrow.
        let fast = with_local(|local| {
            let LocalState {
                stack,
                records,
                open_records,
                ids,
            } = local;
            let parent = context_of(records, stack.last()?);
            if parent.is_remote() || provider.has_on_start() {
                return None;
            }
            if !parent.is_sampled() {
                return Some(None);
            }
            let span_id = ids.span_id();
            let context = SpanContext::new(
                parent.trace_id(),
                span_id,
                parent.trace_flags(),
                false,
                parent.trace_state().clone(),
            );
            let data = SpanData::new(
                Cow::Borrowed(name),
                kind,
                context,
                Some(parent),
                clock::now_unix_nanos(),
            );
            records.push(data);
            *open_records += 1;
            stack.push(Entry::Local {
                index: records.len() - 1,
            });
            Some(Some(span_id))
        });
        match fast {
            Some(Some(Some(span_id))) => return EnteredSpan::new(span_id),
            Some(Some(None)) => return EnteredSpan::inert(),
            _ => {}
        }
    }
    let parent = if root { Parent::Root } else { Parent::Current };
    let spec = StartSpec {
        name: Cow::Borrowed(name),
        kind,
        parent,
        attributes: Vec::new(),
        links: Vec::new(),
        start_time: None,
    };
    enter_state(start_with(provider, spec).into())
}

/// Makes a started span current.
pub(crate) fn enter_state(state: SpanState) -> EnteredSpan {
    match state {
        SpanState::Recording(data) => {
            let span_id = data.context.span_id();
            let pushed = with_local(|local| {
                local.records.push(data);
                local.open_records += 1;
                local.stack.push(Entry::Local {
                    index: local.records.len() - 1,
                });
            });
            match pushed {
                Some(()) => EnteredSpan::new(span_id),
                None => EnteredSpan::inert(),
            }
        }
        SpanState::NonRecording(Some(context)) => {
            let span_id = context.span_id();
            match with_local(|local| local.stack.push(Entry::Context { context })) {
                Some(()) => EnteredSpan::new(span_id),
                None => EnteredSpan::inert(),
            }
        }
        SpanState::NonRecording(None) | SpanState::Done => EnteredSpan::inert(),
    }
}

/// Takes a finished owned span's record into this thread's buffer.
pub(crate) fn submit_finished(data: SpanData) {
    let mut data = Some(data);
    let batch = with_local(|local| {
        local.records.push(data.take().expect("taken once"));
        flush_if_due(local)
    });
    match batch {
        Some(batch) => hand_over(batch),
        // No thread-local state (thread exit, or re-entrant): hand it over
        // alone rather than lose it.
        None => hand_over(data.map(|d| vec![d])),
    }
}

/// Hands over this thread's finished records now.
pub(crate) fn flush_local() {
    hand_over(
        with_local(|local| {
            let finished = local.take_finished();
            (!finished.is_empty()).then_some(finished)
        })
        .flatten(),
    );
}

/// Marks an owned span current for a scope: `Span::in_scope` and one poll of
/// an instrumented future. Popped on drop, also when unwinding.
pub(crate) struct ScopeGuard {
    state: Option<*mut SpanState>,
}

impl ScopeGuard {
    pub(crate) fn push(state: *mut SpanState, context: Option<SpanContext>) -> ScopeGuard {
        let Some(context) = context else {
            return ScopeGuard { state: None };
        };
        let pushed = with_local(|local| local.stack.push(Entry::Borrowed { state, context }));
        ScopeGuard {
            state: pushed.map(|()| state),
        }
    }
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        let Some(state) = self.state else { return };
        hand_over(
            with_local(|local| {
                let position = local
                    .stack
                    .iter()
                    .rposition(|e| matches!(e, Entry::Borrowed { state: s, .. } if *s == state));
                if let Some(position) = position {
                    local.stack.remove(position);
                }
                flush_if_due(local)
            })
            .flatten(),
        );
    }
}

/// A span that is current on this thread until this guard drops; dropping
/// it finishes the span (also when a panic unwinds through it, which marks
/// the span as an error, `panicked`).
///
/// It dereferences to [`SpanRef`] for the span methods.
///
/// ```
/// use tracer_core::{current_span_id, Span};
///
/// // The seed's context manager: finished even if the code panics.
/// {
///     let span = Span::new("user_login").entered();
///     span.set_tag("user_id", "usr_123");
///     assert_eq!(current_span_id(), span.span_id());
/// }
/// ```
#[must_use = "the span ends when this guard is dropped"]
pub struct EnteredSpan {
    span: SpanRef,
    panicking_at_start: bool,
}

impl EnteredSpan {
    fn new(span_id: SpanId) -> EnteredSpan {
        EnteredSpan {
            span: SpanRef::new(Some(span_id)),
            panicking_at_start: std::thread::panicking(),
        }
    }

    fn inert() -> EnteredSpan {
        EnteredSpan {
            span: SpanRef::new(None),
            panicking_at_start: false,
        }
    }

    /// Stops the span being current and returns it as an owned [`Span`](crate::Span)
    /// (still open), for example to move it to another thread.
    pub fn exit(mut self) -> crate::Span {
        let state = match self.span.id.take() {
            None => SpanState::NonRecording(None),
            Some(span_id) => with_local(|local| {
                let position = local.position(span_id)?;
                match local.stack.remove(position) {
                    Entry::Local { index, .. } => {
                        let last = local.records.len() - 1;
                        let data = local.records.swap_remove(index);
                        local.open_records -= 1;
                        for entry in &mut local.stack {
                            if let Entry::Local { index: i, .. } = entry {
                                if *i == last {
                                    *i = index;
                                }
                            }
                        }
                        Some(SpanState::Recording(data))
                    }
                    Entry::Context { context } => Some(SpanState::NonRecording(Some(context))),
                    Entry::Borrowed { .. } => None,
                }
            })
            .flatten()
            .unwrap_or(SpanState::NonRecording(None)),
        };
        crate::Span::from_state(state)
    }

    /// Ends the span now (the same as dropping the guard).
    pub fn finish(self) {}
}

impl std::ops::Deref for EnteredSpan {
    type Target = SpanRef;
    fn deref(&self) -> &SpanRef {
        &self.span
    }
}

impl Drop for EnteredSpan {
    fn drop(&mut self) {
        let Some(span_id) = self.span.id else { return };
        let panicked = !self.panicking_at_start && std::thread::panicking();
        hand_over(
            with_local(|local| {
                let position = local.position(span_id)?;
                if let Entry::Local { index, .. } = local.stack.remove(position) {
                    let record = &mut local.records[index];
                    if panicked {
                        record.record_panic();
                    }
                    record.end_time_unix_nano = clock::now_unix_nanos();
                    local.open_records -= 1;
                }
                flush_if_due(local)
            })
            .flatten(),
        );
    }
}

impl std::fmt::Debug for EnteredSpan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("EnteredSpan").field(&self.span.id).finish()
    }
}

/// A handle on a span that is current on this thread, from
/// [`current_span()`], an [`EnteredSpan`], or [`in_span`].
///
/// It names the span it was made for, so it keeps referring to that span
/// even after other spans are entered. Every method does nothing when the
/// span is not recording or has ended. It is not `Send`.
///
/// ```
/// use tracer_core::{current_span, KeyValue};
///
/// fn some_function() {
///     // Works anywhere; does nothing when no span is current.
///     current_span().add_event("something_happened", []);
///     current_span().set_tag("step", 3);
/// }
/// # some_function();
/// ```
#[derive(Clone)]
pub struct SpanRef {
    id: Option<SpanId>,
    _not_send: PhantomData<*const ()>,
}

impl SpanRef {
    fn new(id: Option<SpanId>) -> SpanRef {
        SpanRef {
            id,
            _not_send: PhantomData,
        }
    }

    fn with_data<R>(&self, f: impl FnOnce(&mut SpanData) -> R) -> Option<R> {
        let span_id = self.id?;
        with_local(|local| local.data_mut(span_id).map(f)).flatten()
    }

    span_methods!();

    /// Whether the span is open and recorded.
    pub fn is_recording(&self) -> bool {
        self.with_data(|_| ()).is_some()
    }

    /// The span's context, or `None` when there is no span.
    pub fn context(&self) -> Option<SpanContext> {
        let span_id = self.id?;
        with_local(|local| {
            let position = local.position(span_id)?;
            Some(local.entry_context(&local.stack[position]).clone())
        })
        .flatten()
    }
}

impl std::fmt::Debug for SpanRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpanRef").field("span_id", &self.id).finish()
    }
}

/// A handle on the current span. Safe to call anywhere: with no current
/// span, the handle's methods do nothing.
///
/// ```
/// use tracer_core::current_span;
///
/// let span = current_span();
/// span.set_tag("customer_id", "123");
/// ```
pub fn current_span() -> SpanRef {
    SpanRef::new(current_span_id())
}

/// The current span's context, if any: what `inject_context` sends on, and
/// what a task on another thread can use as its parent.
pub fn current_context() -> Option<SpanContext> {
    with_local(|local| local.top_context().cloned()).flatten()
}

/// The current trace id, if any. Also set while an unsampled trace is
/// current, so logs can still be correlated.
///
/// ```
/// assert_eq!(tracer_core::current_trace_id(), None);
/// ```
pub fn current_trace_id() -> Option<TraceId> {
    with_local(|local| local.top_context().map(SpanContext::trace_id)).flatten()
}

/// The current span id, if any.
pub fn current_span_id() -> Option<SpanId> {
    with_local(|local| local.top_context().map(SpanContext::span_id)).flatten()
}

/// Runs `f` inside a new span named `name`, a child of the current span.
/// The span is current during `f` and finished afterwards, also on panic.
///
/// ```
/// use tracer_core::in_span;
///
/// let total = in_span("payment_processing", |span| {
///     span.set_tag("amount", 99.99);
///     42
/// });
/// assert_eq!(total, 42);
/// ```
pub fn in_span<R>(name: impl Into<Cow<'static, str>>, f: impl FnOnce(&SpanRef) -> R) -> R {
    let span = crate::SpanBuilder::new(name).entered();
    f(&span)
}

/// Makes `context` current on this thread until the guard drops, so that
/// new spans become its children. Use it to continue a trace on another
/// thread, or under a context extracted from a request.
///
/// ```
/// use tracer_core::{attach, current_context, current_trace_id, Span};
///
/// let parent = Span::new("parent");
/// let context = parent.context();
/// std::thread::spawn(move || {
///     let _guard = context.map(attach);
///     let child = Span::new("child_on_worker");
///     assert_eq!(child.trace_id(), current_trace_id());
/// })
/// .join()
/// .unwrap();
/// ```
pub fn attach(context: SpanContext) -> ContextGuard {
    let span_id = context.span_id();
    let pushed = with_local(|local| local.stack.push(Entry::Context { context }));
    ContextGuard {
        span_id: pushed.map(|()| span_id),
        _not_send: PhantomData,
    }
}

/// Restores the previous context when dropped. See [`attach`].
#[must_use = "the context is detached when this guard is dropped"]
pub struct ContextGuard {
    span_id: Option<SpanId>,
    _not_send: PhantomData<*const ()>,
}

impl Drop for ContextGuard {
    fn drop(&mut self) {
        let Some(span_id) = self.span_id else { return };
        hand_over(
            with_local(|local| {
                let position = local
                    .stack
                    .iter()
                    .rposition(|e| matches!(e, Entry::Context { context } if context.span_id() == span_id));
                if let Some(position) = position {
                    local.stack.remove(position);
                }
                flush_if_due(local)
            })
            .flatten(),
        );
    }
}
