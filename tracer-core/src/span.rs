//! Spans: one timed operation inside a trace.
//!
//! A span has a name, a [`SpanKind`], start and end times, typed attributes
//! ("tags"), timestamped [`Event`]s, [`Link`]s to other spans, a [`Status`],
//! and a parent. While it is open you change it through a handle:
//!
//! - [`Span`]: an owned span. It can move between threads and into futures;
//!   it is finished by [`Span::finish`] or when dropped.
//! - [`EnteredSpan`](crate::EnteredSpan): a span that is *current* on this
//!   thread until the guard drops. New spans become its children.
//! - [`SpanRef`](crate::SpanRef): a handle on the current span, from
//!   [`current_span()`](crate::current_span), usable from anywhere.
//!
//! All three offer the same methods. When a span is not recorded (no
//! provider installed, or not sampled) every method does nothing.
//!
//! A finished span becomes a [`SpanData`], the record that processors and
//! exporters receive.

use std::borrow::Cow;
use std::cell::{RefCell, UnsafeCell};
use std::fmt;
use std::marker::PhantomData;
use std::time::{Duration, SystemTime};

use smallvec::SmallVec;

use crate::clock;
use crate::context::SpanContext;
use crate::current::{self, EnteredSpan, Parent, StartSpec};
use crate::id::{SpanId, TraceId};
use crate::provider;
use crate::value::{Key, KeyValue, Value};

/// What role a span plays, as OpenTelemetry defines it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum SpanKind {
    /// Work inside the application (the default).
    #[default]
    Internal,
    /// The handling of a request from a remote client.
    Server,
    /// A request to a remote service.
    Client,
    /// The sending of a message to a broker or queue.
    Producer,
    /// The processing of a message from a broker or queue.
    Consumer,
}

impl SpanKind {
    /// The lowercase name: `internal`, `server`, `client`, `producer`,
    /// `consumer`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SpanKind::Internal => "internal",
            SpanKind::Server => "server",
            SpanKind::Client => "client",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
        }
    }
}

/// The outcome of a span.
///
/// `Ok` is final: once set, later status changes are ignored, as the
/// OpenTelemetry specification asks. Setting `Unset` is ignored too.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Status {
    /// Nothing was said (the default).
    #[default]
    Unset,
    /// The operation succeeded.
    Ok,
    /// The operation failed.
    Error {
        /// What went wrong.
        message: Cow<'static, str>,
    },
}

impl Status {
    /// An error status with a message.
    ///
    /// ```
    /// use tracer_core::Status;
    ///
    /// let status = Status::error("Database connection failed");
    /// assert!(status.is_error());
    /// ```
    pub fn error(message: impl Into<Cow<'static, str>>) -> Status {
        Status::Error {
            message: message.into(),
        }
    }

    /// Whether this is an error status.
    pub fn is_error(&self) -> bool {
        matches!(self, Status::Error { .. })
    }
}

/// A timestamped annotation on a span.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// What happened.
    pub name: Cow<'static, str>,
    /// When, in unix nanoseconds.
    pub timestamp_unix_nano: u64,
    /// Details.
    pub attributes: Vec<KeyValue>,
    /// Attributes dropped by the per-event limit.
    pub dropped_attributes_count: u32,
}

impl Event {
    /// The attribute value for `key`.
    pub fn attribute(&self, key: &str) -> Option<&Value> {
        find(&self.attributes, key)
    }
}

/// A reference from a span to another span that is not its parent.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    /// The linked span.
    pub context: SpanContext,
    /// Why it is linked.
    pub attributes: Vec<KeyValue>,
    /// Attributes dropped by the per-link limit.
    pub dropped_attributes_count: u32,
}

impl Link {
    /// A link to `context` with attributes.
    pub fn new(context: SpanContext, attributes: impl IntoIterator<Item = KeyValue>) -> Link {
        Link {
            context,
            attributes: attributes.into_iter().collect(),
            dropped_attributes_count: 0,
        }
    }
}

fn find<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| &kv.value)
}

/// The attributes of a span, stored inline for up to four.
#[derive(Clone, Default, PartialEq)]
pub struct Attributes(SmallVec<[KeyValue; 4]>);

impl Attributes {
    /// The value for `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        find(&self.0, key)
    }
}

