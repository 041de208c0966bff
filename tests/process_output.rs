//! What a program prints: `tracer::init()`'s console tree on stdout, and
//! the runtime's warnings (an invalid `OTEL_*` value, the first export
//! failure) on stderr, or through `log` with the `log` feature. Each test
//! runs this binary again as a child process and reads what it printed.

use std::process::Command;

/// The environment variable that tells a child which scenario to run.
const SCENARIO: &str = "TRACER_OUTPUT_SCENARIO";

/// Runs `test` of this binary in a child process with `scenario` set, and
/// returns its stdout and stderr.
fn run_child(test: &str, scenario: &str, env: &[(&str, &str)]) -> (String, String) {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(SCENARIO, scenario);
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn scenario() -> Option<String> {
    std::env::var(SCENARIO).ok()
}

/// With the `log` feature the runtime warns through `log`: a logger that
/// writes its records to stderr, as a program's would.
fn log_to_stderr() {
    #[cfg(feature = "log")]
    {
        struct Stderr;
        impl log::Log for Stderr {
            fn enabled(&self, _: &log::Metadata<'_>) -> bool {
                true
            }
            fn log(&self, record: &log::Record<'_>) {
                eprintln!("{} {}: {}", record.level(), record.target(), record.args());
            }
            fn flush(&self) {}
        }
        log::set_logger(&Stderr).unwrap();
        log::set_max_level(log::LevelFilter::Warn);
    }
}

#[test]
fn init_prints_each_trace_as_a_tree() {
    if scenario().as_deref() == Some("init") {
        let guard = tracer::init();
        {
            let root = tracer::Span::root("checkout").entered();
            root.set_attribute("order_id", "ord_123");
            tracer::in_span("charge", |span| span.set_attribute("amount", 42));
        }
        drop(guard);
        return;
    }
    let (stdout, _) = run_child("init_prints_each_trace_as_a_tree", "init", &[]);
    let lines: Vec<&str> = stdout.lines().collect();
    let root = lines
        .iter()
        .position(|l| l.contains("checkout "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(lines[root].contains("order_id=ord_123"), "{stdout}");
    // The child on the next line, drawn under its parent.
    assert!(
        lines[root + 1].contains("└─ charge ") && lines[root + 1].contains("amount=42"),
        "{stdout}"
    );
}

#[test]
fn init_from_env_reports_an_invalid_value_by_name() {
    if scenario().as_deref() == Some("env") {
        log_to_stderr();
        let guard = tracer::init_from_env();
        drop(guard);
        return;
    }
    let env = [("OTEL_TRACES_EXPORTER", "console"), ("OTEL_BSP_MAX_QUEUE_SIZE", "lots")];
    let (_, stderr) = run_child("init_from_env_reports_an_invalid_value_by_name", "env", &env);
    let warning = stderr
        .lines()
        .find(|l| l.contains("OTEL_BSP_MAX_QUEUE_SIZE"))
        .unwrap_or_else(|| panic!("no warning in:\n{stderr}"));
    assert!(warning.contains("lots"), "{warning}");
}

#[test]
fn the_first_export_failure_is_reported_once() {
    if scenario().as_deref() == Some("failing") {
        log_to_stderr();
        struct Failing;
        impl tracer::export::SpanExporter for Failing {
            fn export(&mut self, _: &[tracer::SpanData]) -> Result<(), tracer::export::ExportError> {
                Err(tracer::export::ExportError::Failed("collector said no".into()))
            }
        }
        let guard = tracer::TracerProvider::builder()
            .with_simple_exporter(Failing)
            .install()
            .unwrap();
        for _ in 0..3 {
            tracer::Span::root("lost").finish();
        }
        let _ = guard.shutdown();
        return;
    }
    let (_, stderr) = run_child("the_first_export_failure_is_reported_once", "failing", &[]);
    let reports: Vec<&str> = stderr.lines().filter(|l| l.contains("collector said no")).collect();
    assert_eq!(reports.len(), 1, "{stderr}");
    assert!(reports[0].contains("span export failed"), "{}", reports[0]);
}
