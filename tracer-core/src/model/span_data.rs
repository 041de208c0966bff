//! The span record: what processors and exporters receive.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use smallvec::SmallVec;

use super::context::SpanContext;
use super::event::{Event, Link};
use super::id::{SpanId, TraceId};
use super::kind::SpanKind;
use super::limits::{SpanLimits, limit_attributes};
use super::status::Status;
use super::value::{Key, KeyValue, Value, find_value};

/// The attributes of a span, stored inline for up to four.
#[derive(Clone, Default, PartialEq)]
pub struct Attributes(SmallVec<[KeyValue; 4]>);

impl Attributes {
    /// The value for `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        find_value(&self.0, key)
    }
}

impl Attributes {
    /// Drops the attributes in place, looking at each first: most own
    /// nothing (numbers, booleans, static strings).
    ///
    /// # Safety
    /// They are dropped: they must not be used or dropped again.
    #[inline]
    pub(crate) unsafe fn drop_in_place(&mut self) {
        // SAFETY: the caller's promise; each attribute is dropped once.
        unsafe {
            if self.0.spilled() {
                return std::ptr::drop_in_place(&mut self.0);
            }
            for kv in self.0.iter_mut() {
                if kv.owns_heap() {
                    std::ptr::drop_in_place(kv);
                }
            }
        }
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

    /// A finished span record made by hand, for tools that read spans back
    /// from files (such as `tracer-view`) and for exporters' tests. The other
    /// fields start empty (no attributes, events or links, status unset, a
    /// local parent) and can be set directly.
    ///
    /// ```
    /// use tracer_core::{SpanContext, SpanData, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState};
    ///
    /// let context = SpanContext::new(
    ///     TraceId::from_u128(1).unwrap(),
    ///     SpanId::from_u64(2).unwrap(),
    ///     TraceFlags::SAMPLED,
    ///     false,
    ///     TraceState::empty(),
    /// );
    /// let mut span = SpanData::finished(context, None, "load_cart", SpanKind::Server, 1_000, 5_000);
    /// span.set_attribute("cart.items", 3);
    /// span.status = Status::error("timeout");
    /// assert_eq!(span.duration().as_nanos(), 4_000);
    /// ```
    pub fn finished(
        context: SpanContext,
        parent_span_id: Option<SpanId>,
        name: impl Into<Cow<'static, str>>,
        kind: SpanKind,
        start_time_unix_nano: u64,
        end_time_unix_nano: u64,
    ) -> SpanData {
        let mut span = SpanData::new(name.into(), kind, context, None, start_time_unix_nano);
        span.parent_span_id = parent_span_id;
        span.end_time_unix_nano = end_time_unix_nano;
        span
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

    /// Sets an attribute, replacing any earlier value for the same key. For
    /// processors' [`on_start`](crate::processor::SpanProcessor::on_start):
    /// the provider applies its span limits once `on_start` returns.
    pub fn set_attribute(&mut self, key: impl Into<Key>, value: impl Into<Value>) {
        self.put_attribute(KeyValue::new(key, value), &SpanLimits::UNLIMITED);
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

    pub(crate) fn add_event(&mut self, event: Event, limits: &SpanLimits) {
        self.add_event_with_list(event, limits, Vec::new);
    }

    /// [`add_event`](Self::add_event), taking the span's first event list
    /// from `new_list` (a pool of emptied lists).
    #[inline]
    pub(crate) fn add_event_with_list(
        &mut self,
        mut event: Event,
        limits: &SpanLimits,
        new_list: impl FnOnce() -> Vec<Event>,
    ) {
        if self.events.len() >= limits.max_events as usize {
            self.dropped_events_count += 1;
            return;
        }
        event.dropped_attributes_count +=
            limit_attributes(&mut event.attributes, limits, limits.max_attributes_per_event);
        if self.events.capacity() == 0 {
            self.events = new_list();
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
    pub(crate) fn record_exception(
        &mut self,
        type_name: Cow<'static, str>,
        message: String,
        timestamp_unix_nano: u64,
        limits: &SpanLimits,
    ) {
        self.set_status(Status::error(message.clone()));
        let event = Event {
            name: Cow::Borrowed("exception"),
            timestamp_unix_nano,
            attributes: vec![
                KeyValue::new("exception.type", type_name),
                KeyValue::new("exception.message", message),
            ],
            dropped_attributes_count: 0,
        };
        self.add_event(event, limits);
    }

    /// Marks a span whose scope was left by a panic.
    pub(crate) fn record_panic(&mut self, timestamp_unix_nano: u64, limits: &SpanLimits) {
        self.record_exception(
            Cow::Borrowed("panic"),
            "panicked".to_string(),
            timestamp_unix_nano,
            limits,
        );
        // The status message names the cause directly.
        self.status = Status::error("panicked");
    }

    /// Applies `limits` to what [`set_attribute`](Self::set_attribute) added
    /// without them (a processor's `on_start`).
    pub(crate) fn apply_limits(&mut self, limits: &SpanLimits) {
        let max = limits.max_attributes as usize;
        if self.attributes.0.len() > max {
            self.dropped_attributes_count += (self.attributes.0.len() - max) as u32;
            self.attributes.0.truncate(max);
        }
        if let Some(len) = limits.max_attribute_value_length {
            for kv in self.attributes.0.iter_mut() {
                kv.value.truncate(len);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{TraceFlags, TraceState};

    #[test]
    fn status_ok_is_final() {
        let ctx = SpanContext::new(
            TraceId::from_u128(1).unwrap(),
            SpanId::from_u64(1).unwrap(),
            TraceFlags::SAMPLED,
            false,
            TraceState::empty(),
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
            TraceFlags::SAMPLED,
            false,
            TraceState::empty(),
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
