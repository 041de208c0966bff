//! The `tracer-view` binary on real files: JSON lines written by
//! `JsonLinesExporter` under a real provider, an OTLP/JSON request body,
//! bad input and bad arguments.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::{Value as Json, json};
use tracer_core::export::{InMemoryExporter, JsonLinesExporter};
use tracer_core::{KeyValue, Span, SpanData, SpanKind, Status, TracerProvider, in_span};

fn scratch_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("tracer-view-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tracer_view(arguments: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tracer-view"))
        .args(arguments)
        .output()
        .expect("tracer-view runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `orders.jsonl` written by a real provider, and the spans it holds.
fn recorded() -> &'static (PathBuf, Vec<SpanData>) {
    static RECORDED: OnceLock<(PathBuf, Vec<SpanData>)> = OnceLock::new();
    RECORDED.get_or_init(|| {
        let path = scratch_dir().join("orders.jsonl");
        let memory = InMemoryExporter::new();
        let guard = TracerProvider::builder()
            .service_name("ignored-by-json-lines")
            .with_simple_exporter(memory.clone())
            .with_simple_exporter(JsonLinesExporter::create(&path).unwrap())
            .install()
            .unwrap();
        {
            let order = Span::builder("place_order").kind(SpanKind::Server).entered();
            order.set_tag("order.id", "ord_1");
            in_span("charge", |charge| {
                charge.add_event("retry", [KeyValue::new("attempt", 2)]);
                charge.set_status(Status::error("declined"));
            });
            std::thread::scope(|scope| {
                let parent = order.context().unwrap();
                scope.spawn(move || drop(Span::child_of("notify", &parent).entered()));
            });
        }
        drop(guard);
        (path, memory.spans())
    })
}