impl std::ops::Deref for Attributes {
    type Target = [KeyValue];
    fn deref(&self) -> &[KeyValue] {
        &self.0
    }
}

impl fmt::Debug for Attributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

/// How much one span may hold. What is over a limit is dropped and counted
/// in the `dropped_*` fields, which exporters pass on.
///
/// The defaults are OpenTelemetry's: 128 of each, and no limit on value
/// length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpanLimits {
    /// Attributes per span.
    pub max_attributes: u32,
    /// Events per span.
    pub max_events: u32,
    /// Links per span.
    pub max_links: u32,
    /// Attributes per event.
    pub max_attributes_per_event: u32,
    /// Attributes per link.
    pub max_attributes_per_link: u32,
    /// Longest string attribute value in bytes; longer values are cut on a
    /// character boundary. `None` means no limit.
    pub max_attribute_value_length: Option<usize>,
}

impl Default for SpanLimits {
    fn default() -> SpanLimits {
        SpanLimits {
            max_attributes: 128,
            max_events: 128,
            max_links: 128,
            max_attributes_per_event: 128,
            max_attributes_per_link: 128,
            max_attribute_value_length: None,
        }
    }
}

/// Keeps what fits in `max` attributes and returns how many were dropped.
fn limit_attributes(attributes: &mut Vec<KeyValue>, limits: &SpanLimits, max: u32) -> u32 {
    let max = max as usize;
    let dropped = attributes.len().saturating_sub(max);
    attributes.truncate(max);
    if let Some(len) = limits.max_attribute_value_length {
        for kv in attributes.iter_mut() {
            kv.value.truncate(len);
        }
    }
    dropped as u32
}

thread_local! {
    /// Emptied event lists of dropped records, for the first event of later
    /// spans on this thread: a span with events then allocates nothing.
    static EVENT_LISTS: RefCell<Vec<Vec<Event>>> = const { RefCell::new(Vec::new()) };
}

/// Event lists kept per thread, at most.
const POOLED_EVENT_LISTS: usize = 256;
/// Larger event lists are freed rather than kept.
const POOLED_EVENT_CAPACITY: usize = 16;

