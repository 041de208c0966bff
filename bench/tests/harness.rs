//! Runs the real benchmark binary as `bench child <workload>`, small (20
//! traces, one repetition), and checks what it reports: every contender
//! that takes part prints a result, and the ones that must deliver every
//! span correctly do. Timings are not judged here (debug build, shared
//! machine); only the checks and the report's format.

use std::collections::HashMap;
use std::process::{Command, Output};

/// The workloads, as main.rs names them (checked against `bench --help`).
const WORKLOADS: [&str; 9] = [
    "nested100",
    "flat100_attrs",
    "unsampled",
    "off",
    "threads",
    "macro_sync",
    "macro_async",
    "async100",
    "deep",
];

/// The contenders, as contenders/mod.rs names them.
const CONTENDERS: [&str; 13] = [
    "tracer",
    "tracer_entered",
    "tracer_builder",
    "tracer_in_scope",
    "tracer_future",
    "tracer_scoped",
    "tracer_tail",
    "fastrace",
    "tracing+otel",
    "tracing+bridge",
    "otel_sdk",
    "tracing_noop",
    "baseline",
];

/// Runs the bench binary with `args` and `env`.
fn bench(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run the bench binary")
}

/// One `@result` line.
#[derive(Debug)]
struct Reported {
    median_ns: f64,
    allocations: f64,
    status: String,
}

/// What `bench child <workload> --traces 20 --reps 1 [extra..]` reports,
/// by contender; every `@result` line must be well formed and appear once.
fn child(workload: &str, extra: &[&str], env: &[(&str, &str)]) -> (HashMap<String, Reported>, String) {
    let mut args = vec!["child", workload, "--traces", "20", "--reps", "1"];
    args.extend(extra);
    let output = bench(&args, env);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "bench {args:?}: {}\n{stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let mut results = HashMap::new();
    for line in stdout.lines().filter(|l| l.starts_with("@result")) {
        // @result workload contender median min max allocations status
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 8, "malformed: {line:?}");
        assert_eq!(fields[1], workload, "{line:?}");
        let num = |s: &str| {
            s.parse::<f64>()
                .unwrap_or_else(|_| panic!("not a number: {s:?} in {line:?}"))
        };
        let result = Reported {
            median_ns: num(fields[3]),
            allocations: num(fields[6]),
            status: fields[7].to_string(),
        };
        if result.status == "ok" {
            assert!(result.median_ns > 0.0, "an ok row is timed: {line:?}");
            assert!(result.allocations >= 0.0, "an ok row has allocations: {line:?}");
        }
        let previous = results.insert(fields[2].to_string(), result);
        assert!(previous.is_none(), "two results for {}:\n{stdout}", fields[2]);
    }
    (results, stdout)
}

/// The contenders that take part in `workload` in one child of them all
/// (otel_sdk has no attribute macro; tracer_tail and tracer_scoped run in a
/// child of their own; the bridge with nothing installed would be bare `tracing`,
/// tracing+otel's `off` row).
fn taking_part(workload: &str) -> Vec<&'static str> {
    let macro_chain = workload.starts_with("macro_") || workload == "async100";
    let async_chain = workload == "macro_async" || workload == "async100";
    CONTENDERS
        .into_iter()
        .filter(|c| !(*c == "otel_sdk" && macro_chain) && *c != "tracer_tail" && *c != "tracer_scoped")
        .filter(|c| !(*c == "tracing+bridge" && workload == "off"))
        // The forms: the sync ones outside the macro workloads, the future
        // one in the async one.
        .filter(|c| {
            let sync_form = matches!(*c, "tracer_entered" | "tracer_builder" | "tracer_in_scope");
            let sync_form_out = sync_form && macro_chain;
            let future_form_out = *c == "tracer_future" && !async_chain;
            !sync_form_out && !future_form_out
        })
        .collect()
}

/// The workloads tracer_tail takes part in.
const TAIL_WORKLOADS: [&str; 2] = ["nested100", "threads"];

/// Runs `workload` with every contender and checks the statuses.
fn workload_checks_out(workload: &str) {
    let (results, stdout) = child(workload, &[], &[]);
    let mut printed: Vec<&str> = results.keys().map(String::as_str).collect();
    let mut expected = taking_part(workload);
    printed.sort_unstable();
    expected.sort_unstable();
    assert_eq!(printed, expected, "contenders reporting on {workload}:\n{stdout}");
    for (contender, result) in &results {
        // fastrace drops spans on the async chains under load (its
        // per-thread queue overflows between collector cycles): not held to
        // it here.
        if contender == "fastrace" && (workload == "macro_async" || workload == "async100") {
            continue;
        }
        assert_eq!(result.status, "ok", "{contender} on {workload}:\n{stdout}");
    }
    if workload == "threads" {
        // Each contender's paired scaling figure is reported too.
        for contender in taking_part(workload) {
            let prefix = format!("@scaling\tthreads\t{contender}\t");
            let line = stdout.lines().find(|l| l.starts_with(&prefix));
            let scale = line.and_then(|l| l[prefix.len()..].parse::<f64>().ok());
            assert!(scale.is_some_and(|s| s > 0.0), "{contender}'s scaling:\n{stdout}");
        }
    }
    if workload == "nested100" {
        // The counting allocator is live: opentelemetry_sdk allocates for
        // every span, the no-tracing loop for none.
        assert!(results["otel_sdk"].allocations >= 1.0, "{stdout}");
        assert!(results["baseline"].allocations < 0.01, "{stdout}");
    }
}

