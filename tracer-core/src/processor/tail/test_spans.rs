//! Span records made by hand, for the tail sampler's unit tests.

use crate::model::{SpanContext, SpanData, SpanId, SpanKind, TraceFlags, TraceId, TraceState};

fn context(trace: u128, id: u64, remote: bool) -> SpanContext {
    SpanContext::new(
        TraceId::from_u128(trace).unwrap(),
        SpanId::from_u64(id).unwrap(),
        TraceFlags::SAMPLED,
        remote,
        TraceState::empty(),
    )
}

fn span(trace: u128, id: u64, parent: Option<&SpanContext>, start: u64, end: u64) -> SpanData {
    let mut span = SpanData::new(
        "op".into(),
        SpanKind::Internal,
        context(trace, id, false),
        parent,
        start,
    );
    span.end_time_unix_nano = end;
    span
}

/// A finished root of trace `trace` (no parent).
pub(super) fn root(trace: u128, id: u64, start: u64, end: u64) -> SpanData {
    span(trace, id, None, start, end)
}

/// A finished span under a remote parent: a local root too.
pub(super) fn remote_root(trace: u128, id: u64, start: u64, end: u64) -> SpanData {
    span(trace, id, Some(&context(trace, 0xfeed, true)), start, end)
}

/// A finished span under the local span `parent`.
pub(super) fn child(trace: u128, id: u64, parent: u64, start: u64, end: u64) -> SpanData {
    span(trace, id, Some(&context(trace, parent, false)), start, end)
}