/// An empty event list, recycled when this thread has one.
fn recycled_event_list() -> Vec<Event> {
    EVENT_LISTS
        .try_with(|pool| pool.try_borrow_mut().ok()?.pop())
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Keeps a dropped record's event list (emptied) for reuse on this thread.
pub(crate) fn recycle_event_list(mut events: Vec<Event>) {
    events.clear();
    let capacity = events.capacity();
    if capacity == 0 || capacity > POOLED_EVENT_CAPACITY {
        return;
    }
    let _ = EVENT_LISTS.try_with(|pool| {
        if let Ok(mut pool) = pool.try_borrow_mut() {
            if pool.len() < POOLED_EVENT_LISTS {
                pool.push(events);
            }
        }
    });
}

/// A finished (or, inside the runtime, still open) span: what processors
/// and exporters receive.
// `repr(C)` keeps the fields every span writes (and every drop reads) in the
// first cache lines, and the inline attribute storage, untouched while
// empty, last: a new record then dirties 3 or 4 lines of its 7, not 5.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
#[repr(C)]
pub struct SpanData {
    /// Trace id, span id, flags and trace state.
    pub context: SpanContext,
    /// The parent's span id; `None` for a root span.
    pub parent_span_id: Option<SpanId>,
    /// Start, in unix nanoseconds.
    pub start_time_unix_nano: u64,
    /// End, in unix nanoseconds (0 while open).
    pub end_time_unix_nano: u64,
    /// The operation name.
    pub name: Cow<'static, str>,
    /// The outcome.
    pub status: Status,
    /// Events, in the order added.
    pub events: Vec<Event>,
    /// Links to other spans.
    pub links: Vec<Link>,
    /// Attributes dropped by [`SpanLimits::max_attributes`].
    pub dropped_attributes_count: u32,
    /// Events dropped by [`SpanLimits::max_events`].
    pub dropped_events_count: u32,
    /// Links dropped by [`SpanLimits::max_links`].
    pub dropped_links_count: u32,
    /// The span's role.
    pub kind: SpanKind,
    /// Whether the parent came from another process.
    pub parent_is_remote: bool,
    /// Attributes, in the order first set.
    pub attributes: Attributes,
}

impl SpanData {
    /// Writes a new open record into `slot`, field by field: building it
    /// elsewhere and moving it would copy ~400 bytes (the inline attribute
    /// storage included, though it is empty).
    ///
    /// # Safety
    /// `slot` must be valid for writes and is overwritten without dropping
    /// what it held.
    #[inline(always)]
    pub(crate) unsafe fn write_new(
        slot: *mut SpanData,
        name: Cow<'static, str>,
        kind: SpanKind,
        context: SpanContext,
        parent_span_id: Option<SpanId>,
        start_time_unix_nano: u64,
    ) {
        use std::ptr::addr_of_mut;
        // SAFETY: the caller's promise; every field is written once.
        unsafe {
            addr_of_mut!((*slot).name).write(name);
            addr_of_mut!((*slot).context).write(context);
            addr_of_mut!((*slot).parent_span_id).write(parent_span_id);
            addr_of_mut!((*slot).parent_is_remote).write(false);
            addr_of_mut!((*slot).kind).write(kind);
            addr_of_mut!((*slot).start_time_unix_nano).write(start_time_unix_nano);
            addr_of_mut!((*slot).end_time_unix_nano).write(0);
            addr_of_mut!((*slot).attributes).write(Attributes::default());
            addr_of_mut!((*slot).events).write(Vec::new());
            addr_of_mut!((*slot).links).write(Vec::new());
            addr_of_mut!((*slot).status).write(Status::Unset);
            addr_of_mut!((*slot).dropped_attributes_count).write(0);
            addr_of_mut!((*slot).dropped_events_count).write(0);
            addr_of_mut!((*slot).dropped_links_count).write(0);
        }
    }

    #[inline]
    pub(crate) fn new(
        name: Cow<'static, str>,
        kind: SpanKind,
        context: SpanContext,
        parent: Option<&SpanContext>,
        start_time_unix_nano: u64,
    ) -> SpanData {
        SpanData {
            name,
            context,
            parent_span_id: parent.map(SpanContext::span_id),
            parent_is_remote: parent.is_some_and(SpanContext::is_remote),
            kind,
            start_time_unix_nano,
            end_time_unix_nano: 0,
            attributes: Attributes::default(),
            events: Vec::new(),
            links: Vec::new(),
            status: Status::Unset,
            dropped_attributes_count: 0,
            dropped_events_count: 0,
            dropped_links_count: 0,
        }
    }

    /// Whether dropping the record would free nothing: the common case of a
    /// static name with no attributes, events, links, trace state or status
    /// message. Buffers skip the drop of such records.
    ///
    /// Every field is read and the answers combined without short-circuit:
    /// it runs once per record in every recycled buffer, where one
    /// predictable branch beats seven.
    #[inline]
    pub(crate) fn owns_nothing(&self) -> bool {
        let tags_own = matches!(self.name, Cow::Owned(_)) | matches!(self.status, Status::Error { .. });
        let heap = self.events.capacity()
            | self.links.capacity()
            | self.attributes.0.len()
            | usize::from(self.attributes.0.spilled())
            | usize::from(!self.context.trace_state().is_empty());
        !tags_own & (heap == 0)
    }

    /// The trace id.
    pub fn trace_id(&self) -> TraceId {
        self.context.trace_id()
    }

    /// The span id.
    pub fn span_id(&self) -> SpanId {
        self.context.span_id()
    }

    /// How long the span lasted (zero while open).
    pub fn duration(&self) -> Duration {
        Duration::from_nanos(self.end_time_unix_nano.saturating_sub(self.start_time_unix_nano))
    }

    /// The attribute value for `key`.
    pub fn attribute(&self, key: &str) -> Option<&Value> {
        self.attributes.get(key)
    }

    /// Sets an attribute within the installed span limits. For processors'
    /// [`on_start`](crate::processor::SpanProcessor::on_start).
    pub fn set_attribute(&mut self, key: impl Into<Key>, value: impl Into<Value>) {
        self.put_attribute(KeyValue::new(key, value), &provider::limits());
    }

    /// The first event called `name`.
    pub fn event(&self, name: &str) -> Option<&Event> {
        self.events.iter().find(|e| e.name == name)
    }

    pub(crate) fn put_attribute(&mut self, mut kv: KeyValue, limits: &SpanLimits) {
        if let Some(len) = limits.max_attribute_value_length {
            kv.value.truncate(len);
        }
        if let Some(slot) = self.attributes.0.iter_mut().find(|slot| slot.key == kv.key) {
            slot.value = kv.value;
        } else if self.attributes.0.len() < limits.max_attributes as usize {
            self.attributes.0.push(kv);
        } else {
            self.dropped_attributes_count += 1;
        }
    }

    pub(crate) fn add_event(&mut self, mut event: Event, limits: &SpanLimits) {
        if self.events.len() >= limits.max_events as usize {
            self.dropped_events_count += 1;
            return;
        }
        event.dropped_attributes_count +=
            limit_attributes(&mut event.attributes, limits, limits.max_attributes_per_event);
        if self.events.capacity() == 0 {
            self.events = recycled_event_list();
        }
        self.events.push(event);
    }

    pub(crate) fn add_link(&mut self, mut link: Link, limits: &SpanLimits) {
        if self.links.len() >= limits.max_links as usize {
            self.dropped_links_count += 1;
            return;
        }
        link.dropped_attributes_count += limit_attributes(&mut link.attributes, limits, limits.max_attributes_per_link);
        self.links.push(link);
    }

    pub(crate) fn set_status(&mut self, status: Status) {
        match (&self.status, &status) {
            (Status::Ok, _) | (_, Status::Unset) => {}
            _ => self.status = status,
        }
    }

    /// Error status plus an `exception` event, as OpenTelemetry records
    /// exceptions.
    pub(crate) fn record_exception(&mut self, type_name: Cow<'static, str>, message: String, limits: &SpanLimits) {
        self.set_status(Status::error(message.clone()));
        let event = Event {
            name: Cow::Borrowed("exception"),
            timestamp_unix_nano: clock::now_unix_nanos(),
            attributes: vec![
                KeyValue::new("exception.type", type_name),
                KeyValue::new("exception.message", message),
            ],
            dropped_attributes_count: 0,
        };
        self.add_event(event, limits);
    }

    /// Marks a span whose scope was left by a panic.
    pub(crate) fn record_panic(&mut self) {
        self.record_exception(Cow::Borrowed("panic"), "panicked".to_string(), &provider::limits());
        // The status message names the cause directly.
        self.status = Status::error("panicked");
    }
}

/// The methods shared by every span handle. Each is a no-op when the span
/// is not recording. `$data` is a method returning `Option<R>` after running
/// a closure on the open record.
macro_rules! span_methods {
    () => {
        /// Sets an attribute, replacing any earlier value for the same key.
        ///
        /// ```
        /// # let span = tracer_core::Span::new("doc");
        /// span.set_attribute("user_id", "usr_123");
        /// span.set_attribute("attempt", 2);
        /// ```
        pub fn set_attribute(&self, key: impl Into<$crate::Key>, value: impl Into<$crate::Value>) {
            let kv = $crate::KeyValue::new(key, value);
            let limits = $crate::provider::limits();
            self.with_data(|data| data.put_attribute(kv, &limits));
        }

        /// The seed documents' name for [`set_attribute`](Self::set_attribute).
        pub fn set_tag(&self, key: impl Into<$crate::Key>, value: impl Into<$crate::Value>) {
            self.set_attribute(key, value);
        }

        /// Sets several attributes.
        pub fn set_attributes(&self, attributes: impl IntoIterator<Item = $crate::KeyValue>) {
            if !self.is_recording() {
                return;
            }
            let attributes: ::std::vec::Vec<_> = attributes.into_iter().collect();
            let limits = $crate::provider::limits();
            self.with_data(|data| {
                for kv in attributes {
                    data.put_attribute(kv, &limits);
                }
            });
        }

        /// Adds an event, timestamped now.
        ///
        /// ```
        /// use tracer_core::KeyValue;
        /// # let span = tracer_core::Span::new("doc");
        /// span.add_event("cache_miss", [KeyValue::new("key", "user:123")]);
        /// span.add_event("retrying", []);
        /// ```
        pub fn add_event(
            &self,
            name: impl Into<::std::borrow::Cow<'static, str>>,
            attributes: impl IntoIterator<Item = $crate::KeyValue>,
        ) {
            if self.is_recording() {
                self.add_event_at_nanos(name.into(), $crate::clock::now_unix_nanos(), attributes);
            }
        }

        /// Adds an event with an explicit timestamp.
        pub fn add_event_at(
            &self,
            name: impl Into<::std::borrow::Cow<'static, str>>,
            time: ::std::time::SystemTime,
            attributes: impl IntoIterator<Item = $crate::KeyValue>,
        ) {
            if self.is_recording() {
                let nanos = $crate::clock::system_time_to_unix_nanos(time);
                self.add_event_at_nanos(name.into(), nanos, attributes);
            }
        }

        fn add_event_at_nanos(
            &self,
            name: ::std::borrow::Cow<'static, str>,
            timestamp_unix_nano: u64,
            attributes: impl IntoIterator<Item = $crate::KeyValue>,
        ) {
            let event = $crate::Event {
                name,
                timestamp_unix_nano,
                attributes: attributes.into_iter().collect(),
                dropped_attributes_count: 0,
            };
            let limits = $crate::provider::limits();
            self.with_data(|data| data.add_event(event, &limits));
        }

        /// Links this span to another span's context.
        pub fn add_link(&self, context: $crate::SpanContext, attributes: impl IntoIterator<Item = $crate::KeyValue>) {
            if self.is_recording() {
                let link = $crate::Link::new(context, attributes);
                let limits = $crate::provider::limits();
                self.with_data(|data| data.add_link(link, &limits));
            }
        }

        /// Sets the status. `Ok` is final and `Unset` is ignored.
        ///
        /// ```
        /// use tracer_core::Status;
        /// # let span = tracer_core::Span::new("doc");
        /// span.set_status(Status::error("Database connection failed"));
        /// ```
        pub fn set_status(&self, status: $crate::Status) {
            self.with_data(|data| data.set_status(status));
        }

        /// Sets the status to `Ok`.
        pub fn set_ok(&self) {
            self.set_status($crate::Status::Ok);
        }

        /// Records an error: the status becomes `Error` with the error's
        /// message, and an `exception` event carries `exception.type` and
        /// `exception.message`.
        ///
        /// ```
        /// # let span = tracer_core::Span::new("doc");
        /// let err = std::io::Error::other("disk full");
        /// span.set_error(&err);
        /// ```
        pub fn set_error<E: ::std::error::Error + ?Sized>(&self, error: &E) {
            if self.is_recording() {
                let message = error.to_string();
                let limits = $crate::provider::limits();
                self.with_data(|data| data.record_exception(::std::any::type_name::<E>().into(), message, &limits));
            }
        }

        /// Renames the span.
        pub fn update_name(&self, name: impl Into<::std::borrow::Cow<'static, str>>) {
            let name = name.into();
            self.with_data(|data| data.name = name);
        }

        /// Records an error from its type name and message (used by
        /// `#[trace]`, whose errors need only `Display`).
        #[doc(hidden)]
        pub fn record_exception_parts(&self, type_name: &'static str, message: String) {
            let limits = $crate::provider::limits();
            self.with_data(|data| data.record_exception(type_name.into(), message, &limits));
        }

        /// The trace id, or `None` when no trace is active.
        pub fn trace_id(&self) -> Option<$crate::TraceId> {
            self.context().map(|c| c.trace_id())
        }

        /// The span id, or `None` when no span is active.
        pub fn span_id(&self) -> Option<$crate::SpanId> {
            self.context().map(|c| c.span_id())
        }
    };
}
pub(crate) use span_methods;

/// An owned span.
///
/// It starts as a child of the current span (or a root when there is none),
/// is *not* itself made current, can be moved to other threads and into
/// futures, and is finished by [`finish`](Span::finish) or when dropped.
/// Call [`entered`](Span::entered) to make it current on this thread.
///
/// ```
/// use tracer_core::Span;
///
/// // The seed's manual lifecycle.
/// let span = Span::new("user_login");
/// span.set_tag("user_id", "usr_123");
/// span.set_tag("method", "password");
/// // ... do work ...
/// span.finish();
/// ```
pub struct Span {
    state: UnsafeCell<SpanState>,
    panicking_at_start: bool,
    // `Span` methods take `&self` and mutate through the cell, so it is not
    // `Sync`; it stays `Send`.
    _not_sync: PhantomData<UnsafeCell<()>>,
}

pub(crate) enum SpanState {
    /// Open and recorded. The record is boxed so that a `Span`, and every
    /// future holding one, stays small (48 bytes, not ~430): nested async
    /// functions hold each other's futures, so a chain of them carried, and
    /// moved on every call, the records of all its levels. The boxes come
    /// from a per-thread pool (`LocalState::record_box`), so that a span
    /// still costs no allocation.
    Recording(Box<SpanData>),
    /// Not recorded; keeps a context when there is one, for propagation.
    NonRecording(Option<SpanContext>),
    /// Finished, or moved into the thread's stack by `entered`.
    Done,
}

impl Span {
    /// Starts a span named `name` as a child of the current span.
    #[inline]
    pub fn new(name: impl Into<Cow<'static, str>>) -> Span {
        SpanBuilder::new(name).start()
    }

    /// Starts a span that begins a new trace, whatever is current.
    #[inline]
    pub fn root(name: impl Into<Cow<'static, str>>) -> Span {
        Span::started(|out| current::start_root_into(name.into(), SpanKind::Internal, out))
    }

    /// Starts a span whose parent is `parent`: a local span's context, or a
    /// remote one extracted from request headers.
    pub fn child_of(name: impl Into<Cow<'static, str>>, parent: &SpanContext) -> Span {
        SpanBuilder::new(name).parent(parent.clone()).start()
    }

    /// A builder for a span with a kind, attributes, links, an explicit
    /// start time or an explicit parent.
    pub fn builder(name: impl Into<Cow<'static, str>>) -> SpanBuilder {
        SpanBuilder::new(name)
    }

    /// A span that records nothing.
    pub fn noop() -> Span {
        Span::from_state(SpanState::NonRecording(None))
    }

    /// A span whose state `start` writes (it is given `Done`).
    #[inline(always)]
    fn started(start: impl FnOnce(&mut SpanState)) -> Span {
        let mut span = Span::from_state(SpanState::Done);
        start(span.state.get_mut());
        span.panicking_at_start = matches!(span.state.get_mut(), SpanState::Recording(_)) && std::thread::panicking();
        span
    }

    #[inline]
    pub(crate) fn from_state(state: SpanState) -> Span {
        let panicking_at_start = matches!(state, SpanState::Recording(_)) && std::thread::panicking();
        Span {
            state: UnsafeCell::new(state),
            panicking_at_start,
            _not_sync: PhantomData,
        }
    }

    pub(crate) fn state_ptr(&self) -> *mut SpanState {
        self.state.get()
    }

    /// Runs `f` on the open record. No user code runs while the record is
    /// borrowed, and `Span` is not `Sync`, so the borrow is exclusive.
    fn with_data<R>(&self, f: impl FnOnce(&mut SpanData) -> R) -> Option<R> {
        // SAFETY: see above; the only other path to this state is the
        // thread's span stack while `in_scope` or a future's `poll` runs,
        // and it is used only between our calls, never during one.
        match unsafe { &mut *self.state.get() } {
            SpanState::Recording(data) => Some(f(data)),
            _ => None,
        }
    }

    span_methods!();

    /// Whether the span is recorded (provider installed and sampled).
    pub fn is_recording(&self) -> bool {
        // SAFETY: a read between calls, as in `with_data`.
        matches!(unsafe { &*self.state.get() }, SpanState::Recording(_))
    }

    /// The span's context: trace id, span id, flags and trace state.
    /// `None` when tracing is off.
    pub fn context(&self) -> Option<SpanContext> {
        // SAFETY: a read between calls, as in `with_data`.
        match unsafe { &*self.state.get() } {
            SpanState::Recording(data) => Some(data.context.clone()),
            SpanState::NonRecording(ctx) => ctx.clone(),
            SpanState::Done => None,
        }
    }

    /// Ends the span now. Calling it again does nothing.
    #[inline]
    pub fn finish(&self) {
        self.finish_at_nanos(None);
    }

    /// Ends the span at an explicit time.
    pub fn finish_at(&self, time: SystemTime) {
        self.finish_at_nanos(Some(clock::system_time_to_unix_nanos(time)));
    }

    fn finish_at_nanos(&self, end: Option<u64>) {
        // SAFETY: as in `with_data`; the record leaves the span before any
        // other code runs.
        let state = unsafe { &mut *self.state.get() };
        match state {
            SpanState::Recording(data) => {
                if !self.panicking_at_start && std::thread::panicking() {
                    data.record_panic();
                }
                data.end_time_unix_nano = end.unwrap_or_else(clock::now_unix_nanos);
                // Moves the record into the thread's buffer (one copy) and
                // leaves `Done`.
                current::submit_finished(state);
            }
            SpanState::NonRecording(_) => *state = SpanState::Done,
            // Checked first so that dropping a finished or entered span
            // costs no copy of the state.
            SpanState::Done => {}
        }
    }

    /// Makes the span current on this thread until the returned guard is
    /// dropped, which finishes it. New spans started meanwhile are its
    /// children.
    ///
    /// Do not hold the guard across an `.await`: while the task waits, other
    /// futures polled on the thread would see the span as current. In async
    /// code use [`FutureExt::in_span`](crate::FutureExt::in_span) or
    /// `#[trace]`, which make the span current only while their future is
    /// polled.
    ///
    /// ```
    /// use tracer_core::{current_span_id, Span};
    ///
    /// let span = Span::new("order_processing").entered();
    /// assert_eq!(current_span_id(), span.span_id());
    /// ```
    // Inlined, so that a span started in the same expression
    // (`Span::root(..).entered()`) is taken where it was made.
    #[inline(always)]
    pub fn entered(mut self) -> EnteredSpan {
        // The record moves into the thread's buffer; `self` is left `Done`
        // (or, if the thread is exiting, finishes as an owned span).
        let entered = current::enter_state(self.state.get_mut());
        if matches!(self.state.get_mut(), SpanState::Done) {
            // Nothing left to finish or free.
            std::mem::forget(self);
        }
        entered
    }

    /// Runs `f` with this span current, then restores the previous span.
    /// The span stays open.
    ///
    /// ```
    /// use tracer_core::{current_span_id, Span};
    ///
    /// let span = Span::new("batch");
    /// let id = span.in_scope(current_span_id);
    /// assert_eq!(id, span.span_id());
    /// ```
    pub fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        let _scope = current::ScopeGuard::push(self.state_ptr(), self.context());
        f()
    }
}

