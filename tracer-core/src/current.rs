//! The current span: a per-thread stack, and the hot path of every span.
//!
//! Each thread owns a stack of the spans that are current on it, and a
//! buffer of span records. Starting an entered span writes its record
//! straight into the buffer (field by field: the ~400-byte record is never
//! moved) and pushes its index on the stack; finishing it stamps the end
//! time and pops it. Per span, nothing here takes a lock, touches an atomic
//! shared with other threads, or allocates. A child of an unsampled local
//! span is decided by one thread-local read (`UNSAMPLED_TOP`) and makes
//! nothing.
//!
//! Finished records are handed to the processors as one batch when the
//! thread's stack becomes empty (a local root finished, or a future's poll
//! returned), or when the buffer grows past [`LOCAL_BATCH_LIMIT`]. A thread
//! that exits hands over what it still holds. The thread continues with a
//! recycled buffer (one `try_lock` per batch): processors give buffers back
//! when done with them, and the records left in one are dropped by the
//! thread that reuses it, where they are in cache.
//!
//! Three kinds of entry can be current:
//! - a record in this thread's buffer (an [`EnteredSpan`]);
//! - an owned [`Span`](crate::Span) that is current only for the duration
//!   of `Span::in_scope` or one `poll` of an instrumented future;
//! - a bare [`SpanContext`]: a span that was sampled out (kept so that its
//!   trace id still propagates), or a context attached with [`attach`].

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::sync::Mutex;

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

/// The thread's span stack. Every change goes through these methods, so
/// that [`UNSAMPLED_TOP`] always mirrors the top entry.
struct Stack(Vec<Entry>);

impl Stack {
    #[inline]
    fn push(&mut self, entry: Entry) {
        self.0.push(entry);
        self.sync();
    }

    /// Pushes a recorded span: a sampled top, so the flag is simply 0.
    #[inline]
    fn push_local(&mut self, index: usize) {
        self.0.push(Entry::Local { index });
        let _ = UNSAMPLED_TOP.try_with(|cell| cell.set(0));
    }

    #[inline]
    fn pop(&mut self) -> Option<Entry> {
        let entry = self.0.pop();
        self.sync();
        entry
    }

    fn remove(&mut self, position: usize) -> Entry {
        let entry = self.0.remove(position);
        self.sync();
        entry
    }

    /// The entries, to fix record indices: kinds and contexts must not
    /// change through it.
    fn entries_mut(&mut self) -> &mut [Entry] {
        &mut self.0
    }

    #[inline]
    fn sync(&self) {
        let top = match self.0.last() {
            Some(Entry::Context { context } | Entry::Borrowed { context, .. })
                if !context.is_remote() && !context.is_sampled() =>
            {
                context.span_id().to_u64()
            }
            _ => 0,
        };
        let _ = UNSAMPLED_TOP.try_with(|cell| cell.set(top));
    }
}

impl std::ops::Deref for Stack {
    type Target = [Entry];
    fn deref(&self) -> &[Entry] {
        &self.0
    }
}

struct LocalState {
    stack: Stack,
    records: Vec<SpanData>,
    open_records: usize,
    ids: IdGenerator,
}

thread_local! {
    static LOCAL: RefCell<LocalState> = const {
        RefCell::new(LocalState {
            stack: Stack(Vec::new()),
            records: Vec::new(),
            open_records: 0,
            ids: IdGenerator::new(),
        })
    };

    /// The span id of the top stack entry when it is a local span that is
    /// not sampled, else 0. Such a span's children are not made (they
    /// inherit its "no"), and this tells them so with one thread-local
    /// read: no borrow of the state, no destructor check (it has none).
    static UNSAMPLED_TOP: Cell<u64> = const { Cell::new(0) };
}

