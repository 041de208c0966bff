//! The `log` facade: ids on records logged inside spans, records as span
//! events, and the log exporter.
#![cfg(feature = "log")]

use crate::common;

use std::sync::{Mutex, OnceLock};

use common::{one, traced};
use log::kv::{Key, Value as KvValue, VisitSource};
use tracer::export::SpanExporter;
use tracer::logging::{LogExporter, LogProcessor, TraceLogger};
use tracer::processor::SpanProcessor;
use tracer::{Span, Status, Value, in_span};

#[derive(Debug, Clone)]
struct Captured {
    level: log::Level,
    target: String,
    message: String,
    kvs: Vec<(String, String)>,
}

struct Capture;

static RECORDS: Mutex<Vec<Captured>> = Mutex::new(Vec::new());

struct Collect(Vec<(String, String)>);

impl<'kvs> VisitSource<'kvs> for Collect {
    fn visit_pair(&mut self, key: Key<'kvs>, value: KvValue<'kvs>) -> Result<(), log::kv::Error> {
        self.0.push((key.to_string(), value.to_string()));
        Ok(())
    }
}

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let mut kvs = Collect(Vec::new());
        record.key_values().visit(&mut kvs).unwrap();
        RECORDS.lock().unwrap().push(Captured {
            level: record.level(),
            target: record.target().to_string(),
            message: record.args().to_string(),
            kvs: kvs.0,
        });
    }
    fn flush(&self) {}
}

fn install() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        TraceLogger::new(Capture)
            .with_span_events(true)
            .install(log::LevelFilter::Trace)
            .unwrap();
    });
}

fn records_with(needle: &str) -> Vec<Captured> {
    RECORDS
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.message.contains(needle))
        .cloned()
        .collect()
}

#[test]
fn records_inside_spans_carry_ids() {
    install();
    let (ids, spans) = traced(|| {
        let span = Span::new("user_operation").entered();
        log::info!(user_id = "usr_1"; "operation_started");
        (
            span.trace_id().unwrap().to_string(),
            span.span_id().unwrap().to_string(),
        )
    });
    let (trace_id, span_id) = ids;
    let record = records_with("operation_started").pop().unwrap();
    assert!(
        record.kvs.contains(&("user_id".into(), "usr_1".into())),
        "own key-values kept"
    );
    assert!(record.kvs.contains(&("trace_id".into(), trace_id)));
    assert!(record.kvs.contains(&("span_id".into(), span_id)));
    let span = one(&spans, "user_operation");
    let event = span.event("log").expect("the record became a span event");
    assert_eq!(
        event.attribute("log.message").and_then(Value::as_str),
        Some("operation_started")
    );
    assert_eq!(event.attribute("log.severity").and_then(Value::as_str), Some("INFO"));
}

#[test]
fn records_outside_spans_are_unchanged() {
    install();
    std::thread::spawn(|| log::warn!("no_span_here")).join().unwrap();
    let record = records_with("no_span_here").pop().unwrap();
    assert!(record.kvs.is_empty());
}

#[test]
fn log_exporter_writes_one_record_per_span() {
    install();
    let ((), spans) = traced(|| in_span("exported_via_log", |span| span.set_tag("k", 1)));
    let span = one(&spans, "exported_via_log").clone();
    LogExporter::new().export(std::slice::from_ref(&span)).unwrap();
    let record = records_with("span exported_via_log").pop().unwrap();
    assert_eq!(record.target, "tracer::span");
    assert!(record.message.contains(&format!("trace_id={}", span.trace_id())));
    assert!(record.message.contains(&format!("span_id={}", span.span_id())));
    assert!(record.message.contains(" k=1"));
}

#[test]
fn log_processor_logs_start_at_debug_and_end_by_status() {
    // `LogProcessor`, called here directly with the
    // records the shared reporter exported, as a provider would call it.
    install();
    let ((), spans) = traced(|| {
        in_span("logged_ok", |_| {});
        in_span("logged_failed", |span| span.set_status(Status::error("card declined")));
    });
    let processor = LogProcessor::new();
    for name in ["logged_ok", "logged_failed"] {
        let mut span = one(&spans, name).clone();
        processor.on_start(&mut span);
        processor.on_end(span);
    }
    let ids = |name: &str| {
        let span = one(&spans, name);
        (
            format!("trace_id={}", span.trace_id()),
            format!("span_id={}", span.span_id()),
        )
    };

    let started = records_with("span started logged_ok").pop().expect("a start record");
    assert_eq!(started.level, log::Level::Debug);
    assert_eq!(started.target, "tracer::span");
    let (trace_id, span_id) = ids("logged_ok");
    assert!(started.message.contains(&trace_id) && started.message.contains(&span_id));

    let ended = records_with("span logged_ok").pop().expect("an end record");
    assert_eq!(ended.level, log::Level::Info, "a span without error ends at Info");
    assert_eq!(ended.target, "tracer::span");
    assert!(ended.message.contains(&trace_id) && ended.message.contains(&span_id));

    let failed = records_with("span logged_failed").pop().expect("an end record");
    assert_eq!(failed.level, log::Level::Warn, "an error span ends at Warn");
    assert!(failed.message.contains("card declined"), "{}", failed.message);
    let (trace_id, span_id) = ids("logged_failed");
    assert!(failed.message.contains(&trace_id) && failed.message.contains(&span_id));
}
