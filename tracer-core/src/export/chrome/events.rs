//! The JSON text of each trace event the Chrome exporter writes: complete
//! events for spans, instant events for span events, flow pairs, and the
//! metadata that names processes and lanes.

use std::fmt::Write as _;

use crate::export::json::{write_hex, write_plain_attributes, write_string, write_u64};
use crate::model::{SpanData, Status, Value};

/// Where an event goes: a process (service) and a lane in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Place {
    pub(super) pid: u32,
    pub(super) tid: u32,
}

/// What a flow arrow stands for; its `name` in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FlowKind {
    /// From a parent to a child drawn in another lane.
    Parent,
    /// From a linked span to the span that links to it.
    Link,
}

impl FlowKind {
    fn name(self) -> &'static str {
        match self {
            FlowKind::Parent => "parent",
            FlowKind::Link => "link",
        }
    }
}

/// `unix_nano` as microseconds after `origin`, exact to the nanosecond
/// (`12.345`); times before the origin are written as 0, since Perfetto
/// drops events with negative timestamps.
pub(super) fn write_micros(out: &mut String, unix_nano: u64, origin: u64) {
    write_duration_micros(out, unix_nano.saturating_sub(origin));
}

/// A duration in nanoseconds as microseconds: `7`, `7.5`, `7.125`.
pub(super) fn write_duration_micros(out: &mut String, nanos: u64) {
    write_u64(out, nanos / 1000);
    let fraction = nanos % 1000;
    if fraction != 0 {
        let digits = [
            b'.',
            b'0' + (fraction / 100) as u8,
            b'0' + (fraction / 10 % 10) as u8,
            b'0' + (fraction % 10) as u8,
        ];
        let len = if fraction % 100 == 0 {
            2
        } else if fraction % 10 == 0 {
            3
        } else {
            4
        };
        for &digit in &digits[..len] {
            out.push(char::from(digit));
        }
    }
}

fn write_place(out: &mut String, place: Place) {
    out.push_str(",\"pid\":");
    write_u64(out, u64::from(place.pid));
    out.push_str(",\"tid\":");
    write_u64(out, u64::from(place.tid));
}

fn write_ids(out: &mut String, trace_id: crate::model::TraceId, span_id: crate::model::SpanId) {
    out.push_str("\"trace_id\":\"");
    write_hex(out, trace_id.to_u128(), 32);
    out.push_str("\",\"span_id\":\"");
    write_hex(out, u128::from(span_id.to_u64()), 16);
    out.push('"');
}

/// Whether the span's future was dropped before it finished (the
/// `cancelled = true` attribute `FutureExt::in_span` sets).
pub(crate) fn is_cancelled(span: &SpanData) -> bool {
    matches!(span.attribute("cancelled"), Some(Value::Bool(true)))
}

/// The span as a complete (`"ph":"X"`) event; its ids, status, attributes
/// and links go into `args`.
pub(super) fn write_span(out: &mut String, span: &SpanData, place: Place, origin: u64) {
    out.push_str("{\"ph\":\"X\",\"name\":");
    write_string(out, &span.name);
    out.push_str(",\"cat\":\"");
    out.push_str(span.kind.as_str());
    out.push_str("\",\"ts\":");
    write_micros(out, span.start_time_unix_nano, origin);
    out.push_str(",\"dur\":");
    let dur = span
        .end_time_unix_nano
        .saturating_sub(span.start_time_unix_nano.max(origin));
    write_duration_micros(out, dur);
    write_place(out, place);
    // The legacy Chrome viewer colours by `cname`; Perfetto ignores it.
    if span.status.is_error() {
        out.push_str(",\"cname\":\"terrible\"");
    } else if is_cancelled(span) {
        out.push_str(",\"cname\":\"grey\"");
    }
    out.push_str(",\"args\":{");
    write_ids(out, span.trace_id(), span.span_id());
    if let Some(parent) = span.parent_span_id {
        out.push_str(",\"parent_span_id\":\"");
        write_hex(out, u128::from(parent.to_u64()), 16);
        out.push('"');
        if span.parent_is_remote {
            out.push_str(",\"parent_is_remote\":true");
        }
    }
    match &span.status {
        Status::Unset => out.push_str(",\"status\":\"unset\""),
        Status::Ok => out.push_str(",\"status\":\"ok\""),
        Status::Error { message } => {
            out.push_str(",\"status\":\"error\",\"status_message\":");
            write_string(out, message);
        }
    }
    out.push_str(",\"attributes\":");
    write_plain_attributes(out, &span.attributes);
    if !span.links.is_empty() {
        out.push_str(",\"links\":[");
        for (i, link) in span.links.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('{');
            write_ids(out, link.context.trace_id(), link.context.span_id());
            out.push_str(",\"attributes\":");
            write_plain_attributes(out, &link.attributes);
            out.push('}');
        }
        out.push(']');
    }
    for (key, count) in [
        ("dropped_attributes_count", span.dropped_attributes_count),
        ("dropped_events_count", span.dropped_events_count),
        ("dropped_links_count", span.dropped_links_count),
    ] {
        if count > 0 {
            let _ = write!(out, ",\"{key}\":{count}");
        }
    }
    out.push_str("}}");
}