impl Drop for Span {
    fn drop(&mut self) {
        self.finish();
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Span")
            .field("recording", &self.is_recording())
            .field("context", &self.context())
            .finish()
    }
}

/// Builds a span with everything OpenTelemetry's `start_span` takes: name,
/// kind, attributes, links, start time and parent. This is the seed's
/// `tracer.create_span(name, attributes, kind, links)`.
///
/// ```
/// use tracer_core::{KeyValue, Span, SpanKind};
///
/// let span = Span::builder("my_operation")
///     .kind(SpanKind::Internal)
///     .attribute("key", "value")
///     .start();
/// span.add_event("interesting_event", [KeyValue::new("some_data", 123)]);
/// span.set_ok();
/// ```
#[must_use = "a builder does nothing until `start` or `entered`"]
pub struct SpanBuilder {
    spec: StartSpec,
}

impl SpanBuilder {
    /// A builder for a span named `name`.
    #[inline]
    pub fn new(name: impl Into<Cow<'static, str>>) -> SpanBuilder {
        SpanBuilder {
            spec: StartSpec {
                name: name.into(),
                kind: SpanKind::Internal,
                parent: Parent::Current,
                attributes: Vec::new(),
                links: Vec::new(),
                start_time: None,
            },
        }
    }

    /// Sets the kind.
    pub fn kind(mut self, kind: SpanKind) -> SpanBuilder {
        self.spec.kind = kind;
        self
    }

