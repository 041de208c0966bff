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

/// `text` as a JSON string. Runs of characters that need no escape are
/// copied whole: the viewers' exporters write millions of names a second.
pub(crate) fn write_string(out: &mut String, text: &str) {
    out.push('"');
    let mut plain_from = 0;
    for (i, byte) in text.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        // An ASCII byte is always a character boundary.
        out.push_str(&text[plain_from..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{:04x}", byte);
        } else {
            out.push_str(escape);
        }
        plain_from = i + 1;
    }
    out.push_str(&text[plain_from..]);
    out.push('"');
}

/// `value` in decimal, without the formatting machinery.
pub(crate) fn write_u64(out: &mut String, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    for &digit in &digits[at..] {
        out.push(char::from(digit));
    }
}

fn write_i64(out: &mut String, value: i64) {
    if value < 0 {
        out.push('-');
    }
    write_u64(out, value.unsigned_abs());
}

/// The low `width` hex digits of `value`, zero-padded, lowercase: trace ids
/// take 32, span ids 16.
pub(crate) fn write_hex(out: &mut String, value: u128, width: usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut digits = [0u8; 32];
    let width = width.min(32);
    for (i, digit) in digits[..width].iter_mut().enumerate() {
        *digit = HEX[((value >> (4 * (width - 1 - i))) & 0xf) as usize];
    }
    for &digit in &digits[..width] {
        out.push(char::from(digit));
    }
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

/// A value as plain JSON (`true`, `3`, `"text"`, `[1,2]`), for the trace
/// viewers; 64-bit integers stay numbers, so a JavaScript reader sees
/// integers beyond 2^53 rounded. Non-finite floats become strings, as in
/// the OTLP mapping.
pub(crate) fn write_plain_value(out: &mut String, value: &Value) {
    fn array<T>(out: &mut String, items: &[T], mut item: impl FnMut(&mut String, &T)) {
        out.push('[');
        for (i, value) in items.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            item(out, value);
        }
        out.push(']');
    }
    match value {
        Value::Bool(v) => out.push_str(if *v { "true" } else { "false" }),
        Value::I64(v) => write_i64(out, *v),
        Value::F64(v) => write_f64(out, *v),
        Value::String(v) => write_string(out, v),
        Value::Array(Array::Bool(items)) => array(out, items, |o, v| o.push_str(if *v { "true" } else { "false" })),
        Value::Array(Array::I64(items)) => array(out, items, |o, v| write_i64(o, *v)),
        Value::Array(Array::F64(items)) => array(out, items, |o, v| write_f64(o, *v)),
        Value::Array(Array::String(items)) => array(out, items, |o, v| write_string(o, v)),
    }
}

/// Attributes as one plain JSON object, `{"key":value,...}`.
pub(crate) fn write_plain_attributes(out: &mut String, attributes: &[KeyValue]) {
    out.push('{');
    for (i, kv) in attributes.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, kv.key.as_str());
        out.push(':');
        write_plain_value(out, &kv.value);
    }
    out.push('}');
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
        out.clear();
        write_string(&mut out, "é\u{1f}ü");
        assert_eq!(out, "\"é\\u001fü\"");
    }

    #[test]
    fn numbers_and_hex_without_fmt() {
        let mut out = String::new();
        for value in [0, 7, 1234567890, u64::MAX] {
            write_u64(&mut out, value);
            out.push(' ');
        }
        write_hex(&mut out, 0xab, 4);
        out.push(' ');
        write_hex(&mut out, u128::MAX, 32);
        assert_eq!(
            out,
            "0 7 1234567890 18446744073709551615 00ab ffffffffffffffffffffffffffffffff"
        );
    }

    #[test]
    fn floats_follow_proto3_json() {
        let mut out = String::new();
        write_any_value(&mut out, &Value::F64(f64::NAN));
        write_any_value(&mut out, &Value::F64(1.0));
        assert_eq!(out, r#"{"doubleValue":"NaN"}{"doubleValue":1.0}"#);
    }

    #[test]
    fn plain_attributes_are_one_object() {
        let mut out = String::new();
        let attributes = [
            KeyValue::new("ok", true),
            KeyValue::new("n", 3),
            KeyValue::new("x", f64::INFINITY),
            KeyValue::new("list", vec!["a", "b\""]),
        ];
        write_plain_attributes(&mut out, &attributes);
        assert_eq!(out, r#"{"ok":true,"n":3,"x":"Infinity","list":["a","b\""]}"#);
    }
}