/// One span event as an instant event on its span's lane (`"s":"t"`: the
/// mark spans the lane only).
pub(super) fn write_instant(
    out: &mut String,
    name: &str,
    attributes: &[crate::model::KeyValue],
    unix_nano: u64,
    place: Place,
    origin: u64,
) {
    out.push_str("{\"ph\":\"i\",\"s\":\"t\",\"name\":");
    write_string(out, name);
    out.push_str(",\"cat\":\"event\",\"ts\":");
    write_micros(out, unix_nano, origin);
    write_place(out, place);
    out.push_str(",\"args\":");
    write_plain_attributes(out, attributes);
    out.push('}');
}

/// One end of a flow arrow: `"s"` (start) binds to the slice enclosing
/// `unix_nano` on its lane, `"f"` with `"bp":"e"` likewise at the end.
pub(super) fn write_flow_end(
    out: &mut String,
    start: bool,
    kind: FlowKind,
    id: u64,
    unix_nano: u64,
    place: Place,
    origin: u64,
) {
    let phase = if start { "\"s\"" } else { "\"f\",\"bp\":\"e\"" };
    let _ = write!(
        out,
        "{{\"ph\":{phase},\"name\":\"{}\",\"cat\":\"flow\",\"id\":{id},\"ts\":",
        kind.name()
    );
    write_micros(out, unix_nano, origin);
    let _ = write!(out, ",\"pid\":{},\"tid\":{}}}", place.pid, place.tid);
}

/// Names a process after its service. `time_origin_unix_nano` tells tools
/// what `ts` 0 stands for; viewers ignore it.
pub(super) fn write_process_name(out: &mut String, pid: u32, service: &str, origin: u64) {
    let _ = write!(
        out,
        "{{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":{pid},\"tid\":0,\"args\":{{\"name\":"
    );
    write_string(out, service);
    let _ = write!(out, ",\"time_origin_unix_nano\":\"{origin}\"}}}}");
}

/// Names a lane: `lane 3`.
pub(super) fn write_lane_name(out: &mut String, place: Place) {
    let _ = write!(
        out,
        "{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":{},\"tid\":{},\"args\":{{\"name\":\"lane {}\"}}}}",
        place.pid, place.tid, place.tid
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micros_are_exact_and_short() {
        let mut out = String::new();
        for nanos in [0, 7_000, 7_500, 7_125, 1_000_001, 12] {
            write_duration_micros(&mut out, nanos);
            out.push(' ');
        }
        assert_eq!(out, "0 7 7.5 7.125 1000.001 0.012 ");
    }

    #[test]
    fn times_before_the_origin_are_zero() {
        let mut out = String::new();
        write_micros(&mut out, 5, 10);
        assert_eq!(out, "0");
    }

    #[test]
    fn flow_ends_bind_to_enclosing_slices() {
        let mut out = String::new();
        let place = Place { pid: 1, tid: 2 };
        write_flow_end(&mut out, true, FlowKind::Parent, 9, 3_000, place, 0);
        out.push('\n');
        write_flow_end(&mut out, false, FlowKind::Link, 9, 4_000, place, 0);
        assert_eq!(
            out,
            "{\"ph\":\"s\",\"name\":\"parent\",\"cat\":\"flow\",\"id\":9,\"ts\":3,\"pid\":1,\"tid\":2}\n\
             {\"ph\":\"f\",\"bp\":\"e\",\"name\":\"link\",\"cat\":\"flow\",\"id\":9,\"ts\":4,\"pid\":1,\"tid\":2}"
        );
    }
}
