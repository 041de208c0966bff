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
use std::cell::{Cell, UnsafeCell};
use std::marker::PhantomData;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::clock;
use crate::context::{SpanContext, TraceFlags, TraceState};
use crate::id::{IdGenerator, SpanId, TraceId};
use crate::provider::{self, TracerProvider};
use crate::sampler::{SamplingDecision, SamplingParams, SamplingResult};
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

/// What a stack frame refers to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FrameKind {
    /// An open record in `LocalState::records`; `slot` is its index.
    Local,
    /// An owned span, current for one `in_scope` call or one `poll`;
    /// `slot` indexes `Stack::scoped`.
    Borrowed,
    /// A sampled-out span or an attached context; `slot` indexes
    /// `Stack::scoped`.
    Context,
}

/// One entry of the span stack: 16 bytes, `Copy`, no drop glue, so that a
/// push or a pop is a couple of stores. The rare contexts of borrowed spans
/// and attached contexts live beside it, in `Stack::scoped`.
#[derive(Clone, Copy)]
struct Frame {
    span_id: SpanId,
    slot: u32,
    kind: FrameKind,
    /// A local span that is not sampled: its children are not made.
    unsampled: bool,
}

/// The context of a `Borrowed` or `Context` frame.
struct Scoped {
    context: SpanContext,
    /// The owned span's state for `Borrowed`, null for `Context`.
    state: *mut SpanState,
}

/// The thread's span stack. Every change goes through these methods, so
/// that [`UNSAMPLED_TOP`] always mirrors the top frame.
struct Stack {
    frames: Vec<Frame>,
    scoped: Vec<Scoped>,
}

impl Stack {
    /// Pushes a recorded span: its children are made, so the flag is 0.
    #[inline(always)]
    fn push_local(&mut self, span_id: SpanId, index: usize) {
        self.frames.push(Frame {
            span_id,
            slot: index as u32,
            kind: FrameKind::Local,
            unsampled: false,
        });
        set_unsampled_top(0);
    }

    #[inline(always)]
    fn push_scoped(&mut self, context: SpanContext, state: *mut SpanState) {
        let unsampled = !context.is_remote() && !context.is_sampled();
        let frame = Frame {
            span_id: context.span_id(),
            slot: self.scoped.len() as u32,
            kind: if state.is_null() {
                FrameKind::Context
            } else {
                FrameKind::Borrowed
            },
            unsampled,
        };
        self.scoped.push(Scoped { context, state });
        self.frames.push(frame);
        // The new top is known: no need to read it back (`sync`).
        set_unsampled_top(if unsampled { frame.span_id.to_u64() } else { 0 });
    }

    /// Removes the frame at `position` (usually the top), and its context
    /// if it has one.
    #[inline(always)]
    fn remove(&mut self, position: usize) -> (Frame, Option<Scoped>) {
        let frame = if position + 1 == self.frames.len() {
            // Popping the top moves nothing.
            self.frames.pop().expect("position is in the stack")
        } else {
            self.frames.remove(position)
        };
        let scoped = (frame.kind != FrameKind::Local).then(|| self.remove_scoped(frame.slot));
        self.sync();
        (frame, scoped)
    }

    fn remove_scoped(&mut self, slot: u32) -> Scoped {
        let scoped = self.scoped.swap_remove(slot as usize);
        let moved = self.scoped.len() as u32;
        if moved == slot {
            // It was the last one (the usual case): nothing moved.
            return scoped;
        }
        // The last context moved into `slot`: point its frame there.
        if let Some(frame) = self
            .frames
            .iter_mut()
            .find(|f| f.kind != FrameKind::Local && f.slot == moved)
        {
            frame.slot = slot;
        }
        scoped
    }

    /// Points the local frame whose record moved from `from` to `to`.
    fn move_record(&mut self, from: usize, to: usize) {
        for frame in &mut self.frames {
            if frame.kind == FrameKind::Local && frame.slot as usize == from {
                frame.slot = to as u32;
            }
        }
    }

    #[inline(always)]
    fn sync(&self) {
        let top = match self.frames.last() {
            Some(frame) if frame.unsampled => frame.span_id.to_u64(),
            _ => 0,
        };
        set_unsampled_top(top);
    }

    /// The position of the frame for `span_id`, searching from the top.
    fn position(&self, span_id: SpanId) -> Option<usize> {
        self.frames.iter().rposition(|f| f.span_id == span_id)
    }
}

struct LocalState {
    stack: Stack,
    records: Vec<SpanData>,
    open_records: usize,
    ids: IdGenerator,
    clock: clock::LocalClock,
    /// Emptied boxes for owned spans' records (see `SpanState::Recording`).
    /// The boxes are what is pooled, hence a `Vec` of them.
    #[allow(clippy::vec_box)]
    record_boxes: Vec<Box<MaybeUninit<SpanData>>>,
    /// Whether a record in `records` may own something (an owned name or
    /// status message, attributes, events, links, a trace state). Set by
    /// every way into or at a record: a child with an owned name, an owned
    /// span's record that owns something, any mutable access, a panic.
    /// While it is clear, the handed-over buffer is emptied without a look
    /// at each record.
    dirty: bool,
    /// Whether a record in `records` may be recorded but not sampled (a
    /// sampler's `RecordOnly`): processors then filter the batch. Only an
    /// owned span's record can be: children started in the buffer are of
    /// sampled parents.
    unsampled: bool,
}

/// Emptied record boxes a thread keeps: enough for a deep chain of nested
/// async functions (each level holds one open), ~53 KB at most.
const KEPT_RECORD_BOXES: usize = 128;