#[test]
fn help_lists_the_workloads_and_contenders_tested_here() {
    let output = bench(&["--help"], &[]);
    let help = String::from_utf8_lossy(&output.stderr);
    let list = |label: &str| -> Vec<String> {
        let line = help.lines().find_map(|l| l.strip_prefix(label));
        let line = line.unwrap_or_else(|| panic!("no {label:?} in:\n{help}"));
        line.split(',').map(|n| n.trim().to_string()).collect()
    };
    // A workload or contender added to main.rs must be added here, so
    // that it is tested.
    assert_eq!(list("workloads:"), WORKLOADS, "{help}");
    assert_eq!(list("contenders:"), CONTENDERS, "{help}");
}

#[test]
fn nested100() {
    workload_checks_out("nested100");
}

#[test]
fn flat100_attrs() {
    workload_checks_out("flat100_attrs");
}

#[test]
fn unsampled() {
    workload_checks_out("unsampled");
}

#[test]
fn off() {
    workload_checks_out("off");
}

#[test]
fn threads() {
    workload_checks_out("threads");
}

#[test]
fn macro_sync() {
    workload_checks_out("macro_sync");
}

#[test]
fn macro_async() {
    workload_checks_out("macro_async");
}

#[test]
fn async100() {
    workload_checks_out("async100");
}

#[test]
fn deep() {
    workload_checks_out("deep");
}

/// tracer with tail sampling, alone in its child: on nested100 and threads
/// it delivers the failed traces of the check whole and accounts for every
/// other span (delivered or sampled out); elsewhere it takes no part.
#[test]
fn tracer_tail_runs_alone_where_it_takes_part() {
    for workload in WORKLOADS {
        let (results, stdout) = child(workload, &["--only", "tracer_tail"], &[]);
        if TAIL_WORKLOADS.contains(&workload) {
            let printed: Vec<&str> = results.keys().map(String::as_str).collect();
            assert_eq!(printed, ["tracer_tail"], "{workload}:\n{stdout}");
            assert_eq!(results["tracer_tail"].status, "ok", "{workload}:\n{stdout}");
        } else {
            assert!(results.is_empty(), "{workload}:\n{stdout}");
        }
    }
}

/// tracer under a default provider, alone in its child: every workload with
/// a provider (all but `off`) checks out.
#[test]
fn tracer_scoped_runs_alone_where_it_takes_part() {
    for workload in WORKLOADS {
        let (results, stdout) = child(workload, &["--only", "tracer_scoped"], &[]);
        if workload == "off" {
            assert!(results.is_empty(), "{workload}:\n{stdout}");
        } else {
            let printed: Vec<&str> = results.keys().map(String::as_str).collect();
            assert_eq!(printed, ["tracer_scoped"], "{workload}:\n{stdout}");
            assert_eq!(results["tracer_scoped"].status, "ok", "{workload}:\n{stdout}");
        }
    }
}

/// The binary offers no way to make a contender lose spans (the queues are
/// sized by the harness, overriding `OTEL_BSP_MAX_QUEUE_SIZE`, and the
/// sampler is set in code); but opentelemetry_sdk honours its documented
/// span limits from the environment, which drop events and attributes.
/// The check must catch that, report FAIL, and not time the contender,
/// while tracer, outside OpenTelemetry, stays ok.
#[test]
fn reports_a_contender_that_delivers_less() {
    let (results, stdout) = child("flat100_attrs", &[], &[("OTEL_SPAN_EVENT_COUNT_LIMIT", "0")]);
    for contender in ["otel_sdk", "tracing+otel"] {
        let result = &results[contender];
        assert!(
            result.status.starts_with("FAIL child events []"),
            "{contender}:\n{stdout}"
        );
        assert!(result.median_ns.is_nan(), "a failed contender is not timed:\n{stdout}");
    }
    // tracer's provider is set up in code: through the bridge too.
    assert_eq!(results["tracer"].status, "ok", "{stdout}");
    assert_eq!(results["tracing+bridge"].status, "ok", "{stdout}");

    let limit = [("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "2")];
    let (results, stdout) = child("flat100_attrs", &["--only", "otel_sdk"], &limit);
    assert_eq!(results.len(), 1, "{stdout}");
    assert!(
        results["otel_sdk"].status.starts_with("FAIL child attributes"),
        "{stdout}"
    );
}

/// `bench writers` measures the trace file writers on real spans and
/// prints a figure for each, with the Chrome writer's target.
#[test]
fn writers_prints_each_writer_s_speed() {
    let output = bench(&["writers", "--quick"], &[]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for writer in ["ChromeTraceExporter", "JsonLinesExporter"] {
        let row = stdout
            .lines()
            .find(|l| l.starts_with(&format!("| {writer} |")))
            .unwrap_or_else(|| panic!("no {writer} row in:\n{stdout}"));
        let speed: f64 = row.split('|').nth(2).unwrap().trim().parse().expect("a figure");
        assert!(speed > 0.0, "{row}");
    }
    assert!(stdout.contains("≥ 1.0"), "{stdout}");
}
