//! The spans as the page's JavaScript reads them: one compact JSON object
//! per span, times in nanoseconds from a time origin (small enough to be
//! exact as JavaScript numbers), and the page's data object around them.
//!
//! A span: `{"t": trace id, "i": span id, "p": parent span id, "r": 1 if
//! the parent is remote, "n": name, "k": kind, "v": service index, "b":
//! start, "d": duration, "s": status (0 unset, 1 ok, 2 error), "m": status
//! message, "a": attributes, "e": events (`{"n","o": offset from the
//! span's start,"a"}`), "l": links (`{"t","i","a"}`), "x": dropped
//! attributes, events and links}`. Empty parts are left out.

use std::io::Write;

use crate::export::json::{write_hex, write_plain_attributes, write_string, write_u64};
use crate::model::{SpanData, Status};

/// `value` in decimal, signed.
fn write_i128(out: &mut String, value: i128) {
    if value < 0 {
        out.push('-');
    }
    write_u64(out, value.unsigned_abs().min(u128::from(u64::MAX)) as u64);
}

fn write_id_field(out: &mut String, field: &str, value: u128, width: usize) {
    out.push_str(field);
    out.push('"');
    write_hex(out, value, width);
    out.push('"');
}

/// One span, as the page reads it.
pub(super) fn write_span(out: &mut String, span: &SpanData, service: usize, origin: u64) {
    write_id_field(out, "{\"t\":", span.trace_id().to_u128(), 32);
    write_id_field(out, ",\"i\":", u128::from(span.span_id().to_u64()), 16);
    if let Some(parent) = span.parent_span_id {
        write_id_field(out, ",\"p\":", u128::from(parent.to_u64()), 16);
        if span.parent_is_remote {
            out.push_str(",\"r\":1");
        }
    }
    out.push_str(",\"n\":");
    write_string(out, &span.name);
    out.push_str(",\"k\":\"");
    out.push_str(span.kind.as_str());
    out.push_str("\",\"v\":");
    write_u64(out, service as u64);
    out.push_str(",\"b\":");
    let start = span.start_time_unix_nano;
    write_i128(out, i128::from(start) - i128::from(origin));
    out.push_str(",\"d\":");
    write_u64(out, span.end_time_unix_nano.saturating_sub(start));
    match &span.status {
        Status::Unset => {}
        Status::Ok => out.push_str(",\"s\":1"),
        Status::Error { message } => {
            out.push_str(",\"s\":2,\"m\":");
            write_string(out, message);
        }
    }
    if !span.attributes.is_empty() {
        out.push_str(",\"a\":");
        write_plain_attributes(out, &span.attributes);
    }
    if !span.events.is_empty() {
        out.push_str(",\"e\":[");
        for (i, event) in span.events.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"n\":");
            write_string(out, &event.name);
            out.push_str(",\"o\":");
            write_i128(out, i128::from(event.timestamp_unix_nano) - i128::from(start));
            if !event.attributes.is_empty() {
                out.push_str(",\"a\":");
                write_plain_attributes(out, &event.attributes);
            }
            out.push('}');
        }
        out.push(']');
    }
    if !span.links.is_empty() {
        out.push_str(",\"l\":[");
        for (i, link) in span.links.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_id_field(out, "{\"t\":", link.context.trace_id().to_u128(), 32);
            write_id_field(out, ",\"i\":", u128::from(link.context.span_id().to_u64()), 16);
            if !link.attributes.is_empty() {
                out.push_str(",\"a\":");
                write_plain_attributes(out, &link.attributes);
            }
            out.push('}');
        }
        out.push(']');
    }
    let dropped = [
        span.dropped_attributes_count,
        span.dropped_events_count,
        span.dropped_links_count,
    ];
    if dropped.iter().any(|&n| n > 0) {
        out.push_str(",\"x\":[");
        for (i, n) in dropped.into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_u64(out, u64::from(n));
        }
        out.push(']');
    }
    out.push('}');
}

/// What the page shows beside the spans.
pub(super) struct PageSummary<'a> {
    pub(super) origin: u64,
    pub(super) services: &'a [String],
    pub(super) left_out: u64,
    pub(super) max_spans: usize,
}

/// The page's data object: `{"origin": unix nanoseconds as a string,
/// "services": [...], "left_out": n, "max_spans": n, "spans": [...]}`.
/// `spans` is the span objects joined by commas.
///
/// Written into a `<script type="application/json">` element, every `<` is
/// written as `\u003c` (it can only be inside a JSON string, where the
/// escape means the same): the text then cannot close the element
/// (`</script>`) or open a comment (`<!--`), whatever the spans hold.
pub(super) fn write_data(writer: &mut dyn Write, summary: &PageSummary<'_>, spans: &str) -> std::io::Result<()> {
    let mut head = String::new();
    head.push_str("{\"origin\":\"");
    write_u64(&mut head, summary.origin);
    head.push_str("\",\"services\":[");
    for (i, service) in summary.services.iter().enumerate() {
        if i > 0 {
            head.push(',');
        }
        write_string(&mut head, service);
    }
    head.push_str("],\"left_out\":");
    write_u64(&mut head, summary.left_out);
    head.push_str(",\"max_spans\":");
    write_u64(&mut head, summary.max_spans as u64);
    head.push_str(",\"spans\":[");
    write_escaped(writer, &head)?;
    write_escaped(writer, spans)?;
    writer.write_all(b"]}")
}

fn write_escaped(writer: &mut dyn Write, text: &str) -> std::io::Result<()> {
    let mut parts = text.split('<');
    if let Some(first) = parts.next() {
        writer.write_all(first.as_bytes())?;
    }
    for part in parts {
        writer.write_all(b"\\u003c")?;
        writer.write_all(part.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Event, SpanContext, SpanId, SpanKind, TraceFlags, TraceId, TraceState};

    #[test]
    fn a_span_is_one_compact_object() {
        let context = SpanContext::new(
            TraceId::from_u128(0xabc).unwrap(),
            SpanId::from_u64(0x12).unwrap(),
            TraceFlags::SAMPLED,
            false,
            TraceState::empty(),
        );
        let mut span = SpanData::finished(context, SpanId::from_u64(0x34), "pay", SpanKind::Client, 1_500, 2_500);
        span.status = Status::error("card declined");
        span.set_attribute("amount", 9.5);
        span.events.push(Event {
            name: "retry".into(),
            timestamp_unix_nano: 1_400,
            attributes: vec![],
            dropped_attributes_count: 0,
        });
        span.dropped_links_count = 2;
        let mut out = String::new();
        write_span(&mut out, &span, 1, 2_000);
        assert_eq!(
            out,
            r#"{"t":"00000000000000000000000000000abc","i":"0000000000000012","p":"0000000000000034","n":"pay","k":"client","v":1,"b":-500,"d":1000,"s":2,"m":"card declined","a":{"amount":9.5},"e":[{"n":"retry","o":-100}],"x":[0,0,2]}"#
        );
    }

    #[test]
    fn no_text_can_close_the_script_element() {
        let mut page = Vec::new();
        let summary = PageSummary {
            origin: 7,
            services: &["<svc>".to_string()],
            left_out: 1,
            max_spans: 2,
        };
        write_data(&mut page, &summary, r#"{"n":"</script><!--"}"#).unwrap();
        let text = String::from_utf8(page).unwrap();
        assert_eq!(
            text,
            r#"{"origin":"7","services":["\u003csvc>"],"left_out":1,"max_spans":2,"spans":[{"n":"\u003c/script>\u003c!--"}]}"#
        );
    }
}