thread_local! {
    /// No destructor of its own, so that an access is a plain
    /// thread-relative address: no "already destroyed?" check. Thread exit
    /// is handled by [`EXIT_HOOK`], registered on first use.
    static LOCAL: LocalCell = const {
        LocalCell {
            state: UnsafeCell::new(ManuallyDrop::new(LocalState {
                stack: Stack { frames: Vec::new(), scoped: Vec::new() },
                records: Vec::new(),
                open_records: 0,
                ids: IdGenerator::new(),
                clock: clock::LocalClock::new(),
                record_boxes: Vec::new(),
                dirty: false,
                unsampled: false,
            })),
            access: Cell::new(Access::Unused),
        }
    };

    /// Hands this thread's records over when the thread exits.
    static EXIT_HOOK: ExitHook = const { ExitHook };

    /// The span id of the top stack frame when it is a local span that is
    /// not sampled, else 0. Such a span's children are not made (they
    /// inherit its "no"), and this tells them so with one thread-local
    /// read: no borrow of the state, no destructor check (it has none).
    static UNSAMPLED_TOP: Cell<u64> = const { Cell::new(0) };
}

#[inline(always)]
fn set_unsampled_top(value: u64) {
    let _ = UNSAMPLED_TOP.try_with(|cell| cell.set(value));
}

/// The unsampled local span that is current, if it is on top: its children
/// are not recorded whatever the sampler.
#[inline(always)]
fn unsampled_top() -> Option<SpanId> {
    SpanId::from_u64(UNSAMPLED_TOP.try_with(Cell::get).unwrap_or(0))
}

impl LocalState {
    fn frame_context(&self, frame: &Frame) -> &SpanContext {
        frame_context(&self.records, &self.stack.scoped, frame)
    }

    fn top_context(&self) -> Option<&SpanContext> {
        self.stack.frames.last().map(|frame| self.frame_context(frame))
    }

    /// The open record of `span_id`'s frame, to change: the buffer may then
    /// own something.
    fn data_mut(&mut self, span_id: SpanId) -> Option<&mut SpanData> {
        let frame = self.stack.frames[self.stack.position(span_id)?];
        // Whatever the caller does with it.
        self.dirty |= frame.kind == FrameKind::Local;
        self.record_of(frame)
    }

    /// Whether `span_id`'s frame has an open record; looks, changes nothing.
    fn has_record(&mut self, span_id: SpanId) -> bool {
        let Some(position) = self.stack.position(span_id) else {
            return false;
        };
        let frame = self.stack.frames[position];
        self.record_of(frame).is_some()
    }

    fn record_of(&mut self, frame: Frame) -> Option<&mut SpanData> {
        match frame.kind {
            FrameKind::Local => Some(&mut self.records[frame.slot as usize]),
            // SAFETY: a borrowed frame lives only while its span is pinned
            // (a future being polled) or borrowed (`in_scope`), and is popped
            // before either ends.
            FrameKind::Borrowed => match unsafe { &mut *self.stack.scoped[frame.slot as usize].state } {
                SpanState::Recording(data) => Some(&mut **data),
                _ => None,
            },
            FrameKind::Context => None,
        }
    }

    /// Moves an owned span's record into the buffer, keeping its box for
    /// the next one. Returns the record's index.
    #[inline]
    fn take_boxed(&mut self, record: Box<SpanData>) -> usize {
        self.dirty |= !record.owns_nothing();
        // Children started in the buffer are only ever of sampled parents.
        self.unsampled |= !record.context.is_sampled();
        let record = Box::into_raw(record);
        // SAFETY: the record is moved into the buffer once, and its box is
        // then only an allocation (`MaybeUninit`), never dropped as a record.
        unsafe {
            let index = move_into(&mut self.records, record);
            let empty = Box::from_raw(record.cast::<MaybeUninit<SpanData>>());
            if self.record_boxes.len() < KEPT_RECORD_BOXES {
                self.record_boxes.push(empty);
            }
            index
        }
    }

    /// Whether the records should be handed over now.
    #[inline(always)]
    fn should_flush(&self) -> bool {
        flush_due(self.stack.frames.len(), self.records.len())
    }

    /// Takes every finished record, keeping open ones (and fixing the stack's
    /// indices to them). The buffer is replaced by a recycled one, so that
    /// it does not grow again from empty after every hand-over.
    fn take_finished(&mut self) -> Batch {
        let facts = self.facts();
        if self.open_records == 0 {
            let capacity = self.records.len();
            self.dirty = false;
            self.unsampled = false;
            return Batch {
                records: std::mem::replace(&mut self.records, recycled_buffer(capacity)),
                facts,
            };
        }
        let mut finished = Vec::with_capacity(self.records.len() - self.open_records);
        let mut kept = Vec::with_capacity(self.open_records.max(16));
        for (old_index, record) in std::mem::take(&mut self.records).into_iter().enumerate() {
            if record.end_time_unix_nano != 0 {
                finished.push(record);
                continue;
            }
            self.stack.move_record(old_index, kept.len());
            kept.push(record);
        }
        // The kept records may own something, or not be sampled: `dirty`
        // and `unsampled` stay as they are.
        self.records = kept;
        Batch {
            records: finished,
            facts,
        }
    }

    /// What the flags say about the records in the buffer.
    fn facts(&self) -> Facts {
        Facts {
            clean: !self.dirty,
            all_sampled: !self.unsampled,
        }
    }

