//! The Chrome trace-event file: a real workload (threads, tokio tasks, an
//! error, events, a cancelled future, a link) goes through
//! `ChromeTraceExporter` beside an in-memory exporter; the file is parsed
//! with serde_json and every span, event, lane and arrow is checked against
//! the exported records.

mod viewer_workload;

use std::collections::{BTreeMap, HashMap};
use std::io::{Cursor, Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value as Json, json};
use tracer::export::{ChromeTraceExporter, ExportError, InMemoryExporter, SpanExporter};
use tracer::{Array, Resource, SpanData, Status, TracerProvider, Value};

/// A seekable buffer the test reads while the exporter still holds it.
#[derive(Clone, Default)]
struct SharedFile(Arc<Mutex<Cursor<Vec<u8>>>>);

impl Write for SharedFile {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().write(bytes)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Seek for SharedFile {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.0.lock().unwrap().seek(to)
    }
}

impl SharedFile {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().get_ref().clone()).unwrap()
    }
}

/// A plain (not seekable) buffer.
#[derive(Clone, Default)]
struct SharedStream(Arc<Mutex<Vec<u8>>>);

impl Write for SharedStream {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SharedStream {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

struct Recorded {
    spans: Vec<SpanData>,
    workload: viewer_workload::Workload,
    origin: u64,
    file: String,
}

/// Runs the workload once for the binary, under a provider that exports
/// to memory and to a Chrome file, and flushes.
fn recorded() -> &'static Recorded {
    static RECORDED: OnceLock<Recorded> = OnceLock::new();
    RECORDED.get_or_init(|| {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
        let origin = now - 3_600_000_000_000;
        let memory = InMemoryExporter::new();
        let file = SharedFile::default();
        let chrome = ChromeTraceExporter::seekable(file.clone()).with_time_origin(origin);
        std::mem::forget(
            TracerProvider::builder()
                .service_name("chrome-test")
                .with_simple_exporter(memory.clone())
                .with_simple_exporter(chrome)
                .install()
                .expect("the only provider in this binary"),
        );
        let workload = viewer_workload::run();
        tracer::force_flush().expect("both exporters flush");
        Recorded {
            spans: memory.spans(),
            workload,
            origin,
            file: file.text(),
        }
    })
}

fn parse(text: &str) -> Vec<Json> {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not a JSON array ({e}): {text}"))
}

/// A `ts` or `dur` in microseconds, back in whole nanoseconds.
fn nanos(micros: &Json) -> u64 {
    (micros.as_f64().expect("a number") * 1000.0).round() as u64
}

fn value_json(value: &Value) -> Json {
    match value {
        Value::Bool(v) => json!(v),
        Value::I64(v) => json!(v),
        Value::F64(v) => json!(v),
        Value::String(v) => json!(v.as_ref()),
        Value::Array(Array::Bool(v)) => json!(v),
        Value::Array(Array::I64(v)) => json!(v),
        Value::Array(Array::F64(v)) => json!(v),
        Value::Array(Array::String(v)) => json!(v.iter().map(|s| s.as_ref()).collect::<Vec<_>>()),
    }
}

fn attributes_json(attributes: &[tracer::KeyValue]) -> Json {
    Json::Object(
        attributes
            .iter()
            .map(|kv| (kv.key.as_str().to_string(), value_json(&kv.value)))
            .collect(),
    )
}

fn phase<'a>(events: &'a [Json], ph: &str) -> Vec<&'a Json> {
    events.iter().filter(|e| e["ph"] == ph).collect()
}

/// `(pid, tid)` of an event.
fn lane(event: &Json) -> (u64, u64) {
    (event["pid"].as_u64().unwrap(), event["tid"].as_u64().unwrap())
}