    /// Adds an attribute. Samplers see the builder's attributes.
    pub fn attribute(mut self, key: impl Into<Key>, value: impl Into<Value>) -> SpanBuilder {
        self.spec.attributes.push(KeyValue::new(key, value));
        self
    }

    /// Adds attributes.
    pub fn attributes(mut self, attributes: impl IntoIterator<Item = KeyValue>) -> SpanBuilder {
        self.spec.attributes.extend(attributes);
        self
    }

    /// Adds a link to another span.
    pub fn link(mut self, context: SpanContext, attributes: impl IntoIterator<Item = KeyValue>) -> SpanBuilder {
        self.spec.links.push(Link::new(context, attributes));
        self
    }

    /// Sets an explicit start time.
    pub fn start_time(mut self, time: SystemTime) -> SpanBuilder {
        self.spec.start_time = Some(clock::system_time_to_unix_nanos(time));
        self
    }

    /// Sets an explicit parent (local or remote) instead of the current span.
    pub fn parent(mut self, parent: SpanContext) -> SpanBuilder {
        self.spec.parent = Parent::Explicit(parent);
        self
    }

    /// Sets an optional explicit parent: `Some` as [`parent`](Self::parent),
    /// `None` as [`root`](Self::root).
    pub fn parent_opt(self, parent: Option<SpanContext>) -> SpanBuilder {
        match parent {
            Some(parent) => self.parent(parent),
            None => self.root(),
        }
    }