fn parse_file(path: &Path) -> Json {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The data object embedded in a page written by `--html`.
fn page_data(path: &Path) -> Json {
    let page = std::fs::read_to_string(path).unwrap();
    let start = page
        .find(r#"<script type="application/json" id="tracer-data">"#)
        .unwrap();
    let data = &page[start..];
    let data = &data[data.find('>').unwrap() + 1..data.find("</script>").unwrap()];
    serde_json::from_str(data).unwrap()
}

#[test]
fn json_lines_become_a_chrome_file_and_a_page() {
    let (input, spans) = recorded();
    let dir = scratch_dir();
    let (chrome, html) = (dir.join("orders.json"), dir.join("orders.html"));
    let output = tracer_view(&[Path::new("--chrome"), &chrome, Path::new("--html"), &html, input]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(spans.len(), 3);

    let events = parse_file(&chrome);
    let events = events.as_array().unwrap();
    let process = events.iter().find(|e| e["name"] == "process_name").unwrap();
    assert_eq!(process["args"]["name"], "orders", "named after the file");
    let origin = spans.iter().map(|s| s.start_time_unix_nano).min().unwrap();
    assert_eq!(process["args"]["time_origin_unix_nano"], origin.to_string());
    for span in spans {
        let event = events
            .iter()
            .find(|e| e["ph"] == "X" && e["args"]["span_id"] == span.span_id().to_string().as_str())
            .unwrap_or_else(|| panic!("no event for {}", span.name));
        assert_eq!(event["name"], &*span.name);
        let nanos = |micros: &Json| (micros.as_f64().unwrap() * 1000.0).round() as u64;
        assert_eq!(nanos(&event["ts"]), span.start_time_unix_nano - origin);
        assert_eq!(
            nanos(&event["dur"]),
            span.end_time_unix_nano - span.start_time_unix_nano
        );
        assert_eq!(event["args"]["trace_id"], span.trace_id().to_string());
    }
    let charge = events.iter().find(|e| e["name"] == "charge").unwrap();
    assert_eq!(charge["args"]["status_message"], "declined");
    let retry = events.iter().find(|e| e["ph"] == "i").unwrap();
    assert_eq!(
        (&retry["name"], &retry["args"]),
        (&json!("retry"), &json!({"attempt": 2}))
    );

    let data = page_data(&html);
    assert_eq!(data["services"], json!(["orders"]));
    let mut names: Vec<&str> = data["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["n"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["charge", "notify", "place_order"]);
    let order = data["spans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["n"] == "place_order")
        .unwrap();
    assert_eq!(
        (&order["k"], &order["a"]),
        (&json!("server"), &json!({"order.id": "ord_1"}))
    );
}

#[test]
fn request_bodies_keep_their_services() {
    let dir = scratch_dir();
    let span = |id: &str, name: &str| {
        json!({"traceId": "5b8aa5a2d2c872e8321cf37308d69df2", "spanId": id, "name": name,
               "kind": 2, "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000002500000"})
    };
    let service = |name: &str| json!({"attributes": [{"key": "service.name", "value": {"stringValue": name}}]});
    let body = json!({"resourceSpans": [
        {"resource": service("api"), "scopeSpans": [{"scope": {"name": "x"}, "spans": [span("0000000000000001", "GET /")]}]},
        {"resource": service("db"), "scopeSpans": [{"spans": [span("0000000000000002", "SELECT")]}]}
    ]});
    let input = dir.join("request.json");
    std::fs::write(&input, serde_json::to_string_pretty(&body).unwrap()).unwrap();
    let chrome = dir.join("request-out.json");
    let output = tracer_view(&[Path::new("--chrome"), &chrome, &input]);
    assert!(output.status.success(), "{}", stderr(&output));
    let events = parse_file(&chrome);
    let names: Vec<(&Json, &Json, &Json)> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                &e["ph"],
                &e["pid"],
                if e["ph"] == "M" { &e["args"]["name"] } else { &e["name"] },
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            (&json!("M"), &json!(1), &json!("api")),
            (&json!("M"), &json!(1), &json!("lane 1")),
            (&json!("X"), &json!(1), &json!("GET /")),
            (&json!("M"), &json!(2), &json!("db")),
            (&json!("M"), &json!(2), &json!("lane 1")),
            (&json!("X"), &json!(2), &json!("SELECT")),
        ]
    );
    let get = &events[2];
    assert_eq!(
        (&get["ts"], &get["dur"], &get["cat"]),
        (&json!(0), &json!(2500), &json!("server"))
    );
}

#[test]
fn bad_input_names_the_file_and_line_and_exits_with_2() {
    let (input, _) = recorded();
    let dir = scratch_dir();
    let text = std::fs::read_to_string(input).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(2, r#"{"traceId": "5b8aa5a2d2c872e8321cf37308d69df2", "spanId": "xyz"}"#);
    let bad = dir.join("bad.jsonl");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let html = dir.join("bad.html");
    let output = tracer_view(&[Path::new("--html"), &html, &bad]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        format!(
            "tracer-view: {}:3: spanId: id has the wrong length: \"xyz\" (16 hex digits)\n",
            bad.display()
        )
    );
    assert!(!html.exists(), "no page from bad input");

    let broken = dir.join("broken.jsonl");
    std::fs::write(&broken, format!("{}\n{{\"traceId\": \n", lines[0])).unwrap();
    let output = tracer_view(&[Path::new("--html"), &html, &broken]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        format!("tracer-view: {}:3:0: EOF while parsing a value\n", broken.display())
    );

    let missing = dir.join("missing.jsonl");
    let output = tracer_view(&[Path::new("--html"), &html, &missing]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).starts_with(&format!("tracer-view: {}: ", missing.display())));
}

#[test]
fn bad_arguments_exit_with_2_and_an_unwritable_output_with_1() {
    let (input, _) = recorded();
    let output = tracer_view(&[input]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).starts_with("tracer-view: give --html OUT.html, --chrome OUT.json or both\n"));
    let output = tracer_view(&[Path::new("--pdf"), input]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).starts_with("tracer-view: unknown option --pdf\n"));
    let output = tracer_view(&[Path::new("--html")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).starts_with("tracer-view: --html needs an output file\n"));

    let nowhere = scratch_dir().join("no-such-dir").join("out.html");
    let output = tracer_view(&[Path::new("--html"), &nowhere, input]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).starts_with(&format!("tracer-view: cannot write {}: ", nowhere.display())));

    let output = tracer_view(&[Path::new("--help")]);
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("usage: tracer-view"));
}
