use std::fmt::Write as _;
use std::io::Write;

use super::{ExportError, SpanExporter};
use crate::model::{Array, KeyValue, Value};
use crate::model::{SpanData, SpanKind, Status};

/// Writes one JSON object per span per line, with the field names and
/// encodings of the OTLP JSON mapping: hex ids, integer enums, lowerCamelCase
/// names, 64-bit integers as strings.
///
/// ```
/// use tracer_core::export::JsonLinesExporter;
///
/// let to_stdout = JsonLinesExporter::new(std::io::stdout());
/// let to_file = JsonLinesExporter::create("spans.jsonl");
/// # drop(to_stdout);
/// # drop(to_file);
/// # let _ = std::fs::remove_file("spans.jsonl");
/// ```
pub struct JsonLinesExporter {
    writer: Box<dyn Write + Send>,
    line: String,
}

impl JsonLinesExporter {
    /// Writes to `writer`.
    pub fn new(writer: impl Write + Send + 'static) -> JsonLinesExporter {
        JsonLinesExporter {
            writer: Box::new(writer),
            line: String::new(),
        }
    }

    /// Appends to the file at `path`, creating it if needed.
    pub fn create(path: impl AsRef<std::path::Path>) -> std::io::Result<JsonLinesExporter> {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        Ok(JsonLinesExporter::new(std::io::BufWriter::new(file)))
    }
}

impl SpanExporter for JsonLinesExporter {
    fn export(&mut self, batch: &[SpanData]) -> Result<(), ExportError> {
        for span in batch {
            self.line.clear();
            write_span(&mut self.line, span);
            self.line.push('\n');
            self.writer.write_all(self.line.as_bytes())?;
        }
        Ok(())
    }

    fn force_flush(&mut self) -> Result<(), ExportError> {
        Ok(self.writer.flush()?)
    }
}

/// The OTLP `SpanKind` number.
pub(crate) fn kind_number(kind: SpanKind) -> i32 {
    match kind {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    }
}

/// The OTLP `StatusCode` number.
pub(crate) fn status_code(status: &Status) -> i32 {
    match status {
        Status::Unset => 0,
        Status::Ok => 1,
        Status::Error { .. } => 2,
    }
}

pub(crate) fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_f64(out: &mut String, value: f64) {
    if value.is_nan() {
        out.push_str("\"NaN\"");
    } else if value.is_infinite() {
        out.push_str(if value > 0.0 { "\"Infinity\"" } else { "\"-Infinity\"" });
    } else {
        let _ = write!(out, "{value:?}");
    }
}

fn write_any_value(out: &mut String, value: &Value) {
    fn array<T>(out: &mut String, items: &[T], mut item: impl FnMut(&mut String, &T)) {
        out.push_str("{\"arrayValue\":{\"values\":[");
        for (i, value) in items.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            item(out, value);
        }
        out.push_str("]}}");
    }
    match value {
        Value::Bool(v) => {
            let _ = write!(out, "{{\"boolValue\":{v}}}");
        }
        Value::I64(v) => {
            let _ = write!(out, "{{\"intValue\":\"{v}\"}}");
        }
        Value::F64(v) => {
            out.push_str("{\"doubleValue\":");
            write_f64(out, *v);
            out.push('}');
        }
        Value::String(v) => {
            out.push_str("{\"stringValue\":");
            write_string(out, v);
            out.push('}');
        }
        Value::Array(Array::Bool(items)) => array(out, items, |o, v| write_any_value(o, &Value::Bool(*v))),
        Value::Array(Array::I64(items)) => array(out, items, |o, v| write_any_value(o, &Value::I64(*v))),
        Value::Array(Array::F64(items)) => array(out, items, |o, v| write_any_value(o, &Value::F64(*v))),
        Value::Array(Array::String(items)) => array(out, items, |o, v| {
            o.push_str("{\"stringValue\":");
            write_string(o, v);
            o.push('}');
        }),
    }
}