#[test]
fn every_span_is_a_complete_event_with_its_times_ids_status_and_attributes() {
    let recorded = recorded();
    let events = parse(&recorded.file);
    let processes = phase(&events, "M")
        .into_iter()
        .filter(|e| e["name"] == "process_name")
        .collect::<Vec<_>>();
    assert_eq!(processes.len(), 1, "one service, one process: {processes:?}");
    assert_eq!(processes[0]["pid"], 1);
    assert_eq!(processes[0]["args"]["name"], "chrome-test");
    assert_eq!(
        processes[0]["args"]["time_origin_unix_nano"],
        recorded.origin.to_string()
    );

    let complete = phase(&events, "X");
    assert_eq!(complete.len(), recorded.spans.len());
    let names: Vec<&str> = {
        let mut names: Vec<&str> = recorded.spans.iter().map(|s| &*s.name).collect();
        names.sort();
        names
    };
    assert_eq!(
        names,
        [
            "charge",
            "consumer",
            "fetch_a",
            "fetch_b",
            "job",
            "read_a",
            "read_b",
            "slow_call",
            "step",
            "step",
            "worker",
            "worker"
        ]
    );
    for span in &recorded.spans {
        let id = span.span_id().to_string();
        let found: Vec<&&Json> = complete
            .iter()
            .filter(|e| e["args"]["span_id"] == id.as_str())
            .collect();
        assert_eq!(found.len(), 1, "one event for {}", span.name);
        let event = found[0];
        assert_eq!(event["name"], &*span.name);
        assert_eq!(event["cat"], span.kind.as_str());
        assert_eq!(nanos(&event["ts"]), span.start_time_unix_nano - recorded.origin);
        assert_eq!(
            nanos(&event["dur"]),
            span.end_time_unix_nano - span.start_time_unix_nano
        );
        assert_eq!(event["pid"], 1);
        let args = &event["args"];
        assert_eq!(args["trace_id"], span.trace_id().to_string());
        match span.parent_span_id {
            Some(parent) => assert_eq!(args["parent_span_id"], parent.to_string()),
            None => assert!(args.get("parent_span_id").is_none()),
        }
        match &span.status {
            Status::Error { message } => {
                assert_eq!(args["status"], "error");
                assert_eq!(args["status_message"], message.as_ref());
                assert_eq!(event["cname"], "terrible");
            }
            Status::Ok => assert_eq!(args["status"], "ok"),
            Status::Unset => assert_eq!(args["status"], "unset"),
        }
        assert_eq!(args["attributes"], attributes_json(&span.attributes));
    }
    let job = complete.iter().find(|e| e["name"] == "job").unwrap();
    assert_eq!(
        job["args"]["attributes"],
        json!({"job.id": 7, "ratio": 0.5, "ok": true, "tags": ["a", "b"]})
    );
    let charge = complete.iter().find(|e| e["name"] == "charge").unwrap();
    assert_eq!(charge["args"]["status"], "error");
    assert_eq!(charge["args"]["status_message"], "card declined");
    let slow = complete.iter().find(|e| e["name"] == "slow_call").unwrap();
    assert_eq!(slow["args"]["attributes"]["cancelled"], true);
    assert_eq!(slow["cname"], "grey");
    let consumer = complete.iter().find(|e| e["name"] == "consumer").unwrap();
    assert_eq!(
        consumer["args"]["links"],
        json!([{
            "trace_id": recorded.workload.job.to_string(),
            "span_id": job["args"]["span_id"],
            "attributes": {"reason": "follows"}
        }])
    );
}

#[test]
fn span_events_are_instant_events_on_their_span_lane() {
    let recorded = recorded();
    let events = parse(&recorded.file);
    let instants = phase(&events, "i");
    let expected: usize = recorded.spans.iter().map(|s| s.events.len()).sum();
    assert_eq!(instants.len(), expected);
    assert_eq!(expected, 3, "two progress events and one exception");
    for span in &recorded.spans {
        let id = span.span_id().to_string();
        let complete = events
            .iter()
            .find(|e| e["ph"] == "X" && e["args"]["span_id"] == id.as_str())
            .unwrap();
        for event in &span.events {
            let ts = event.timestamp_unix_nano - recorded.origin;
            let found = instants
                .iter()
                .find(|i| i["name"] == *event.name && nanos(&i["ts"]) == ts)
                .unwrap_or_else(|| panic!("no instant event for {} of {}", event.name, span.name));
            assert_eq!(found["s"], "t");
            assert_eq!(found["cat"], "event");
            assert_eq!(lane(found), lane(complete));
            assert_eq!(found["args"], attributes_json(&event.attributes));
        }
    }
    let exception = instants.iter().find(|i| i["name"] == "exception").unwrap();
    assert_eq!(
        exception["args"],
        json!({"exception.type": "CardDeclined", "exception.message": "insufficient funds"})
    );
}

