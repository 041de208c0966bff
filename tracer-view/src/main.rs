//! `tracer-view`: turns span files into something to look at without a
//! backend.
//!
//! ```text
//! tracer-view --html out.html spans.jsonl
//! tracer-view --chrome out.json spans.jsonl more.json
//! ```
//!
//! Inputs are files written by tracer's `JsonLinesExporter` (one OTLP/JSON
//! span per line) or OTLP/JSON `ExportTraceServiceRequest` bodies (one per
//! file or one per line), `-` for standard input. Outputs: `--html` writes
//! the waterfall page of `HtmlExporter`, `--chrome` the Chrome trace-event
//! file of `ChromeTraceExporter` (for Perfetto and `chrome://tracing`);
//! both may be given.
//!
//! Exit codes: 0 done, 1 an output could not be written, 2 bad arguments
//! or bad input (the message names the file and line).

mod input;
mod otlp_json;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tracer_core::export::{ChromeTraceExporter, HtmlExporter, SpanExporter};

const USAGE: &str = "\
usage: tracer-view [--html OUT.html] [--chrome OUT.json] INPUT...

Reads spans from INPUT files (`-` for standard input): JSON lines written by
tracer's JsonLinesExporter, or OTLP/JSON export requests. Writes:
  --html OUT.html    one self-contained page with a waterfall per trace
  --chrome OUT.json  a Chrome trace-event file for Perfetto or chrome://tracing
Spans of JSON-lines files have no resource: their service is named after the
file (`orders.jsonl` -> `orders`).

Exit codes: 0 done, 1 an output could not be written, 2 bad arguments or input.";

struct Arguments {
    html: Option<PathBuf>,
    chrome: Option<PathBuf>,
    inputs: Vec<String>,
}

/// What went wrong, and the exit code that says so.
enum Failure {
    Usage(String),
    Input(String),
    Output(String),
}

fn parse_arguments(arguments: impl Iterator<Item = String>) -> Result<Option<Arguments>, Failure> {
    let mut parsed = Arguments {
        html: None,
        chrome: None,
        inputs: Vec::new(),
    };
    let mut arguments = arguments.peekable();
    while let Some(argument) = arguments.next() {
        let output = match argument.as_str() {
            "-h" | "--help" => return Ok(None),
            "--html" => &mut parsed.html,
            "--chrome" => &mut parsed.chrome,
            flag if flag.starts_with("--") => return Err(Failure::Usage(format!("unknown option {flag}"))),
            _ => {
                parsed.inputs.push(argument);
                continue;
            }
        };
        let Some(path) = arguments.next() else {
            return Err(Failure::Usage(format!("{argument} needs an output file")));
        };
        if output.replace(PathBuf::from(path)).is_some() {
            return Err(Failure::Usage(format!("{argument} given twice")));
        }
    }
    if parsed.html.is_none() && parsed.chrome.is_none() {
        return Err(Failure::Usage(
            "give --html OUT.html, --chrome OUT.json or both".to_string(),
        ));
    }
    if parsed.inputs.is_empty() {
        return Err(Failure::Usage("give at least one input file".to_string()));
    }
    Ok(Some(parsed))
}

/// The service name for a JSON-lines file's spans: its file stem.
fn service_of(input: &str) -> String {
    if input == "-" {
        return "stdin".to_string();
    }
    Path::new(input)
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_else(|| input.to_string())
}

fn read_input(input: &str) -> Result<Vec<input::Group>, Failure> {
    let mut text = String::new();
    let result = if input == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::File::open(input).and_then(|mut file| file.read_to_string(&mut text).map(|_| ()))
    };
    result.map_err(|e| Failure::Input(format!("{input}: {e}")))?;
    input::read(input, &text, &service_of(input)).map_err(|e| Failure::Input(e.to_string()))
}

fn write_outputs(arguments: &Arguments, groups: &[input::Group]) -> Result<usize, Failure> {
    let output_error =
        |path: &Path, e: &dyn std::fmt::Display| Failure::Output(format!("cannot write {}: {e}", path.display()));
    let mut exporters: Vec<(&Path, Box<dyn SpanExporter>)> = Vec::new();
    if let Some(path) = &arguments.html {
        let exporter = HtmlExporter::create(path).map_err(|e| output_error(path, &e))?;
        exporters.push((path, Box::new(exporter)));
    }
    if let Some(path) = &arguments.chrome {
        // Time 0 is the first span's start.
        let origin = groups
            .iter()
            .flat_map(|(_, spans)| spans.iter().map(|s| s.start_time_unix_nano))
            .min()
            .unwrap_or(0);
        let exporter = ChromeTraceExporter::create(path).map_err(|e| output_error(path, &e))?;
        exporters.push((path, Box::new(exporter.with_time_origin(origin))));
    }
    for (path, exporter) in &mut exporters {
        for (resource, spans) in groups {
            exporter.set_resource(resource);
            exporter.export(spans).map_err(|e| output_error(path, &e))?;
        }
        exporter.shutdown().map_err(|e| output_error(path, &e))?;
    }
    Ok(groups.iter().map(|(_, spans)| spans.len()).sum())
}

fn run() -> Result<(), Failure> {
    let Some(arguments) = parse_arguments(std::env::args().skip(1))? else {
        println!("{USAGE}");
        return Ok(());
    };
    let mut groups = Vec::new();
    for input in &arguments.inputs {
        groups.extend(read_input(input)?);
    }
    let spans = write_outputs(&arguments, &groups)?;
    for path in [&arguments.html, &arguments.chrome].into_iter().flatten() {
        eprintln!("tracer-view: wrote {spans} spans to {}", path.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("tracer-view: {message}\n\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Input(message)) => {
            eprintln!("tracer-view: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Output(message)) => {
            eprintln!("tracer-view: {message}");
            ExitCode::from(1)
        }
    }
}