/// The unsampled local span that is current, if it is on top: its children
/// are not recorded whatever the sampler.
#[inline(always)]
fn unsampled_top() -> Option<SpanId> {
    SpanId::from_u64(UNSAMPLED_TOP.try_with(Cell::get).unwrap_or(0))
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
    /// indices to them). The buffer is replaced by a recycled one, so that
    /// it does not grow again from empty after every hand-over.
    fn take_finished(&mut self) -> Vec<SpanData> {
        if self.open_records == 0 {
            let capacity = self.records.len();
            return std::mem::replace(&mut self.records, recycled_buffer(capacity));
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
            for entry in self.stack.entries_mut() {
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
#[inline(always)]
fn with_local<R>(f: impl FnOnce(&mut LocalState) -> R) -> Option<R> {
    // `f` runs outside `try_with`'s closure so that it is inlined into the
    // caller: as the closure's body it was sometimes compiled as a separate
    // function, costing the span hot path dozens of instructions.
    let cell: *const RefCell<LocalState> = LOCAL.try_with(|cell| cell as *const _).ok()?;
    // SAFETY: this thread's own state, which lives until the thread's
    // thread-local destructors run; it is used right here, on this thread,
    // and the `RefCell` still guards against re-entrant use.
    let cell = unsafe { &*cell };
    let mut local = cell.try_borrow_mut().ok()?;
    Some(f(&mut local))
}

/// Emptied record buffers, handed back by processors once they are done
/// with a batch and reused by threads for their next records.
///
/// Without it each hand-over leaves the thread with an empty buffer that
/// grows again record by record: several reallocations, and as many copies
/// of every record, per batch. A lock per hand-over (not per span) is the
/// price, uncontended in practice.
static BUFFERS: Mutex<Vec<Vec<SpanData>>> = Mutex::new(Vec::new());
/// Buffers kept for reuse, at most: enough for the batches handed over
/// while the export thread sleeps (see `BatchSpanProcessor`'s wake-up).
const POOLED_BUFFERS: usize = 64;
/// Larger buffers are freed rather than kept: the pool holds at most
/// 64 × 256 records (under 7 MB).
const POOLED_CAPACITY: usize = 256;

/// An empty buffer, recycled when one is available, else a new one with
/// room for `capacity` records (the last batch's size: growing from empty
/// would reallocate and copy several times).
fn recycled_buffer(capacity: usize) -> Vec<SpanData> {
    match BUFFERS.try_lock().ok().and_then(|mut pool| pool.pop()) {
        Some(mut buffer) => {
            clear_records(&mut buffer);
            buffer
        }
        None => Vec::with_capacity(capacity),
    }
}

/// Gives a batch's buffer back for reuse, once a processor is done with the
/// batch. Its records are dropped by the thread that takes the buffer next,
/// not here: the export thread then never touches records it did not need
/// to read (their cache lines stay with the threads that write records).
pub(crate) fn recycle(mut buffer: Vec<SpanData>) {
    let capacity = buffer.capacity();
    if capacity != 0 && capacity <= POOLED_CAPACITY {
        if let Ok(mut pool) = BUFFERS.try_lock() {
            if pool.len() < POOLED_BUFFERS {
                pool.push(buffer);
                return;
            }
        }
    }
    clear_records(&mut buffer);
}

/// [`recycle`] for several buffers, under one lock: the export thread
/// gives back what it collected before it sleeps. It waits for the lock
/// (held only for a few pushes): threads only ever try it.
pub(crate) fn recycle_all(buffers: &mut Vec<Vec<SpanData>>) {
    if buffers.is_empty() {
        return;
    }
    let mut rejected = Vec::new();
    {
        let mut pool = BUFFERS.lock().unwrap_or_else(|e| e.into_inner());
        for buffer in buffers.drain(..) {
            let capacity = buffer.capacity();
            if capacity != 0 && capacity <= POOLED_CAPACITY && pool.len() < POOLED_BUFFERS {
                pool.push(buffer);
            } else {
                rejected.push(buffer);
            }
        }
    }
    // Freed outside the lock.
    for mut buffer in rejected {
        clear_records(&mut buffer);
    }
}

/// Empties `buffer`, running the drop of only those records that own
/// something: most own nothing, and their drop glue would still inspect
/// every field.
fn clear_records(buffer: &mut Vec<SpanData>) {
    let len = buffer.len();
    let records = buffer.as_mut_ptr();
    // SAFETY: the length is cleared first, so a panicking drop leaks the
    // rest rather than dropping anything twice; each record is dropped at
    // most once, in place, and records owning nothing need no drop.
    unsafe {
        buffer.set_len(0);
        for i in 0..len {
            let record = records.add(i);
            if !(*record).owns_nothing() {
                // Its event list is kept for this thread's next events.
                crate::span::recycle_event_list(std::mem::take(&mut (*record).events));
                std::ptr::drop_in_place(record);
            }
        }
    }
}

/// Hands a batch to the processors, outside any borrow of the local state.
#[inline]
fn hand_over(batch: Option<Vec<SpanData>>) {
    // Most calls have nothing to hand over: only the check is inlined.
    if let Some(batch) = batch {
        hand_over_batch(batch);
    }
}

#[inline(never)]
fn hand_over_batch(batch: Vec<SpanData>) {
    match provider::get() {
        Some(provider) => provider.on_end_batch(batch),
        None => recycle(batch),
    }
}

fn flush_if_due(local: &mut LocalState) -> Option<Vec<SpanData>> {
    if local.should_flush() {
        Some(local.take_finished())
    } else {
        None
    }
}

/// Decides whether a span is recorded and, if so, makes its record, writing
/// the outcome into `*out` (which holds no record). The ~400-byte record is
/// built right there: returning it by value cost a copy per span, and often
/// two.
#[inline]
pub(crate) fn start_into(spec: StartSpec, out: &mut SpanState) {
    match provider::active() {
        Some(provider) => start_with(provider, spec, out),
        None => *out = SpanState::NonRecording(None),
    }
}

/// What the first look at the thread's state found.
enum FirstLook {
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
fn start_with(provider: &'static TracerProvider, spec: StartSpec, out: &mut SpanState) {
    // One borrow of the thread's state finds the parent and makes the ids.
    let first = with_local(|local| {
        let parent = match &spec.parent {
            Parent::Current => local.top_context().cloned(),
            Parent::Root => None,
            Parent::Explicit(context) => Some(context.clone()),
        };
        // Children inherit a local parent's "no": nothing is made, not even
        // an id.
        if parent.as_ref().is_some_and(|p| !p.is_remote() && !p.is_sampled()) {
            return FirstLook::Inherited(parent);
        }
        let trace_id = parent
            .as_ref()
            .map_or_else(|| local.ids.trace_id(), SpanContext::trace_id);
        FirstLook::Start {
            parent,
            trace_id,
            span_id: local.ids.span_id(),
        }
    });
    let (parent, trace_id, span_id) = match first {
        Some(FirstLook::Start {
            parent,
            trace_id,
            span_id,
        }) => (parent, trace_id, span_id),
        Some(FirstLook::Inherited(parent)) => return *out = SpanState::NonRecording(parent),
        None => return *out = SpanState::NonRecording(None),
    };
    *out = match &parent {
        // The common case, a child of a sampled local span under a sampler
        // that keeps it: no sampler call, and the record is built right
        // where the caller wants it (this function inlines), not moved.
        Some(p)
            if !p.is_remote()
                && provider.inherits_local_sampled()
                && !provider.has_on_start()
                && spec.attributes.is_empty()
                && spec.links.is_empty() =>
        {
            let context = SpanContext::new(trace_id, span_id, p.trace_flags(), false, p.trace_state().clone());
            let start = spec.start_time.unwrap_or_else(clock::now_unix_nanos);
            SpanState::Recording(SpanData::new(spec.name, spec.kind, context, Some(p), start))
        }
        _ => start_sampled(provider, spec, parent, trace_id, span_id),
    };
}

/// The rest of `start_with`: roots, remote parents, samplers, attributes
/// for the sampler, `on_start` processors.
#[inline(never)]
fn start_sampled(
    provider: &'static TracerProvider,
    spec: StartSpec,
    parent: Option<SpanContext>,
    trace_id: TraceId,
    span_id: SpanId,
) -> SpanState {
    let local_parent = parent.as_ref().filter(|p| !p.is_remote());
    let mut sampler_attributes = Vec::new();
    let mut trace_state = parent.as_ref().map(|p| p.trace_state().clone()).unwrap_or_default();
    let decision = match local_parent {
        Some(_) if provider.inherits_local_sampled() => SamplingDecision::RecordAndSample,
        _ => {
            // The sampler is user code: it runs outside any borrow.
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
    let context = SpanContext::new(trace_id, span_id, base_flags.with_sampled(sampled), false, trace_state);
    if decision == SamplingDecision::Drop {
        // Sampled out: a context of its own, for propagation.
        return SpanState::NonRecording(Some(context));
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
    SpanState::Recording(data)
}

/// The hot path for `#[trace]`: start a span and make it current. With no
/// provider installed this is a load and a branch, inlined into the caller.
#[inline(always)]
pub(crate) fn enter_new(name: &'static str, kind: SpanKind, root: bool) -> EnteredSpan {
    match provider::active() {
        // A child of an unsampled span: nothing is made.
        Some(_) if !root && unsampled_top().is_some() => EnteredSpan::inert(),
        Some(provider) => enter_new_active(provider, name, kind, root),
        None => EnteredSpan::inert(),
    }
}

#[inline(never)]
fn enter_new_active(provider: &'static TracerProvider, name: &'static str, kind: SpanKind, root: bool) -> EnteredSpan {
    let mut name = Some(Cow::Borrowed(name));
    if !root {
        // A child of a local span that is not sampled is not made at all:
        // `#[trace]` code cannot tell.
        if let Some(entered) = enter_child(provider, &mut name, kind, false) {
            return entered;
        }
    }
    let spec = StartSpec {
        name: name.unwrap_or_default(),
        kind,
        parent: if root { Parent::Root } else { Parent::Current },
        attributes: Vec::new(),
        links: Vec::new(),
        start_time: None,
    };
    enter_started(provider, spec)
}

/// `SpanBuilder::entered`: start a span and make it current.
#[inline]
pub(crate) fn enter_spec(spec: StartSpec) -> EnteredSpan {
    let Some(provider) = provider::active() else {
        return EnteredSpan::inert();
    };
    let StartSpec {
        name,
        kind,
        parent,
        attributes,
        links,
        start_time,
    } = spec;
    let mut name = Some(name);
    let plain = matches!(parent, Parent::Current) && attributes.is_empty() && links.is_empty() && start_time.is_none();
    if plain {
        if let Some(parent) = unsampled_top() {
            return EnteredSpan::inherited(parent);
        }
        // An unsampled child's handle shows its parent's context, as
        // `Span::entered` makes it.
        if let Some(entered) = enter_child(provider, &mut name, kind, true) {
            return entered;
        }
    }
    let spec = StartSpec {
        name: name.unwrap_or_default(),
        kind,
        parent,
        attributes,
        links,
        start_time,
    };
    enter_started(provider, spec)
}

/// Starts any span through `start_with` and makes it current.
#[inline(never)]
fn enter_started(provider: &'static TracerProvider, spec: StartSpec) -> EnteredSpan {
    let mut state = SpanState::Done;
    start_with(provider, spec, &mut state);
    let entered = enter_state(&mut state);
    // Still `Recording` only if the thread's state was unavailable: then it
    // finishes as an owned span rather than being lost.
    if matches!(state, SpanState::Recording(_)) {
        drop(crate::Span::from_state(state));
    }
    entered
}

/// The fast path: a child of a sampled local span, under a sampler that
/// keeps such children. Everything happens in one borrow of the thread's
/// state, and the record is written straight into the buffer: no sampler
/// call, no copy of the record. `None` when the slow path must decide (no
/// local parent, remote parent, sampler to ask, `on_start` processors);
/// `name` is then left in place.
///
/// A child of an unsampled local span records nothing and pushes nothing;
/// with `keep_unsampled`, its handle shows its parent's context (as a
/// sampled-out owned span's does).
#[inline(always)]
fn enter_child(
    provider: &'static TracerProvider,
    name: &mut Option<Cow<'static, str>>,
    kind: SpanKind,
    keep_unsampled: bool,
) -> Option<EnteredSpan> {
    if !provider.inherits_local_sampled() || provider.has_on_start() {
        return None;
    }
    match with_local(|local| start_child(local, name, kind))? {
        Child::Entered(span_id) => Some(EnteredSpan::new(span_id)),
        Child::Unsampled(parent) if keep_unsampled => Some(EnteredSpan::inherited(parent)),
        Child::Unsampled(_) => Some(EnteredSpan::inert()),
        Child::Slow => None,
    }
}

/// What [`start_child`] did.
enum Child {
    /// Recorded and made current.
    Entered(SpanId),
    /// The parent, unsampled: nothing was made.
    Unsampled(SpanId),
    /// The slow path must decide.
    Slow,
}

/// `enter_child`'s work inside the borrow. Small results (ids, not the
/// guard) keep what crosses the borrow cheap.
#[inline(always)]
fn start_child(local: &mut LocalState, name: &mut Option<Cow<'static, str>>, kind: SpanKind) -> Child {
    let LocalState {
        stack,
        records,
        open_records,
        ids,
    } = local;
    let Some(top) = stack.last() else {
        return Child::Slow;
    };
    let parent = context_of(records, top);
    if parent.is_remote() {
        return Child::Slow;
    }
    if !parent.is_sampled() {
        return Child::Unsampled(parent.span_id());
    }
    let span_id = ids.span_id();
    let context = SpanContext::new(
        parent.trace_id(),
        span_id,
        parent.trace_flags(),
        false,
        parent.trace_state().clone(),
    );
    let parent_span_id = parent.span_id();
    let start = clock::now_unix_nanos();
    records.reserve(1);
    let index = records.len();
    // SAFETY: `reserve` made room at `index`; `write_new` initialises every
    // field before `set_len` exposes the record.
    unsafe {
        SpanData::write_new(
            records.as_mut_ptr().add(index),
            name.take().unwrap_or_default(),
            kind,
            context,
            Some(parent_span_id),
            start,
        );
        records.set_len(index + 1);
    }
    *open_records += 1;
    stack.push_local(index);
    Child::Entered(span_id)
}

/// Moves the record out of `*data` into `records` with a single copy.
///
/// # Safety
/// `*data` is left moved-out: the caller must overwrite it without dropping
/// it (`ptr::write`) before anything else reads or drops it.
#[inline]
unsafe fn move_into(records: &mut Vec<SpanData>, data: *const SpanData) -> usize {
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

/// Makes a started span current, taking its record into this thread's
/// buffer (one copy). `*state` becomes `Done` when it was taken, and is left
/// as it was when the thread's state is unavailable (the caller then
/// finishes it as an owned span).
#[inline]
pub(crate) fn enter_state(state: &mut SpanState) -> EnteredSpan {
    match state {
        SpanState::Recording(data) => {
            let span_id = data.context.span_id();
            let data: *const SpanData = data;
            let pushed = with_local(|local| {
                // SAFETY: `*state` is overwritten right below, unread.
                let index = unsafe { move_into(&mut local.records, data) };
                local.open_records += 1;
                local.stack.push(Entry::Local { index });
            });
            match pushed {
                Some(()) => {
                    // SAFETY: the record was moved out above; writing without
                    // dropping keeps it owned once, by the buffer.
                    unsafe { std::ptr::write(state, SpanState::Done) };
                    EnteredSpan::new(span_id)
                }
                None => EnteredSpan::inert(),
            }
        }
        SpanState::NonRecording(Some(context)) => {
            let span_id = context.span_id();
            let context = context.clone();
            match with_local(|local| local.stack.push(Entry::Context { context })) {
                Some(()) => {
                    *state = SpanState::Done;
                    EnteredSpan::new(span_id)
                }
                None => EnteredSpan::inert(),
            }
        }
        SpanState::NonRecording(None) | SpanState::Done => EnteredSpan::inert(),
    }
}

/// Takes a finished owned span's record into this thread's buffer. `*state`
/// must be `Recording`; it becomes `Done`.
pub(crate) fn submit_finished(state: &mut SpanState) {
    let SpanState::Recording(data) = state else {
        return;
    };
    let data: *const SpanData = data;
    let batch = with_local(|local| {
        // SAFETY: `*state` is overwritten right below, unread.
        unsafe { move_into(&mut local.records, data) };
        flush_if_due(local)
    });
    match batch {
        Some(batch) => {
            // SAFETY: moved out above, see `move_into`.
            unsafe { std::ptr::write(state, SpanState::Done) };
            hand_over(batch);
        }
        // No thread-local state (thread exit, or re-entrant): hand it over
        // alone rather than lose it.
        None => {
            if let SpanState::Recording(data) = std::mem::replace(state, SpanState::Done) {
                hand_over(Some(vec![data]));
            }
        }
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
    /// Whether this guard pushed the stack entry it names (and pops it on
    /// drop). An unsampled child pushes nothing: it names its parent's
    /// entry, whose context it shares.
    owns_entry: bool,
}

impl EnteredSpan {
    fn new(span_id: SpanId) -> EnteredSpan {
        EnteredSpan {
            span: SpanRef::new(Some(span_id)),
            panicking_at_start: std::thread::panicking(),
            owns_entry: true,
        }
    }

    #[inline(always)]
    fn inert() -> EnteredSpan {
        EnteredSpan {
            span: SpanRef::new(None),
            panicking_at_start: false,
            owns_entry: false,
        }
    }

    /// A child of the unsampled local span `parent`: nothing is made or
    /// pushed, and the handle shows the parent's context, as an unsampled
    /// child's context is its parent's.
    #[inline(always)]
    fn inherited(parent: SpanId) -> EnteredSpan {
        EnteredSpan {
            span: SpanRef::new(Some(parent)),
            panicking_at_start: false,
            owns_entry: false,
        }
    }

    /// Stops the span being current and returns it as an owned [`Span`](crate::Span)
    /// (still open), for example to move it to another thread.
    pub fn exit(mut self) -> crate::Span {
        if !self.owns_entry {
            // Nothing of its own was current: it leaves with its context.
            let context = self.span.context();
            self.span.id = None;
            return crate::Span::from_state(SpanState::NonRecording(context));
        }
        let state = match self.span.id.take() {
            None => SpanState::NonRecording(None),
            Some(span_id) => with_local(|local| {
                let position = local.position(span_id)?;
                match local.stack.remove(position) {
                    Entry::Local { index, .. } => {
                        let last = local.records.len() - 1;
                        let data = local.records.swap_remove(index);
                        local.open_records -= 1;
                        for entry in local.stack.entries_mut() {
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
    // Only the check is inlined: an inert guard (no provider, unsampled)
    // costs a compare.
    #[inline(always)]
    fn drop(&mut self) {
        if let (Some(span_id), true) = (self.span.id, self.owns_entry) {
            self.end(span_id);
        }
    }
}

impl EnteredSpan {
    #[inline(never)]
    fn end(&self, span_id: SpanId) {
        let panicked = !self.panicking_at_start && std::thread::panicking();
        hand_over(
            with_local(|local| {
                let position = local.position(span_id)?;
                if let Entry::Local { index, .. } = local.stack[position] {
                    let record = &mut local.records[index];
                    if panicked {
                        record.record_panic();
                    }
                    record.end_time_unix_nano = clock::now_unix_nanos();
                    local.open_records -= 1;
                }
                // Usually the top entry: popping it moves nothing.
                if position + 1 == local.stack.len() {
                    local.stack.pop();
                } else {
                    local.stack.remove(position);
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
    let span = enter_named(name.into());
    f(&span)
}

/// `SpanBuilder::new(name).entered()`, without building the builder on the
/// fast path. The checks for "no provider" and "unsampled parent" inline
/// into the caller; the rest does not.
#[inline(always)]
fn enter_named(name: Cow<'static, str>) -> EnteredSpan {
    match provider::active() {
        None => EnteredSpan::inert(),
        Some(provider) => match unsampled_top() {
            Some(parent) => EnteredSpan::inherited(parent),
            None => enter_named_active(provider, name),
        },
    }
}

#[inline(never)]
fn enter_named_active(provider: &'static TracerProvider, name: Cow<'static, str>) -> EnteredSpan {
    let mut name = Some(name);
    if let Some(entered) = enter_child(provider, &mut name, SpanKind::Internal, true) {
        return entered;
    }
    let spec = StartSpec {
        name: name.unwrap_or_default(),
        kind: SpanKind::Internal,
        parent: Parent::Current,
        attributes: Vec::new(),
        links: Vec::new(),
        start_time: None,
    };
    enter_started(provider, spec)
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