    /// Ends the span of the frame for `span_id`, which `EnteredSpan`
    /// pushed at `depth`, wherever that frame now is. Returns the records
    /// due for hand-over.
    #[cold]
    #[inline(never)]
    fn end_anywhere(&mut self, span_id: SpanId, panicked: bool) -> Option<Batch> {
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
    fn pop_context_top(&mut self) -> Option<Batch> {
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
    fn close_record(&mut self, index: usize, panicked: bool) {
        let record = &mut self.records[index];
        if panicked {
            record.record_panic();
            self.dirty = true;
        }
        record.end_time_unix_nano = self.clock.now_unix_nanos();
        self.open_records -= 1;
    }
}

fn frame_context<'a>(records: &'a [SpanData], scoped: &'a [Scoped], frame: &Frame) -> &'a SpanContext {
    match frame.kind {
        FrameKind::Local => &records[frame.slot as usize].context,
        FrameKind::Borrowed | FrameKind::Context => &scoped[frame.slot as usize].context,
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
            provider.on_end_batch(Batch {
                records,
                facts: self.facts(),
            });
        }
    }
}

/// This thread's state, and whether it may be borrowed now: one flag for
/// a `RefCell`'s borrow and for the thread's start and exit, so that a
/// borrow on the hot path is one compare.
struct LocalCell {
    state: UnsafeCell<ManuallyDrop<LocalState>>,
    access: Cell<Access>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    Free,
    Borrowed,
    /// Not used yet on this thread: the exit hook is not registered.
    Unused,
    /// The thread is exiting and the state was handed over and dropped.
    Exited,
}

/// Registered on a thread's first borrow of its state.
struct ExitHook;

impl Drop for ExitHook {
    fn drop(&mut self) {
        let _ = LOCAL.try_with(|cell| {
            if cell.access.get() == Access::Free {
                // Marked first: what the hand-over runs (processors) finds
                // the state gone, as after any thread-local's destruction.
                cell.access.set(Access::Exited);
                // SAFETY: not borrowed (checked), and never again (marked).
                unsafe { ManuallyDrop::drop(&mut *cell.state.get()) };
            }
        });
    }
}

/// A borrow of this thread's state; released on drop. Not `Send` (it
/// holds a reference to a thread-local with a `Cell`).
struct LocalRef(&'static LocalCell);

impl std::ops::Deref for LocalRef {
    type Target = LocalState;

    #[inline(always)]
    fn deref(&self) -> &LocalState {
        // SAFETY: the flag grants this guard the only borrow.
        unsafe { &*self.0.state.get() }
    }
}

impl std::ops::DerefMut for LocalRef {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut LocalState {
        // SAFETY: as in `deref`.
        unsafe { &mut *self.0.state.get() }
    }
}

impl Drop for LocalRef {
    #[inline(always)]
    fn drop(&mut self) {
        self.0.access.set(Access::Free);
    }
}

/// Runs `f` on this thread's state. `None` while the thread is being torn
/// down, or if called re-entrantly (from a processor or sampler).
#[inline(always)]
fn with_local<R>(f: impl FnOnce(&mut LocalState) -> R) -> Option<R> {
    let mut local = local_mut()?;
    Some(f(&mut local))
}

/// This thread's state, borrowed. `None` while the thread is being torn
/// down, or if already borrowed (re-entrant use from a processor or
/// sampler).
///
/// Returned rather than passed to a closure so that the caller's code
/// stays straight-line: as a closure body it was sometimes compiled as a
/// separate function, costing the span hot path dozens of instructions.
#[inline(always)]
fn local_mut() -> Option<LocalRef> {
    // SAFETY: a thread-local without a destructor lives as long as its
    // thread, and the reference does not leave it (`LocalRef` is not
    // `Send`).
    let cell: &'static LocalCell = LOCAL.with(|cell| unsafe { &*(cell as *const LocalCell) });
    if cell.access.get() != Access::Free {
        return first_or_refused(cell);
    }
    cell.access.set(Access::Borrowed);
    Some(LocalRef(cell))
}

/// The thread's first borrow registers the exit hook; a re-entrant one, or
/// one during thread exit, is refused.
#[cold]
#[inline(never)]
fn first_or_refused(cell: &'static LocalCell) -> Option<LocalRef> {
    if cell.access.get() != Access::Unused || EXIT_HOOK.try_with(|_| ()).is_err() {
        return None;
    }
    cell.access.set(Access::Borrowed);
    // SAFETY: borrowed just above; nothing else holds the state.
    unsafe { (&mut *cell.state.get()).ids.seed() };
    Some(LocalRef(cell))
}

/// Emptied record buffers, handed back by processors once they are done
/// with a batch and reused by threads for their next records.
///
/// Without it each hand-over leaves the thread with an empty buffer that
/// grows again record by record: several reallocations, and as many copies
/// of every record, per batch. A lock per hand-over (not per span) is the
/// price, uncontended in practice.
///
/// One shard per group of threads ([`Home`]): a buffer goes back to the
/// shard of the thread that filled it, and a thread takes from its own
/// shard first. With one shared pool, two busy threads swapped buffers, and
/// each cleared and rewrote records whose cache lines the other core held.
static BUFFERS: Shards = Shards::new();

/// Shards of [`BUFFERS`]. Threads beyond this many share shards.
const SHARDS: usize = 8;

/// The pool shard a buffer goes back to: that of the thread that filled it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Home(u8);

impl Home {
    /// This thread's shard, given out round-robin on first use.
    #[inline]
    pub(crate) fn current() -> Home {
        thread_local! {
            static HOME: Cell<u8> = const { Cell::new(u8::MAX) };
        }
        static NEXT: AtomicU8 = AtomicU8::new(0);
        HOME.try_with(|home| {
            if home.get() == u8::MAX {
                // 256 is a multiple of SHARDS: wrapping keeps the round.
                let next = NEXT.fetch_add(1, Ordering::Relaxed);
                home.set(next % SHARDS as u8);
            }
            Home(home.get())
        })
        .unwrap_or(Home(0))
    }

    /// The shard's index, below 8.
    pub(crate) fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// The pool, in shards. Its limits are for all shards together (one count
/// of pooled records), so that sharding keeps no more memory than one pool
/// did.
struct Shards {
    shards: [Mutex<Vec<Batch>>; SHARDS],
    /// The pooled buffers' capacity in records, summed over the shards.
    records: AtomicUsize,
}

impl Shards {
    const fn new() -> Shards {
        Shards {
            shards: [const { Mutex::new(Vec::new()) }; SHARDS],
            records: AtomicUsize::new(0),
        }
    }

    fn shard(&self, home: Home) -> &Mutex<Vec<Batch>> {
        &self.shards[home.0 as usize % SHARDS]
    }

    /// Keeps `buffer` in `home`'s shard if the pool stays within `limit`
    /// records; waits for the shard's lock only if `wait`.
    fn keep(&self, home: Home, buffer: Batch, limit: usize, wait: bool) -> Result<(), Batch> {
        let capacity = buffer.records.capacity();
        if capacity == 0 || capacity > POOLED_CAPACITY {
            return Err(buffer);
        }
        // Counted first, so that keepers racing on other shards cannot pass
        // the limit together.
        if self.records.fetch_add(capacity, Ordering::Relaxed) + capacity > limit {
            self.records.fetch_sub(capacity, Ordering::Relaxed);
            return Err(buffer);
        }
        let shard = self.shard(home);
        let locked = match wait {
            true => Some(shard.lock().unwrap_or_else(|e| e.into_inner())),
            false => shard.try_lock().ok(),
        };
        match locked {
            Some(mut buffers) => {
                buffers.push(buffer);
                Ok(())
            }
            None => {
                self.records.fetch_sub(capacity, Ordering::Relaxed);
                Err(buffer)
            }
        }
    }

    /// A pooled buffer for a thread of `home`: from its own shard, else
    /// from the next one that has one (better than a new allocation).
    /// Never waits for a lock.
    fn take(&self, home: Home) -> Option<Batch> {
        let buffer = (0..SHARDS)
            .map(|k| &self.shards[(home.0 as usize + k) % SHARDS])
            .find_map(|shard| shard.try_lock().ok().and_then(|mut buffers| buffers.pop()))?;
        self.records.fetch_sub(buffer.records.capacity(), Ordering::Relaxed);
        Some(buffer)
    }

    /// Takes out buffers until the pool holds at most `limit` records.
    fn surplus(&self, limit: usize) -> Vec<Batch> {
        let mut surplus = Vec::new();
        for shard in &self.shards {
            let mut buffers = shard.lock().unwrap_or_else(|e| e.into_inner());
            while self.records.load(Ordering::Relaxed) > limit {
                let Some(buffer) = buffers.pop() else { break };
                self.records.fetch_sub(buffer.records.capacity(), Ordering::Relaxed);
                surplus.push(buffer);
            }
        }
        surplus
    }
}

/// Records the pool keeps at most while idle (see [`trim_pool`]), in
/// buffers of at most [`POOLED_CAPACITY`] records: 16,384 records, about
/// 7 MB. While spans flow, the batch processor lets it grow by its queue's
/// capacity (see [`recycle_home`]).
const POOLED_RECORDS: usize = 64 * POOLED_CAPACITY;
/// Larger buffers are freed rather than kept.
const POOLED_CAPACITY: usize = 256;

/// An empty buffer, recycled when one is available (from this thread's
/// shard, else from another), else a new one with room for `capacity`
/// records (the last batch's size: growing from empty would reallocate and
/// copy several times).
fn recycled_buffer(capacity: usize) -> Vec<SpanData> {
    match BUFFERS.take(Home::current()) {
        Some(buffer) => buffer.into_empty(),
        None => Vec::with_capacity(capacity),
    }
}

/// Gives a batch's buffer back for reuse, once a processor is done with the
/// batch, on the thread that filled it (see [`recycle_home`] for buffers
/// given back elsewhere). Its records are dropped by the thread that takes
/// the buffer next, not here: the export thread then never touches records
/// it did not need to read (their cache lines stay with the threads that
/// write records).
pub(crate) fn recycle(buffer: Batch) {
    let refused = BUFFERS.keep(Home::current(), buffer, POOLED_RECORDS, false).err();
    drop(refused.map(Batch::into_empty));
}

/// [`recycle`] for a buffer filled on another thread, to the shard of that
/// thread (its `home`): the export thread gives back what it exported. It
/// waits for the lock (held only for a push): threads only ever try it.
///
/// The pool may grow past its idle size by `in_flight` records (the
/// caller's queue capacity): when the export thread falls behind (on a busy
/// machine it may wait milliseconds for a core), threads take new buffers
/// for the spans queued meanwhile. Freeing those when they come back would
/// only make the threads allocate (and page-fault) them again at the next
/// lag. [`trim_pool`] gives the surplus back once the traffic is over.
pub(crate) fn recycle_home(home: Home, buffer: Batch, in_flight: usize) {
    let refused = BUFFERS.keep(home, buffer, POOLED_RECORDS + in_flight, true).err();
    // Freed outside the lock.
    drop(refused.map(Batch::into_empty));
}

/// Frees pooled buffers beyond the pool's idle size. Called by an export
/// thread with nothing to export.
pub(crate) fn trim_pool() {
    for buffer in BUFFERS.surplus(POOLED_RECORDS) {
        drop(buffer.into_empty());
    }
}

/// Records handed over from a thread's buffer, to the processors and then,
/// emptied, back to the pool.
#[derive(Debug)]
pub(crate) struct Batch {
    pub(crate) records: Vec<SpanData>,
    pub(crate) facts: Facts,
}

/// What the thread that filled a batch knows about its records, which
/// would otherwise take a read of each record. The default knows nothing.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Facts {
    /// No record owns anything (see [`LocalState::dirty`]): the records
    /// then need no drop, and emptying the buffer need not read them (each
    /// record's cache lines, cold by then, about 20 instructions a record).
    pub(crate) clean: bool,
    /// Every record is sampled (see [`LocalState::unsampled`]): processors
    /// need not filter.
    pub(crate) all_sampled: bool,
}

impl Batch {
    /// Records of unknown make: each is looked at when emptied.
    pub(crate) fn unknown(records: Vec<SpanData>) -> Batch {
        Batch {
            records,
            facts: Facts::default(),
        }
    }

    /// The buffer, emptied: its records dropped (only those owning
    /// something, unless the batch is clean).
    fn into_empty(self) -> Vec<SpanData> {
        let mut records = self.records;
        if self.facts.clean {
            debug_assert!(
                records.iter().all(SpanData::owns_nothing),
                "a clean batch owns something"
            );
            // SAFETY: records owning nothing need no drop.
            unsafe { records.set_len(0) };
        } else {
            clear_records(&mut records);
        }
        records
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

/// Boxes an owned span's record: in an emptied box from this thread's pool
/// when there is one (see `SpanState::Recording`).
#[inline]
fn box_record(data: SpanData) -> Box<SpanData> {
    fill_record_box(with_local(|local| local.record_boxes.pop()).flatten(), data)
}

#[inline(always)]
fn fill_record_box(empty: Option<Box<MaybeUninit<SpanData>>>, data: SpanData) -> Box<SpanData> {
    match empty {
        Some(mut empty) => {
            empty.write(data);
            // SAFETY: written just above.
            unsafe { empty.assume_init() }
        }
        None => Box::new(data),
    }
}

/// Hands a batch to the processors, outside any borrow of the local state.
#[inline]
fn hand_over(batch: Option<Batch>) {
    // Most calls have nothing to hand over: only the check is inlined.
    if let Some(batch) = batch {
        hand_over_batch(batch);
    }
}

#[inline(never)]
fn hand_over_batch(batch: Batch) {
    match provider::get() {
        Some(provider) => provider.on_end_batch(batch),
        None => recycle(batch),
    }
}

thread_local! {
    /// The facts of the batch a processor's `on_end_batch` is being given
    /// on this thread (see [`with_batch_facts`]).
    static HANDED_OVER: Cell<Facts> = const {
        Cell::new(Facts {
            clean: false,
            all_sampled: false,
        })
    };
}

/// Runs `hand_to` (a processor's `on_end_batch` with a batch's records),
/// telling tracer's own processors the batch's `facts`: the
/// `SpanProcessor` trait passes only the records. Restored afterwards, also
/// on unwinding, so that a batch handed over inside `hand_to` (a processor
/// that makes spans) does not change what an outer one reads.
pub(crate) fn with_batch_facts<R>(facts: Facts, hand_to: impl FnOnce() -> R) -> R {
    struct Restore(Facts);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = HANDED_OVER.try_with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(HANDED_OVER.try_with(|c| c.replace(facts)).unwrap_or_default());
    hand_to()
}

/// The batch being handed over on this thread as tracer's processors
/// receive it: `records` with their facts. A processor must ask before it
/// runs anything else. The facts are read once: a later call, also one
/// that code run by the processor makes (an exporter handing a batch of its
/// own to a processor), knows nothing of its records. Called from anywhere
/// else, nothing is known of `records` either.
pub(crate) fn received_batch(records: Vec<SpanData>) -> Batch {
    let facts = HANDED_OVER
        .try_with(|c| c.replace(Facts::default()))
        .unwrap_or_default();
    Batch { records, facts }
}

/// The hand-over rule: a thread hands its records over when its outermost
/// span ends, or once it holds [`LOCAL_BATCH_LIMIT`] of them.
#[inline(always)]
fn flush_due(frames: usize, records: usize) -> bool {
    records != 0 && flush_due_holding_records(frames, records)
}

/// [`flush_due`] for a caller that knows the buffer holds a record (it
/// just closed one): on the span-end path the emptiness check cost 5
/// instructions per span (nested100: 282 → 287).
#[inline(always)]
fn flush_due_holding_records(frames: usize, records: usize) -> bool {
    frames == 0 || records >= LOCAL_BATCH_LIMIT
}

fn flush_if_due(local: &mut LocalState) -> Option<Batch> {
    if local.should_flush() {
        Some(local.take_finished())
    } else {
        None
    }
}

/// Decides whether a span is recorded and, if so, makes its (boxed) record,
/// writing the outcome into `*out` (which is `Done`).
#[inline(never)]
pub(crate) fn start_into(mut spec: StartSpec, out: &mut SpanState) {
    match provider::active() {
        // Lent, not moved: the ~140-byte spec is not copied into each call.
        Some(provider) => start_with(provider, &mut spec, out),
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
/// Starts a span from `spec`, taking from it what the record keeps; the
/// caller drops the rest.
fn start_with(provider: &'static TracerProvider, spec: &mut StartSpec, out: &mut SpanState) {
    if matches!(spec.parent, Parent::Root) {
        // No parent to look for: only the ids.
        return match with_local(|local| (local.ids.trace_id(), local.ids.span_id())) {
            Some((trace_id, span_id)) => start_sampled(provider, spec, None, trace_id, span_id, out),
            None => *out = SpanState::NonRecording(None),
        };
    }
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
    match &parent {
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
            let name = std::mem::take(&mut spec.name);
            *out = SpanState::Recording(box_record(SpanData::new(name, spec.kind, context, Some(p), start)));
        }
        _ => start_sampled(provider, spec, parent, trace_id, span_id, out),
    }
}

/// The rest of `start_with`: roots, remote parents, samplers, attributes
/// for the sampler, `on_start` processors. Writes into `*out`, as
/// `start_into` does.
#[inline(never)]
fn start_sampled(
    provider: &'static TracerProvider,
    spec: &mut StartSpec,
    parent: Option<SpanContext>,
    trace_id: TraceId,
    span_id: SpanId,
    out: &mut SpanState,
) {
    let local_parent = parent.as_ref().filter(|p| !p.is_remote());
    let mut result = match local_parent {
        Some(_) if provider.inherits_local_sampled() => SamplingResult::from_bool(true),
        // The sampler is user code: it runs outside any borrow.
        _ => provider.sampler().should_sample(&SamplingParams {
            trace_id,
            parent: parent.as_ref(),
            name: &spec.name,
            kind: spec.kind,
            attributes: &spec.attributes,
            links: &spec.links,
        }),
    };
    let context = decided_context(trace_id, span_id, parent.as_ref(), &mut result);
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
    let Some(provider) = provider::active() else {
        return *out = SpanState::NonRecording(None);
    };
    let Some((trace_id, span_id)) = with_local(|local| (local.ids.trace_id(), local.ids.span_id())) else {
        return *out = SpanState::NonRecording(None);
    };
    let mut result = provider.sampler().should_sample(&SamplingParams {
        trace_id,
        parent: None,
        name: &name,
        kind,
        attributes: &[],
        links: &[],
    });
    let context = decided_context(trace_id, span_id, None, &mut result);
    if result.decision == SamplingDecision::Drop {
        return sampled_out(context, out);
    }
    let mut spec = StartSpec::current(name, kind);
    spec.parent = Parent::Root;
    record_started(provider, &mut spec, context, None, result.attributes, out);
}

/// The new span's context: the parent's flags with the sampler's "sampled",
/// and the sampler's trace state if it gave one (taken), else the parent's.
#[inline(always)]
fn decided_context(
    trace_id: TraceId,
    span_id: SpanId,
    parent: Option<&SpanContext>,
    result: &mut SamplingResult,
) -> SpanContext {
    let base_flags = parent.map_or(TraceFlags::NONE, SpanContext::trace_flags);
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
    unsafe { std::ptr::write(out, SpanState::NonRecording(Some(context))) };
}

/// A span the sampler kept: its record takes the spec's name, attributes
/// and links, and the sampler's attributes (a sampled-out span moves
/// nothing, and its caller drops the spec whole).
#[inline(never)]
fn record_started(
    provider: &'static TracerProvider,
    spec: &mut StartSpec,
    context: SpanContext,
    parent: Option<&SpanContext>,
    sampler_attributes: Vec<KeyValue>,
    out: &mut SpanState,
) {
    let start = spec.start_time.unwrap_or_else(clock::now_unix_nanos);
    let mut data = box_record(SpanData::new(
        std::mem::take(&mut spec.name),
        spec.kind,
        context,
        parent,
        start,
    ));
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
    *out = SpanState::Recording(data);
}

/// The hot path for `#[trace]`: start a span and make it current. With no
/// provider installed this is a load and a branch, inlined into the caller.
#[inline(always)]
pub(crate) fn enter_new(name: &'static str, kind: SpanKind, root: bool) -> EnteredSpan {
    if !root {
        // A child of an unsampled span: nothing is made, and `#[trace]`
        // code cannot tell.
        if unsampled_top().is_some() {
            return EnteredSpan::inert();
        }
    }
    match provider::active() {
        Some(provider) => enter_active(provider, name, kind, root, false),
        None => EnteredSpan::inert(),
    }
}

/// `SpanBuilder::entered`: start a span and make it current.
#[inline]
pub(crate) fn enter_spec(spec: StartSpec) -> EnteredSpan {
    let Some(provider) = provider::active() else {
        return EnteredSpan::inert();
    };
    let plain = matches!(spec.parent, Parent::Current)
        && spec.attributes.is_empty()
        && spec.links.is_empty()
        && spec.start_time.is_none();
    if plain {
        if let Some(parent) = unsampled_top() {
            return EnteredSpan::inherited(parent);
        }
        // An unsampled child's handle shows its parent's context, as
        // `Span::entered` makes it.
        return enter_active(provider, spec.name, spec.kind, false, true);
    }
    enter_started(provider, spec)
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
fn enter_active<N: Into<Cow<'static, str>>>(
    provider: &'static TracerProvider,
    name: N,
    kind: SpanKind,
    root: bool,
    keep_unsampled: bool,
) -> EnteredSpan {
    if !root && provider.fast_children() {
        if let Some(mut local) = local_mut() {
            match start_child(&mut local, name, kind) {
                Ok(entered) => return entered,
                Err((Some(parent), _)) if keep_unsampled => return EnteredSpan::inherited(parent),
                Err((Some(_), _)) => return EnteredSpan::inert(),
                Err((None, name)) => {
                    drop(local);
                    return enter_started(provider, StartSpec::current(name.into(), kind));
                }
            }
        }
    }
    if root {
        return enter_root(name.into(), kind);
    }
    enter_started(provider, StartSpec::current(name.into(), kind))
}

/// Starts a root span and makes it current. Out of line so that it stays
/// out of [`enter_active`]'s frame: when the compiler inlined it, every
/// child span's prologue and epilogue saved more (nested100: 282 → 289
/// instructions per span).
#[inline(never)]
fn enter_root(name: Cow<'static, str>, kind: SpanKind) -> EnteredSpan {
    let mut state = SpanState::Done;
    start_root_into(name, kind, &mut state);
    enter_or_finish(state)
}

impl StartSpec {
    fn current(name: Cow<'static, str>, kind: SpanKind) -> StartSpec {
        StartSpec {
            name,
            kind,
            parent: Parent::Current,
            attributes: Vec::new(),
            links: Vec::new(),
            start_time: None,
        }
    }
}

/// Starts any span through `start_with` and makes it current.
#[inline(never)]
fn enter_started(provider: &'static TracerProvider, mut spec: StartSpec) -> EnteredSpan {
    let mut state = SpanState::Done;
    start_with(provider, &mut spec, &mut state);
    enter_or_finish(state)
}

/// Makes a just-started span current.
#[inline(always)]
fn enter_or_finish(mut state: SpanState) -> EnteredSpan {
    let entered = enter_state(&mut state);
    // Still `Recording` only if the thread's state was unavailable: then it
    // finishes as an owned span rather than being lost.
    if matches!(state, SpanState::Recording(_)) {
        drop(crate::Span::from_state(state));
    }
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
fn start_child<N: Into<Cow<'static, str>>>(
    local: &mut LocalState,
    name: N,
    kind: SpanKind,
) -> Result<EnteredSpan, (Option<SpanId>, N)> {
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
    Ok(EnteredSpan::new(span_id, depth))
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
#[inline(never)]
pub(crate) fn enter_state(state: &mut SpanState) -> EnteredSpan {
    match state {
        SpanState::Recording(_) => {
            // Unavailable state: the closure does not run and `*state` is
            // left as it was.
            with_local(|local| {
                let SpanState::Recording(record) = std::mem::replace(state, SpanState::Done) else {
                    unreachable!("matched above");
                };
                let span_id = record.context.span_id();
                let index = local.take_boxed(record);
                local.open_records += 1;
                let depth = local.stack.frames.len();
                local.stack.push_local(span_id, index);
                EnteredSpan::new(span_id, depth)
            })
            .unwrap_or_else(EnteredSpan::inert)
        }
        SpanState::NonRecording(Some(context)) => {
            let span_id = context.span_id();
            let Some(mut local) = local_mut() else {
                return EnteredSpan::inert();
            };
            // Moved out in place: a `mem::replace` of the whole state would
            // copy it and match it again.
            // SAFETY: the context is read once, and `*state` is overwritten
            // without dropping it.
            let context = unsafe { std::ptr::read(context) };
            unsafe { std::ptr::write(state, SpanState::Done) };
            let depth = local.stack.frames.len();
            local.stack.push_scoped(context, std::ptr::null_mut());
            EnteredSpan::new(span_id, depth)
        }
        SpanState::NonRecording(None) | SpanState::Done => EnteredSpan::inert(),
    }
}

/// Takes a finished owned span's record into this thread's buffer. `*state`
/// must be `Recording`; it becomes `Done`.
pub(crate) fn submit_finished(state: &mut SpanState) {
    if !matches!(state, SpanState::Recording(_)) {
        return;
    }
    let batch = with_local(|local| {
        if let SpanState::Recording(record) = std::mem::replace(state, SpanState::Done) {
            local.take_boxed(record);
        }
        flush_if_due(local)
    });
    match batch {
        Some(batch) => hand_over(batch),
        // No thread-local state (thread exit, or re-entrant): the closure did
        // not run; the record is handed over alone rather than lost.
        None => {
            if let SpanState::Recording(record) = std::mem::replace(state, SpanState::Done) {
                hand_over(Some(Batch::unknown(vec![*record])));
            }
        }
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
        let pushed = with_local(|local| local.stack.push_scoped(context, state));
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
                let Stack { frames, scoped } = &local.stack;
                let position = frames
                    .iter()
                    .rposition(|f| f.kind == FrameKind::Borrowed && scoped[f.slot as usize].state == state);
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
/// It dereferences to [`SpanRef`] for the span methods. It is not `Send`;
/// even so, do not hold it across an `.await` (see
/// [`Span::entered`](crate::Span::entered)).
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
    /// Where this guard's frame was pushed: ending it usually finds the
    /// frame there (checked against the span id) without a search.
    depth: u32,
    /// Whether this guard pushed the frame it names (and pops it on drop).
    /// An unsampled child pushes nothing: it names its parent's frame,
    /// whose context it shares.
    owns_entry: bool,
    panicking_at_start: bool,
}

impl EnteredSpan {
    #[inline(always)]
    fn new(span_id: SpanId, depth: usize) -> EnteredSpan {
        EnteredSpan {
            span: SpanRef::new(Some(span_id)),
            depth: depth as u32,
            owns_entry: true,
            panicking_at_start: std::thread::panicking(),
        }
    }

    #[inline(always)]
    fn inert() -> EnteredSpan {
        EnteredSpan {
            span: SpanRef::new(None),
            depth: 0,
            owns_entry: false,
            panicking_at_start: false,
        }
    }

    /// A child of the unsampled local span `parent`: nothing is made or
    /// pushed, and the handle shows the parent's context, as an unsampled
    /// child's context is its parent's.
    #[inline(always)]
    fn inherited(parent: SpanId) -> EnteredSpan {
        EnteredSpan {
            span: SpanRef::new(Some(parent)),
            depth: 0,
            owns_entry: false,
            panicking_at_start: false,
        }
    }

    /// Stops the span being current and returns it as an owned [`Span`](crate::Span)
    /// (still open), for example to move it to another thread.
    pub fn exit(mut self) -> crate::Span {
        let owned = std::mem::replace(&mut self.owns_entry, false);
        let Some(span_id) = self.span.id.take() else {
            return crate::Span::from_state(SpanState::NonRecording(None));
        };
        if !owned {
            // Nothing of its own was current: it leaves with its context.
            let context = SpanRef::new(Some(span_id)).context();
            return crate::Span::from_state(SpanState::NonRecording(context));
        }
        let state = with_local(|local| {
            let position = local.stack.position(span_id)?;
            match local.stack.remove(position) {
                (frame, _) if frame.kind == FrameKind::Local => {
                    let index = frame.slot as usize;
                    let last = local.records.len() - 1;
                    let data = local.records.swap_remove(index);
                    local.open_records -= 1;
                    local.stack.move_record(last, index);
                    Some(SpanState::Recording(fill_record_box(local.record_boxes.pop(), data)))
                }
                (_, Some(Scoped { context, state })) if state.is_null() => Some(SpanState::NonRecording(Some(context))),
                _ => None,
            }
        })
        .flatten()
        .unwrap_or(SpanState::NonRecording(None));
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
        if self.owns_entry {
            self.end();
        }
    }
}

impl EnteredSpan {
    /// Ends the span. The common case, the guard's own local frame still on
    /// top where it was pushed, takes the straight path: pop, stamp the end
    /// time, and hand the buffer over if this was the outermost span.
    #[inline(never)]
    fn end(&self) {
        let Some(span_id) = self.span.id else { return };
        let panicked = !self.panicking_at_start && std::thread::panicking();
        let Some(mut local) = local_mut() else { return };
        let depth = self.depth as usize;
        let frames = &mut local.stack.frames;
        let top = match frames.last() {
            Some(frame) if frames.len() == depth + 1 && frame.span_id == span_id && frame.kind == FrameKind::Local => {
                frame.slot as usize
            }
            Some(frame)
                if frames.len() == depth + 1 && frame.span_id == span_id && frame.kind == FrameKind::Context =>
            {
                // A sampled-out span (a root, typically) on top.
                let batch = local.pop_context_top();
                drop(local);
                return hand_over(batch);
            }
            _ => {
                let batch = local.end_anywhere(span_id, panicked);
                drop(local);
                return hand_over(batch);
            }
        };
        // `Frame` is `Copy`: popping is shortening.
        frames.truncate(depth);
        // The flag is 0 while a local frame is on top: it changes only if
        // the frame below is an unsampled one.
        if let Some(below) = frames.last().filter(|f| f.unsampled) {
            set_unsampled_top(below.span_id.to_u64());
        }
        local.close_record(top, panicked);
        // `should_flush`, knowing the buffer holds the record just closed
        // and the stack `depth` frames.
        if flush_due_holding_records(depth, local.records.len()) {
            let batch = local.take_finished();
            drop(local);
            hand_over_batch(batch);
        }
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
        self.id
            .is_some_and(|span_id| with_local(|local| local.has_record(span_id)).unwrap_or(false))
    }

    /// The span's context, or `None` when there is no span.
    pub fn context(&self) -> Option<SpanContext> {
        let span_id = self.id?;
        with_local(|local| {
            let position = local.stack.position(span_id)?;
            Some(local.frame_context(&local.stack.frames[position]).clone())
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
// The hint keeps the unsampled check a load and a branch in the caller:
// without it, a slightly larger body got it compiled out of line, costing
// an unsampled child 4 more instructions (a call and a frame).
#[inline]
pub fn in_span<R>(name: impl Into<Cow<'static, str>>, f: impl FnOnce(&SpanRef) -> R) -> R {
    // `SpanBuilder::new(name).entered()`, without building the builder.
    // The checks for "unsampled parent" and "no provider" inline here; the
    // name is converted only past them.
    //
    // A child of an unsampled span gets a bare handle on its parent, not a
    // guard: nothing is pushed, so there is nothing to check or pop after.
    if let Some(parent) = unsampled_top() {
        return f(&SpanRef::new(Some(parent)));
    }
    let span = match provider::active() {
        Some(provider) => enter_active(provider, name, SpanKind::Internal, false, true),
        None => EnteredSpan::inert(),
    };
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
    let pushed = with_local(|local| local.stack.push_scoped(context, std::ptr::null_mut()));
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
                    .frames
                    .iter()
                    .rposition(|f| f.kind == FrameKind::Context && f.span_id == span_id);
                if let Some(position) = position {
                    local.stack.remove(position);
                }
                flush_if_due(local)
            })
            .flatten(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An emptied buffer with room for `capacity` records.
    fn empty(capacity: usize) -> Batch {
        Batch::unknown(Vec::with_capacity(capacity))
    }

    /// The capacities of the buffers in `home`'s shard.
    fn capacities(shards: &Shards, home: Home) -> Vec<usize> {
        let buffers = shards.shard(home).lock().unwrap();
        buffers.iter().map(|b| b.records.capacity()).collect()
    }

    #[test]
    fn the_pool_keeps_buffers_within_one_record_limit_over_all_shards() {
        let shards = Shards::new();
        assert!(shards.keep(Home(0), empty(100), 250, true).is_ok());
        assert!(shards.keep(Home(5), empty(100), 250, true).is_ok());
        // A third would pass the limit, in any shard; so would an unused or
        // outsized one.
        assert_eq!(
            shards
                .keep(Home(3), empty(100), 250, true)
                .unwrap_err()
                .records
                .capacity(),
            100
        );
        assert!(shards.keep(Home(3), empty(0), 250, true).is_err());
        assert!(shards
            .keep(Home(3), empty(POOLED_CAPACITY + 1), usize::MAX, true)
            .is_err());
        assert_eq!(shards.records.load(Ordering::Relaxed), 200);
        assert_eq!(shards.take(Home(5)).map(|b| b.records.capacity()), Some(100));
        assert_eq!(shards.records.load(Ordering::Relaxed), 100);
        // A thread's shard that is in use is not waited for.
        let busy = shards.shard(Home(4)).lock().unwrap();
        assert!(shards.keep(Home(4), empty(50), 250, false).is_err());
        drop(busy);
        assert_eq!(shards.records.load(Ordering::Relaxed), 100);
    }

    #[test]
    fn a_thread_takes_buffers_from_its_own_shard_first_then_from_others() {
        let shards = Shards::new();
        let keep = |home: Home, capacity: usize| shards.keep(home, empty(capacity), usize::MAX, true).unwrap();
        keep(Home(2), 20);
        keep(Home(5), 50);
        keep(Home(5), 51);
        let capacity = |buffer: Option<Batch>| buffer.map(|b| b.records.capacity());
        assert_eq!(capacity(shards.take(Home(5))), Some(51));
        assert_eq!(capacity(shards.take(Home(5))), Some(50));
        // Its own shard is empty: the next shard that has one gives it.
        assert_eq!(capacity(shards.take(Home(5))), Some(20));
        assert_eq!(capacity(shards.take(Home(5))), None);
        // A shard being used by another thread is skipped, not waited for.
        keep(Home(1), 10);
        keep(Home(3), 30);
        let busy = shards.shard(Home(1)).lock().unwrap();
        assert_eq!(capacity(shards.take(Home(1))), Some(30));
        drop(busy);
        assert_eq!(capacity(shards.take(Home(1))), Some(10));
        assert_eq!(shards.records.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn trimming_leaves_the_whole_pool_at_the_limit() {
        let shards = Shards::new();
        for home in [Home(0), Home(0), Home(0), Home(7), Home(7)] {
            shards.keep(home, empty(100), usize::MAX, true).unwrap();
        }
        let surplus = shards.surplus(250);
        assert_eq!(surplus.len(), 3);
        assert_eq!(shards.records.load(Ordering::Relaxed), 200);
        assert_eq!(
            capacities(&shards, Home(0)).len() + capacities(&shards, Home(7)).len(),
            2
        );
        assert!(shards.surplus(250).is_empty());
    }

    #[test]
    fn each_thread_keeps_one_home_and_threads_are_spread_over_the_shards() {
        let mine = Home::current();
        assert_eq!(Home::current(), mine);
        let homes: Vec<Home> = (0..SHARDS)
            .map(|_| std::thread::spawn(Home::current).join().unwrap())
            .collect();
        // Other tests' threads take homes meanwhile, so the round is not
        // contiguous, but consecutive threads never all share one shard.
        assert!(homes.iter().any(|h| *h != homes[0]));
        assert!(homes.iter().all(|h| (h.0 as usize) < SHARDS));
    }
}
