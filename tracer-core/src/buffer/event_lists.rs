//! A thread's emptied event lists, for the first event of its next spans:
//! a span with events then allocates nothing.

use std::cell::RefCell;

use crate::model::{Event, SpanData, SpanLimits};

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

/// Adds `event` to `span` within `limits`, its first event list from this
/// thread's pool: a span with events then allocates nothing.
pub(crate) fn add_event(span: &mut SpanData, event: Event, limits: &SpanLimits) {
    span.add_event_with_list(event, limits, recycled_event_list);
}

/// Records an error on `span` (status and `exception` event, see
/// `SpanData::record_exception`), the event's list from this thread's pool.
pub(crate) fn record_exception(
    span: &mut SpanData,
    type_name: &'static str,
    message: String,
    timestamp_unix_nano: u64,
    limits: &SpanLimits,
) {
    if span.events.capacity() == 0 && limits.max_events > 0 {
        span.events = recycled_event_list();
    }
    span.record_exception(type_name.into(), message, timestamp_unix_nano, limits);
}