#[test]
fn lanes_are_named_and_their_slices_nest() {
    let recorded = recorded();
    let events = parse(&recorded.file);
    let named: Vec<(u64, u64)> = phase(&events, "M")
        .into_iter()
        .filter(|e| e["name"] == "thread_name")
        .map(|e| {
            assert_eq!(e["args"]["name"], format!("lane {}", e["tid"]));
            lane(e)
        })
        .collect();
    let mut by_lane: BTreeMap<(u64, u64), Vec<(u64, u64)>> = BTreeMap::new();
    for event in phase(&events, "X") {
        assert!(named.contains(&lane(event)), "lane {:?} has a name", lane(event));
        let start = nanos(&event["ts"]);
        by_lane
            .entry(lane(event))
            .or_default()
            .push((start, start + nanos(&event["dur"])));
    }
    // The concurrent fetches and the threads' workers cannot share a lane
    // with their parent.
    assert!(by_lane.len() >= 3, "lanes: {by_lane:?}");
    for (lane, mut slices) in by_lane {
        // Outer slices first: by start, then the longer first.
        slices.sort_by_key(|&(start, end)| (start, std::cmp::Reverse(end)));
        let mut open: Vec<(u64, u64)> = Vec::new();
        for (start, end) in slices {
            while open.last().is_some_and(|&(_, open_end)| open_end <= start) {
                open.pop();
            }
            if let Some(&(_, open_end)) = open.last() {
                assert!(
                    end <= open_end,
                    "lane {lane:?}: {start}..{end} overlaps a slice ending at {open_end}"
                );
            }
            open.push((start, end));
        }
    }
}

#[test]
fn children_in_other_lanes_and_links_are_flow_arrows() {
    let recorded = recorded();
    let events = parse(&recorded.file);
    let complete: HashMap<String, &Json> = phase(&events, "X")
        .into_iter()
        .map(|e| (e["args"]["span_id"].as_str().unwrap().to_string(), e))
        .collect();
    let starts: HashMap<u64, &Json> = phase(&events, "s")
        .into_iter()
        .map(|e| (e["id"].as_u64().unwrap(), e))
        .collect();
    let finishes: HashMap<u64, &Json> = phase(&events, "f")
        .into_iter()
        .map(|e| (e["id"].as_u64().unwrap(), e))
        .collect();
    assert_eq!(starts.len(), finishes.len(), "every arrow has both ends");
    let inside = |point: &Json, slice: &Json| {
        let (at, start) = (nanos(&point["ts"]), nanos(&slice["ts"]));
        lane(point) == lane(slice) && start <= at && at <= start + nanos(&slice["dur"])
    };
    // The arrow from `from` to `to`, named `name`.
    let arrow = |name: &str, from: &Json, to: &Json| {
        finishes.iter().any(|(id, finish)| {
            let Some(start) = starts.get(id) else { return false };
            finish["name"] == name
                && start["name"] == name
                && finish["bp"] == "e"
                && inside(start, from)
                && inside(finish, to)
                && nanos(&start["ts"]) <= nanos(&finish["ts"])
        })
    };
    let mut cross_lane = 0;
    for span in &recorded.spans {
        let Some(parent) = span.parent_span_id else { continue };
        let child = complete[&span.span_id().to_string()];
        let parent = complete[&parent.to_string()];
        if lane(child) == lane(parent) {
            let (start, parent_start) = (nanos(&child["ts"]), nanos(&parent["ts"]));
            assert!(parent_start <= start && start + nanos(&child["dur"]) <= parent_start + nanos(&parent["dur"]));
        } else {
            cross_lane += 1;
            assert!(
                arrow("parent", parent, child),
                "an arrow from the parent of {}",
                span.name
            );
        }
        if span.name == "worker" {
            assert_ne!(lane(child), lane(parent), "a worker ran on another thread than its job");
        }
    }
    assert!(
        cross_lane >= 4,
        "two workers, a fetch and a read at least: {cross_lane}"
    );
    let read_a = complete.values().find(|e| e["name"] == "read_a").unwrap();
    let read_b = complete.values().find(|e| e["name"] == "read_b").unwrap();
    assert_ne!(
        lane(read_a),
        lane(read_b),
        "overlapping siblings of one batch get their own lanes"
    );
    let job = complete.values().find(|e| e["name"] == "job").unwrap();
    let consumer = complete.values().find(|e| e["name"] == "consumer").unwrap();
    assert!(
        arrow("link", job, consumer),
        "an arrow from the linked job to the consumer"
    );
}

/// The recorded spans of one trace, in the order they were exported.
fn spans_of(trace: tracer::TraceId) -> Vec<SpanData> {
    recorded()
        .spans
        .iter()
        .filter(|s| s.trace_id() == trace)
        .cloned()
        .collect()
}