    /// Starts a new trace, ignoring the current span.
    #[inline]
    pub fn root(mut self) -> SpanBuilder {
        self.spec.parent = Parent::Root;
        self
    }

    /// Starts the span as an owned [`Span`].
    #[inline(always)]
    pub fn start(self) -> Span {
        Span::started(|out| current::start_into(self.spec, out))
    }

    /// Starts the span and makes it current until the guard drops.
    #[inline]
    pub fn entered(self) -> EnteredSpan {
        current::enter_spec(self.spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_sizes_stay_small() {
        // The record is written once per span on the hot path.
        assert!(
            std::mem::size_of::<SpanData>() <= 448,
            "{}",
            std::mem::size_of::<SpanData>()
        );
        // A span is held by every future it instruments, and nested
        // futures hold each other: it must not carry the record inline.
        assert!(std::mem::size_of::<Span>() <= 48, "{}", std::mem::size_of::<Span>());
    }

    #[test]
    fn status_ok_is_final() {
        let ctx = SpanContext::new(
            TraceId::from_u128(1).unwrap(),
            SpanId::from_u64(1).unwrap(),
            crate::TraceFlags::SAMPLED,
            false,
            crate::TraceState::empty(),
        );
        let mut data = SpanData::new("s".into(), SpanKind::Internal, ctx, None, 1);
        data.set_status(Status::Ok);
        data.set_status(Status::error("late"));
        assert_eq!(data.status, Status::Ok);
    }

    #[test]
    fn limits_drop_and_count() {
        let ctx = SpanContext::new(
            TraceId::from_u128(1).unwrap(),
            SpanId::from_u64(1).unwrap(),
            crate::TraceFlags::SAMPLED,
            false,
            crate::TraceState::empty(),
        );
        let limits = SpanLimits {
            max_attributes: 2,
            max_events: 1,
            max_attributes_per_event: 1,
            max_attribute_value_length: Some(3),
            ..SpanLimits::default()
        };
        let mut data = SpanData::new("s".into(), SpanKind::Internal, ctx, None, 1);
        data.put_attribute(KeyValue::new("a", "abcdef"), &limits);
        data.put_attribute(KeyValue::new("b", 1), &limits);
        data.put_attribute(KeyValue::new("a", "xy"), &limits);
        data.put_attribute(KeyValue::new("c", 1), &limits);
        assert_eq!(data.attributes.len(), 2);
        assert_eq!(data.attribute("a"), Some(&Value::from("xy")));
        assert_eq!(data.dropped_attributes_count, 1);
        let event = |n: &'static str| Event {
            name: n.into(),
            timestamp_unix_nano: 1,
            attributes: vec![KeyValue::new("x", 1), KeyValue::new("y", 2)],
            dropped_attributes_count: 0,
        };
        data.add_event(event("e1"), &limits);
        data.add_event(event("e2"), &limits);
        assert_eq!(data.events.len(), 1);
        assert_eq!(data.events[0].attributes.len(), 1);
        assert_eq!(data.events[0].dropped_attributes_count, 1);
        assert_eq!(data.dropped_events_count, 1);
    }
}