pub(crate) fn write_attributes(out: &mut String, attributes: &[KeyValue]) {
    out.push('[');
    for (i, kv) in attributes.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"key\":");
        write_string(out, kv.key.as_str());
        out.push_str(",\"value\":");
        write_any_value(out, &kv.value);
        out.push('}');
    }
    out.push(']');
}

/// One span as an OTLP JSON `Span` object.
pub(crate) fn write_span(out: &mut String, span: &SpanData) {
    let ctx = &span.context;
    let _ = write!(
        out,
        "{{\"traceId\":\"{}\",\"spanId\":\"{}\"",
        ctx.trace_id(),
        ctx.span_id()
    );
    if !ctx.trace_state().is_empty() {
        out.push_str(",\"traceState\":");
        write_string(out, &ctx.trace_state().header());
    }
    if let Some(parent) = span.parent_span_id {
        let _ = write!(out, ",\"parentSpanId\":\"{parent}\"");
    }
    let _ = write!(
        out,
        ",\"flags\":{}",
        span_flags(
            ctx.trace_flags().bits(),
            span.parent_span_id.is_some(),
            span.parent_is_remote
        )
    );
    out.push_str(",\"name\":");
    write_string(out, &span.name);
    let _ = write!(
        out,
        ",\"kind\":{},\"startTimeUnixNano\":\"{}\",\"endTimeUnixNano\":\"{}\",\"attributes\":",
        kind_number(span.kind),
        span.start_time_unix_nano,
        span.end_time_unix_nano
    );
    write_attributes(out, &span.attributes);
    let _ = write!(
        out,
        ",\"droppedAttributesCount\":{},\"events\":[",
        span.dropped_attributes_count
    );
    for (i, event) in span.events.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{{\"timeUnixNano\":\"{}\",\"name\":", event.timestamp_unix_nano);
        write_string(out, &event.name);
        out.push_str(",\"attributes\":");
        write_attributes(out, &event.attributes);
        let _ = write!(out, ",\"droppedAttributesCount\":{}}}", event.dropped_attributes_count);
    }
    let _ = write!(
        out,
        "],\"droppedEventsCount\":{},\"links\":[",
        span.dropped_events_count
    );
    for (i, link) in span.links.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let lc = &link.context;
        let _ = write!(
            out,
            "{{\"traceId\":\"{}\",\"spanId\":\"{}\"",
            lc.trace_id(),
            lc.span_id()
        );
        if !lc.trace_state().is_empty() {
            out.push_str(",\"traceState\":");
            write_string(out, &lc.trace_state().header());
        }
        out.push_str(",\"attributes\":");
        write_attributes(out, &link.attributes);
        let _ = write!(
            out,
            ",\"droppedAttributesCount\":{},\"flags\":{}}}",
            link.dropped_attributes_count,
            span_flags(lc.trace_flags().bits(), true, lc.is_remote())
        );
    }
    let _ = write!(
        out,
        "],\"droppedLinksCount\":{},\"status\":{{",
        span.dropped_links_count
    );
    match &span.status {
        Status::Error { message } => {
            out.push_str("\"message\":");
            write_string(out, message);
            out.push_str(",\"code\":2");
        }
        other => {
            let _ = write!(out, "\"code\":{}", status_code(other));
        }
    }
    out.push_str("}}");
}

/// OTLP's span `flags`: the W3C trace flags in the low byte, plus bit 8
/// ("is-remote is known") and bit 9 (the parent or link is remote).
pub(crate) fn span_flags(trace_flags: u8, has_parent: bool, remote: bool) -> u32 {
    let mut flags = u32::from(trace_flags) | 0x100;
    if has_parent && remote {
        flags |= 0x200;
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_strings() {
        let mut out = String::new();
        write_string(&mut out, "a\"b\\c\n\u{1}");
        assert_eq!(out, r#""a\"b\\c\n\u0001""#);
    }

    #[test]
    fn floats_follow_proto3_json() {
        let mut out = String::new();
        write_any_value(&mut out, &Value::F64(f64::NAN));
        write_any_value(&mut out, &Value::F64(1.0));
        assert_eq!(out, r#"{"doubleValue":"NaN"}{"doubleValue":1.0}"#);
    }
}