#[test]
fn a_seekable_file_is_valid_json_after_every_flush() {
    let job = spans_of(recorded().workload.job);
    let consumer = spans_of(recorded().workload.consumer);
    let file = SharedFile::default();
    let mut exporter = ChromeTraceExporter::seekable(file.clone());
    exporter.export(&job).unwrap();
    exporter.force_flush().unwrap();
    let first = parse(&file.text());
    assert_eq!(phase(&first, "X").len(), job.len());
    exporter.export(&consumer).unwrap();
    exporter.force_flush().unwrap();
    let second = parse(&file.text());
    assert_eq!(phase(&second, "X").len(), job.len() + consumer.len());
    exporter.shutdown().unwrap();
    assert_eq!(parse(&file.text()), second);
    assert_eq!(exporter.export(&consumer), Err(ExportError::ShutDown));
}

#[test]
fn a_stream_is_an_open_array_until_shutdown() {
    let job = spans_of(recorded().workload.job);
    let stream = SharedStream::default();
    let mut exporter = ChromeTraceExporter::new(stream.clone());
    exporter.export(&job).unwrap();
    exporter.force_flush().unwrap();
    let open = stream.text();
    assert!(open.starts_with("[\n{"));
    assert!(
        serde_json::from_str::<Json>(&open).is_err(),
        "not closed before shutdown"
    );
    // The JSON Array Format viewers read: the same events once closed.
    let events = parse(&format!("{open}]"));
    assert_eq!(phase(&events, "X").len(), job.len());
    exporter.shutdown().unwrap();
    assert_eq!(parse(&stream.text()), events);
}

#[test]
fn a_file_made_by_create_is_valid_after_flush_and_shutdown() {
    let path = std::env::temp_dir().join(format!("tracer-chrome-test-{}.json", std::process::id()));
    let job = spans_of(recorded().workload.job);
    let mut exporter = ChromeTraceExporter::create(&path).unwrap();
    exporter.force_flush().unwrap();
    assert_eq!(parse(&std::fs::read_to_string(&path).unwrap()), Vec::<Json>::new());
    exporter.export(&job).unwrap();
    exporter.force_flush().unwrap();
    assert_eq!(
        phase(&parse(&std::fs::read_to_string(&path).unwrap()), "X").len(),
        job.len()
    );
    exporter.export(&job[..1]).unwrap();
    exporter.shutdown().unwrap();
    assert_eq!(
        phase(&parse(&std::fs::read_to_string(&path).unwrap()), "X").len(),
        job.len() + 1
    );
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn each_service_is_a_process() {
    let job = spans_of(recorded().workload.job);
    let consumer = spans_of(recorded().workload.consumer);
    let stream = SharedStream::default();
    let mut exporter = ChromeTraceExporter::new(stream.clone());
    exporter.set_resource(&Resource::builder().service_name("orders").build());
    exporter.export(&job).unwrap();
    exporter.set_resource(&Resource::builder().service_name("mailer").build());
    exporter.export(&consumer).unwrap();
    exporter.set_resource(&Resource::builder().service_name("orders").build());
    exporter.export(&job[..1]).unwrap();
    exporter.shutdown().unwrap();
    let events = parse(&stream.text());
    let processes: Vec<(u64, &str)> = phase(&events, "M")
        .into_iter()
        .filter(|e| e["name"] == "process_name")
        .map(|e| (e["pid"].as_u64().unwrap(), e["args"]["name"].as_str().unwrap()))
        .collect();
    assert_eq!(processes, [(1, "orders"), (2, "mailer")]);
    let consumer_event = phase(&events, "X")
        .into_iter()
        .find(|e| e["name"] == "consumer")
        .unwrap();
    assert_eq!(consumer_event["pid"], 2);
    let pids: Vec<u64> = phase(&events, "X")
        .iter()
        .filter(|e| e["name"] != "consumer")
        .map(|e| e["pid"].as_u64().unwrap())
        .collect();
    assert_eq!(pids, vec![1; job.len() + 1]);
}

#[test]
fn a_dropped_exporter_still_closes_its_file() {
    let job = spans_of(recorded().workload.job);
    let stream = SharedStream::default();
    let mut exporter = ChromeTraceExporter::new(stream.clone());
    exporter.export(&job).unwrap();
    assert_eq!(stream.text(), "", "a small batch is still gathered in memory");
    drop(exporter);
    assert_eq!(phase(&parse(&stream.text()), "X").len(), job.len());
}
