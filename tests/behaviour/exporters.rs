//! Exporters: the console tree, JSON lines with OTLP JSON field names.

use crate::common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{one, traced};
use tracer::export::{ConsoleExporter, JsonLinesExporter, SpanExporter};
use tracer::{
    KeyValue, Span, SpanContext, SpanData, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState, in_span,
};

/// A `Write` whose bytes the test can read afterwards.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[derive(Debug)]
struct OutOfStock;

impl std::fmt::Display for OutOfStock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("out of stock")
    }
}

impl std::error::Error for OutOfStock {}

fn order_trace() -> Vec<SpanData> {
    let ((), spans) = traced(|| {
        let order = Span::builder("order_processing").kind(SpanKind::Server).entered();
        order.set_tag("order_id", "ord_123");
        in_span("payment_processing", |span| {
            span.set_tag("amount", 99.99);
            span.add_event("cache_miss", [KeyValue::new("key", "user:123")]);
        });
        in_span("inventory_update", |span| {
            span.set_tag("items_count", 3);
            span.set_error(&OutOfStock);
        });
    });
    spans
}

#[test]
fn console_prints_a_tree_per_trace() {
    let spans = order_trace();
    let buffer = Buffer::default();
    let mut console = ConsoleExporter::with_writer(buffer.clone());
    // Children arrive first; nothing is printed until the local root ends.
    let (roots, children): (Vec<SpanData>, Vec<SpanData>) = spans.into_iter().partition(|s| s.parent_span_id.is_none());
    console.export(&children).unwrap();
    assert_eq!(buffer.text(), "");
    console.export(&roots).unwrap();
    let text = buffer.text();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("trace ") && lines[0].len() == 6 + 32, "{text}");
    assert!(lines[1].starts_with("test_root "), "{text}");
    assert!(
        lines[2].starts_with("└─ order_processing ")
            && lines[2].contains("[server]")
            && lines[2].contains("order_id=ord_123"),
        "{text}"
    );
    assert!(
        lines[3].starts_with("   ├─ payment_processing ") && lines[3].contains("amount=99.99"),
        "{text}"
    );
    assert!(
        lines[4].contains("• cache_miss +") && lines[4].contains("key=user:123"),
        "{text}"
    );
    assert!(
        lines[5].starts_with("   └─ inventory_update ") && lines[5].contains("items_count=3 ✗ out of stock"),
        "{text}"
    );
    assert!(
        lines[6].contains("• exception") && lines[6].contains("exception.message=out of stock"),
        "{text}"
    );
    let is_duration = |token: &str| {
        token.starts_with(|c: char| c.is_ascii_digit())
            && ["ns", "µs", "ms", "s"].iter().any(|unit| token.ends_with(unit))
    };
    for line in [lines[1], lines[2], lines[3], lines[5]] {
        let name_start = line.find(|c: char| c.is_ascii_alphabetic()).unwrap();
        let duration = line[name_start..].split_whitespace().nth(1).unwrap();
        assert!(is_duration(duration), "no duration in {line:?}");
    }
    assert_eq!(lines.last(), Some(&""), "a blank line ends each trace");
}

#[test]
fn console_prints_orphans_on_flush() {
    let spans = order_trace();
    let buffer = Buffer::default();
    let mut console = ConsoleExporter::with_writer(buffer.clone());
    let payment: Vec<SpanData> = spans.into_iter().filter(|s| s.name == "payment_processing").collect();
    console.export(&payment).unwrap();
    assert_eq!(buffer.text(), "");
    console.force_flush().unwrap();
    assert!(buffer.text().lines().nth(1).unwrap().starts_with("payment_processing "));
}

#[test]
fn json_lines_follow_otlp_json() {
    let mut spans = order_trace();
    let remote = SpanContext::new(
        TraceId::from_u128(7).unwrap(),
        SpanId::from_u64(9).unwrap(),
        TraceFlags::SAMPLED,
        true,
        TraceState::from_header("k=v").unwrap(),
    );
    let ((), linked) = traced(|| {
        let span = Span::builder("linked")
            .link(remote, [KeyValue::new("reason", "batch")])
            .start();
        span.set_attribute("ints", vec![1i64, 2]);
        span.set_attribute("flag", true);
        span.set_ok();
    });
    spans.push(one(&linked, "linked").clone());
    let buffer = Buffer::default();
    let mut exporter = JsonLinesExporter::new(buffer.clone());
    exporter.export(&spans).unwrap();
    let text = buffer.text();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), spans.len());

    let by_name = |name: &str| lines.iter().find(|l| l["name"] == name).unwrap();
    let order = by_name("order_processing");
    let order_data = one(&spans, "order_processing");
    // Hex of the ids' bytes, written here rather than by the ids' own
    // formatting (which the exporter uses too).
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert_eq!(order["traceId"], hex(&order_data.trace_id().to_bytes()));
    assert_eq!(order["spanId"], hex(&order_data.span_id().to_bytes()));
    assert_eq!(
        order["parentSpanId"],
        hex(&order_data.parent_span_id.unwrap().to_bytes())
    );
    assert_eq!(order["kind"], 2, "SPAN_KIND_SERVER");
    assert_eq!(order["startTimeUnixNano"], order_data.start_time_unix_nano.to_string());
    assert_eq!(order["endTimeUnixNano"], order_data.end_time_unix_nano.to_string());
    assert_eq!(
        order["attributes"][0],
        serde_json::json!({"key": "order_id", "value": {"stringValue": "ord_123"}})
    );
    assert_eq!(order["status"], serde_json::json!({"code": 0}));

    let payment = by_name("payment_processing");
    assert_eq!(payment["kind"], 1);
    assert_eq!(
        payment["attributes"][0]["value"],
        serde_json::json!({"doubleValue": 99.99})
    );
    assert_eq!(payment["events"][0]["name"], "cache_miss");
    assert!(payment["events"][0]["timeUnixNano"].is_string());

    let inventory = by_name("inventory_update");
    assert_eq!(
        inventory["attributes"][0]["value"],
        serde_json::json!({"intValue": "3"})
    );
    assert_eq!(
        inventory["status"],
        serde_json::json!({"code": 2, "message": "out of stock"})
    );

    let linked = by_name("linked");
    assert_eq!(linked["status"]["code"], 1);
    assert_eq!(linked["links"][0]["traceId"], "00000000000000000000000000000007");
    assert_eq!(linked["links"][0]["spanId"], "0000000000000009");
    assert_eq!(linked["links"][0]["traceState"], "k=v");
    assert_eq!(linked["links"][0]["attributes"][0]["key"], "reason");
    let ints = linked["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["key"] == "ints")
        .unwrap();
    assert_eq!(
        ints["value"],
        serde_json::json!({"arrayValue": {"values": [{"intValue": "1"}, {"intValue": "2"}]}})
    );
    assert_eq!(linked["droppedAttributesCount"], 0);
    assert_eq!(by_name("test_root").get("parentSpanId"), None, "roots have no parent");
    assert!(spans.iter().all(|s| s.status != Status::Unset || s.name != "linked"));
}
