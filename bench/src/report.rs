//! The parent process: runs the children, gathers their results and prints
//! the tables (Markdown) and the targets.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::process::Command;

use crate::contenders::NAMES;
use crate::{Workload, run_child};

/// What to run.
pub struct Options {
    quick: bool,
    callgrind: bool,
    rss: bool,
    workloads: Vec<Workload>,
    only: Option<String>,
}

impl Options {
    /// Parses `[--quick] [--callgrind] [--no-rss] [--workloads a,b] [--only c]`.
    pub fn parse(args: &[String]) -> Options {
        let mut options = Options {
            quick: false,
            callgrind: false,
            rss: true,
            workloads: Workload::ALL.to_vec(),
            only: None,
        };
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            match arg.as_str() {
                "--quick" => options.quick = true,
                "--callgrind" => options.callgrind = true,
                "--no-rss" => options.rss = false,
                "--workloads" => {
                    let list = rest.next().unwrap_or_else(|| crate::usage());
                    options.workloads = list
                        .split(',')
                        .map(|w| Workload::parse(w).unwrap_or_else(|| crate::usage()))
                        .collect();
                }
                "--only" => options.only = Some(rest.next().unwrap_or_else(|| crate::usage()).clone()),
                _ => crate::usage(),
            }
        }
        options
    }

    fn contenders(&self) -> Vec<&'static str> {
        NAMES
            .into_iter()
            .filter(|n| self.only.as_deref().is_none_or(|only| only == *n))
            .collect()
    }
}

/// One contender's result on one workload.
#[derive(Clone, Debug)]
struct Row {
    median_ns: f64,
    min_ns: f64,
    max_ns: f64,
    allocations: f64,
    status: String,
}

type Results = HashMap<(String, String), Row>;

/// Per contender on `threads`: its two-thread throughput over its
/// single-thread throughput, from repetitions paired in time.
type Scaling = HashMap<String, f64>;

/// Rounds of work per level that make the no-tracing loop take about as
/// long per level as tracer takes per span on one thread (about 40 ns on
/// a 2-vCPU VM).
const COMPUTE_WORK: u64 = 300;

/// `threads` scaling from child processes of one contender each, alternated:
/// tracer alone, then the no-tracing loop with [`COMPUTE_WORK`] per level
/// (code that shares nothing: the machine's ceiling), [`ALTERNATIONS`] times.
/// Alone, tracer's two threads share the cores with no other library's
/// background threads (fastrace's collector, the OpenTelemetry export
/// threads), and alternating puts the machine's drift (large on a shared VM)
/// on both alike. Each entry is one child's median.
#[derive(Default)]
struct Alternated {
    tracer: Vec<f64>,
    compute: Vec<f64>,
    /// The compute-only loop's ns per level on one thread, per child.
    compute_single_ns: Vec<f64>,
}

/// Pairs of alternated children (see [`Alternated`]).
const ALTERNATIONS: usize = 6;

/// The median (the lower of the middle two for an even count) and the
/// range of `values`.
fn spread(values: &[f64]) -> (f64, f64, f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted
        .get(sorted.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(f64::NAN);
    let min = sorted.first().copied().unwrap_or(f64::NAN);
    let max = sorted.last().copied().unwrap_or(f64::NAN);
    (median, min, max)
}

fn wall(options: &Options) -> (Results, Scaling, Alternated) {
    let (traces, reps) = if options.quick { (200, 5) } else { (1000, 15) };
    let mut results = Results::new();
    let mut scaling = Scaling::new();
    let mut alternated = Alternated::default();
    for workload in &options.workloads {
        eprintln!("running {} ...", workload.name());
        // Twice the traces for `threads`: a repetition of 1,000 traces on
        // two threads takes about a millisecond, in which the final flush
        // weighs several percent. Not more: fastrace's per-thread queue
        // (10,240 commands, drained by a collector thread that gets no core
        // while both threads run) loses spans from 4,000 traces.
        let traces = if *workload == Workload::Threads {
            traces * 2
        } else {
            traces
        };
        let args = [
            "child".to_string(),
            workload.name().to_string(),
            "--traces".into(),
            traces.to_string(),
            "--reps".into(),
            reps.to_string(),
        ];
        let mut children: Vec<Vec<String>> = vec![
            options
                .only
                .iter()
                .flat_map(|only| ["--only".to_string(), only.clone()])
                .collect(),
        ];
        // tracer_tail and tracer_scoped need a process of their own: a
        // process installs one tracer provider, and one that sets a default
        // provider changes every span start in it.
        for own in ["tracer_tail", "tracer_scoped"] {
            if options.only.is_none() && crate::contenders::takes_part(own, *workload) {
                children.push(vec!["--only".to_string(), own.to_string()]);
            }
        }
        let lines: Vec<String> = children
            .iter()
            .flat_map(|only| {
                let args: Vec<String> = args.iter().chain(only).cloned().collect();
                run_child(&args).lines().map(String::from).collect::<Vec<_>>()
            })
            .collect();
        for line in &lines {
            let fields: Vec<&str> = line.split('\t').collect();
            if fields.len() == 8 && fields[0] == "@result" {
                let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
                let row = Row {
                    median_ns: num(fields[3]),
                    min_ns: num(fields[4]),
                    max_ns: num(fields[5]),
                    allocations: num(fields[6]),
                    status: fields[7].to_string(),
                };
                if row.status != "ok" {
                    eprintln!("  {}: {}", fields[2], row.status);
                }
                results.insert((fields[1].to_string(), fields[2].to_string()), row);
            } else if fields.len() == 4 && fields[0] == "@scaling" {
                scaling.insert(fields[2].to_string(), fields[3].parse().unwrap_or(f64::NAN));
            }
        }
        if *workload == Workload::Threads && options.only.as_deref().is_none_or(|c| c == "tracer") {
            eprintln!("running threads, tracer and the compute-only loop alone, alternated ...");
            // Twice the traces again: one contender's queue only.
            let traces = (traces * 2).to_string();
            let reps = reps.to_string();
            let child = |extra: &[&str]| {
                let mut args: Vec<String> = ["child", "threads", "--traces", &traces, "--reps", &reps]
                    .map(String::from)
                    .into();
                args.extend(extra.iter().map(|a| a.to_string()));
                let out = run_child(&args);
                let field = |kind: &str| {
                    out.lines()
                        .map(|line| line.split('\t').collect::<Vec<_>>())
                        .find(|f| f.first() == Some(&kind))
                        .and_then(|f| f.get(3).and_then(|x| x.parse::<f64>().ok()))
                };
                (field("@result"), field("@scaling"))
            };
            let work = COMPUTE_WORK.to_string();
            for _ in 0..if options.quick { 2 } else { ALTERNATIONS } {
                if let (_, Some(scale)) = child(&["--only", "tracer"]) {
                    alternated.tracer.push(scale);
                }
                if let (Some(both), Some(scale)) = child(&["--only", "baseline", "--work", &work]) {
                    alternated.compute.push(scale);
                    alternated.compute_single_ns.push(both * scale);
                }
            }
        }
    }
    (results, scaling, alternated)
}

/// Instructions per span under callgrind: the measured repetition's
/// instructions on every thread (export threads included), dumped on their
/// own through client requests (the second of two dumps), over its spans.
fn instructions(workload: Workload, contender: &str) -> Option<f64> {
    const TRACES: usize = 200;
    let exe = std::env::current_exe().ok()?;
    let out = std::env::temp_dir().join(format!("bench-callgrind-{}.out", std::process::id()));
    let output = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(&exe)
        .args(["child", workload.name(), "--only", contender, "--single", "--traces"])
        .arg(TRACES.to_string())
        .output()
        .ok()?;
    // `.1` holds everything before the window, `.2` the window.
    let before = out.with_extension("out.1");
    let dump = out.with_extension("out.2");
    let text = std::fs::read_to_string(&dump).unwrap_or_default();
    for file in [&out, &before, &dump] {
        let _ = std::fs::remove_file(file);
    }
    if !output.status.success() {
        eprint!("{}", String::from_utf8_lossy(&output.stderr));
        return None;
    }
    let total = text
        .lines()
        .find_map(|l| l.strip_prefix("totals:").or_else(|| l.strip_prefix("summary:")))?
        .trim()
        .parse::<f64>()
        .ok()?;
    Some(total / (workload.traces_per_rep(TRACES) * workload.spans_made()) as f64)
}

type Instructions = HashMap<(String, String), f64>;

fn callgrind(options: &Options) -> Instructions {
    let mut table = Instructions::new();
    for workload in &options.workloads {
        for contender in options.contenders() {
            if !crate::contenders::takes_part(contender, *workload) {
                continue;
            }
            eprintln!("callgrind {} {contender} ...", workload.name());
            if let Some(n) = instructions(*workload, contender) {
                table.insert((workload.name().to_string(), contender.to_string()), n);
            }
        }
    }
    table
}

/// `bench callgrind`: the instructions table alone.
pub fn callgrind_table(options: &Options) {
    let table = callgrind(options);
    print!("{}", instructions_markdown(options, &table));
}

fn ratio(value: f64, reference: f64) -> String {
    if value.is_finite() && reference.is_finite() && reference > 0.0 {
        format!("{:.2}×", value / reference)
    } else {
        "–".into()
    }
}

/// A table's caption, header row (`first` heads the row names) and
/// alignment row, one column per contender.
fn table_start(caption: &str, first: &str, contenders: &[&str]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{caption}\n");
    let _ = writeln!(out, "| {first} | {} |", contenders.join(" | "));
    let _ = writeln!(out, "|---|{}", "---:|".repeat(contenders.len()));
    out
}

/// A table with a row per workload and a column per contender; `cell`
/// formats one contender's figure on one workload.
fn workload_table(options: &Options, caption: &str, cell: impl Fn(&str, &str) -> String) -> String {
    let contenders = options.contenders();
    let mut out = table_start(caption, "workload", &contenders);
    for workload in &options.workloads {
        let w = workload.name();
        let cells: Vec<String> = contenders.iter().map(|c| cell(w, c)).collect();
        let _ = writeln!(out, "| {w} | {} |", cells.join(" | "));
    }
    out
}

/// A figure with its ratio to fastrace's, except for fastrace itself and
/// the no-tracing loop.
fn with_ratio(contender: &str, value: f64, fastrace: f64, decimals: usize) -> String {
    if contender == "fastrace" || contender == "baseline" {
        format!("{value:.decimals$}")
    } else {
        format!("{value:.decimals$} ({})", ratio(value, fastrace))
    }
}

fn wall_markdown(options: &Options, results: &Results) -> String {
    let row = |w: &str, c: &str| results.get(&(w.to_string(), c.to_string()));
    workload_table(
        options,
        "Median wall time per span in ns (ratio to fastrace); `threads` is wall time over both threads' spans.",
        |w, c| match row(w, c) {
            None => "n/a".into(),
            Some(r) if r.status != "ok" => "FAIL".into(),
            Some(r) => with_ratio(c, r.median_ns, row(w, "fastrace").map_or(f64::NAN, |f| f.median_ns), 1),
        },
    )
}

/// How each contender scales from one thread to two.
fn scaling_markdown(options: &Options, scaling: &Scaling, alternated: &Alternated) -> String {
    let contenders = options.contenders();
    let mut out = table_start(
        "`threads`: throughput on 2 threads over the same contender's throughput on 1 (median of repetitions paired in time). \
         The no-tracing loop (baseline) takes about a nanosecond per level, so its figure is mostly the harness's fixed costs.",
        "",
        &contenders,
    );
    let cells: Vec<String> = contenders
        .iter()
        .map(|c| scaling.get(*c).map_or("n/a".into(), |x| format!("{x:.2}×")))
        .collect();
    let _ = writeln!(out, "| scaling | {} |", cells.join(" | "));
    if !alternated.tracer.is_empty() {
        let (tracer, tracer_min, tracer_max) = spread(&alternated.tracer);
        let (compute, compute_min, compute_max) = spread(&alternated.compute);
        let (single_ns, _, _) = spread(&alternated.compute_single_ns);
        let _ = writeln!(
            out,
            "\nAlone in their own processes, {} children of each, alternated (median of the children's medians, and range): \
             tracer {tracer:.2}× ({tracer_min:.2}–{tracer_max:.2}×); the machine's ceiling, the no-tracing loop doing \
             register-only work per level (`bench child threads --only baseline --work {COMPUTE_WORK}`, {single_ns:.0} ns \
             per level on one thread), {compute:.2}× ({compute_min:.2}–{compute_max:.2}×).",
            alternated.tracer.len()
        );
    }
    out
}

fn allocations_markdown(options: &Options, results: &Results) -> String {
    workload_table(
        options,
        "Heap allocations per span (all threads, flush included).",
        |w, c| match results.get(&(w.to_string(), c.to_string())) {
            Some(row) if row.status == "ok" => format!("{:.3}", row.allocations),
            Some(_) => "FAIL".into(),
            None => "n/a".into(),
        },
    )
}

fn instructions_markdown(options: &Options, table: &Instructions) -> String {
    let count = |w: &str, c: &str| table.get(&(w.to_string(), c.to_string())).copied();
    workload_table(
        options,
        "Instructions per span under callgrind, all threads (ratio to fastrace).",
        |w, c| match count(w, c) {
            None => "n/a".into(),
            Some(n) => with_ratio(c, n, count(w, "fastrace").unwrap_or(f64::NAN), 0),
        },
    )
}

fn targets_markdown(
    results: &Results,
    scaling: &Scaling,
    alternated: &Alternated,
    instructions: &Instructions,
) -> String {
    let get = |w: &str, c: &str| {
        results
            .get(&(w.to_string(), c.to_string()))
            .filter(|r| r.status == "ok")
            .map_or(f64::NAN, |r| r.median_ns)
    };
    let instr = |w: &str, c: &str| instructions.get(&(w.to_string(), c.to_string())).copied();
    let mut rows: Vec<(String, f64, &str, bool)> = Vec::new();
    let mut at_most = |name: String, value: f64, limit: f64| {
        rows.push((name, value, "≤", value <= limit));
    };
    // fastrace with no reporter still records every span and drops it at
    // its collector, so for `off` it is compared at its cheapest way of not
    // recording: the lower of its `off` and `unsampled` figures.
    let reference = |w: &str, value: &dyn Fn(&str, &str) -> f64| {
        let own = value(w, "fastrace");
        if w == "off" {
            own.min(value("unsampled", "fastrace"))
        } else {
            own
        }
    };
    let instr_or_nan = |w: &str, c: &str| instr(w, c).unwrap_or(f64::NAN);
    for (w, limit) in [
        ("nested100", 0.5),
        ("flat100_attrs", 0.5),
        ("unsampled", 0.25),
        ("off", 0.25),
    ] {
        let note = if w == "off" {
            " (its cheaper of off/unsampled)"
        } else {
            ""
        };
        at_most(
            format!("{w}: wall ≤ {limit}× fastrace{note}"),
            get(w, "tracer") / reference(w, &get),
            limit,
        );
        if instr(w, "tracer").is_some() {
            at_most(
                format!("{w}: instructions ≤ {limit}× fastrace{note}"),
                instr_or_nan(w, "tracer") / reference(w, &instr_or_nan),
                limit,
            );
        }
    }
    // Every other documented way of making a span, by the same targets
    // (instructions, where measured).
    for form in ["tracer_entered", "tracer_builder", "tracer_in_scope"] {
        for (w, limit) in [("nested100", 0.5), ("unsampled", 0.25), ("off", 0.25)] {
            if instr(w, form).is_some() {
                let note = if w == "off" {
                    " (its cheaper of off/unsampled)"
                } else {
                    ""
                };
                at_most(
                    format!("{w}: {form} instructions ≤ {limit}× fastrace{note}"),
                    instr_or_nan(w, form) / reference(w, &instr_or_nan),
                    limit,
                );
            }
        }
    }
    // Async spans: each async form at most twice a sync span's instructions,
    // and a quarter of fastrace's on the tokio chain.
    for form in ["tracer", "tracer_future"] {
        if instr("macro_async", form).is_some() && instr("macro_sync", "tracer").is_some() {
            at_most(
                format!("macro_async: {form} instructions ≤ 2× a #[trace] sync span's"),
                instr_or_nan("macro_async", form) / instr_or_nan("macro_sync", "tracer"),
                2.0,
            );
        }
        if instr("async100", form).is_some() {
            at_most(
                format!("async100: {form} instructions ≤ 0.25× fastrace"),
                instr_or_nan("async100", form) / instr_or_nan("async100", "fastrace"),
                0.25,
            );
        }
    }
    // Tail sampling (errors and 1%) against the batch processor alone.
    for w in ["nested100", "threads"] {
        if instr(w, "tracer_tail").is_some() {
            at_most(
                format!("{w}: instructions with tail sampling ≤ 1.2× tracer's"),
                instr_or_nan(w, "tracer_tail") / instr_or_nan(w, "tracer"),
                1.2,
            );
        }
    }
    // A default provider (`set_default`) against the installed one.
    for w in [
        "nested100",
        "flat100_attrs",
        "unsampled",
        "threads",
        "deep",
        "macro_sync",
        "macro_async",
        "async100",
    ] {
        if instr(w, "tracer_scoped").is_some() && instr(w, "tracer").is_some() {
            at_most(
                format!("{w}: instructions under a default provider ≤ 1.05× tracer's"),
                instr_or_nan(w, "tracer_scoped") / instr_or_nan(w, "tracer"),
                1.05,
            );
        }
    }
    // Throughput ratios: spans per second is the inverse of ns per span.
    // The paired figure when the `threads` child measured it.
    let in_process = scaling
        .get("tracer")
        .copied()
        .unwrap_or_else(|| get("nested100", "tracer") / get("threads", "tracer"));
    // Alone and alternated when measured (see `Alternated`).
    let (own, note) = if alternated.tracer.is_empty() {
        (in_process, String::new())
    } else {
        let (compute, _, _) = spread(&alternated.compute);
        let note = format!(
            " (median of {} children alone; compute-only loop: {compute:.2}×; with every contender in one process: {in_process:.2}×)",
            alternated.tracer.len()
        );
        (spread(&alternated.tracer).0, note)
    };
    rows.push((
        format!("threads: ≥ 1.8× tracer's single-thread throughput{note}"),
        own,
        "≥",
        own >= 1.8,
    ));
    let peer = get("threads", "fastrace") / get("threads", "tracer");
    rows.push(("threads: ≥ 1.5× fastrace's throughput".into(), peer, "≥", peer >= 1.5));
    // Depth costs nothing per span: a 10,000-deep chain against the
    // 100-deep one, tracer against itself.
    if let (Some(deep), Some(shallow)) = (instr("deep", "tracer"), instr("nested100", "tracer")) {
        let ratio = deep / shallow;
        rows.push((
            "deep: instructions ≤ 1.5× tracer's nested100".into(),
            ratio,
            "≤",
            ratio <= 1.5,
        ));
    }
    // The bridge against the layer it stands in for, on the same `tracing`
    // code. The registry alone (tracing_noop) sets a floor under both.
    for w in ["nested100", "flat100_attrs", "macro_async", "async100"] {
        if let Some(bridge) = instr(w, "tracing+bridge") {
            let ratio = bridge / instr_or_nan(w, "tracing+otel");
            rows.push((
                format!("{w}: tracing+bridge instructions ≤ 0.2× tracing+otel"),
                ratio,
                "≤",
                ratio <= 0.2,
            ));
        }
    }
    let mut out = String::new();
    let _ = writeln!(out, "| target | measured | met |");
    let _ = writeln!(out, "|---|---:|:---:|");
    for (name, value, _, met) in rows {
        let _ = writeln!(out, "| {name} | {value:.2}× | {} |", if met { "yes" } else { "**no**" });
    }
    let lost: Vec<String> = results
        .iter()
        .filter(|(_, r)| r.status != "ok")
        .map(|((w, c), r)| format!("{c} on {w}: {}", r.status))
        .collect();
    for contender in ["tracer", "tracing+bridge"] {
        let contender_lost = lost.iter().any(|l| l.starts_with(&format!("{contender} ")));
        let _ = writeln!(
            out,
            "| no span lost ({contender}) | {} | {} |",
            if contender_lost { "lost" } else { "0 lost" },
            if contender_lost { "**no**" } else { "yes" }
        );
    }
    let allocs: Vec<String> = ["nested100", "flat100_attrs", "macro_sync"]
        .iter()
        .filter_map(|w| results.get(&(w.to_string(), "tracer".to_string())))
        .map(|r| format!("{:.3}", r.allocations))
        .collect();
    let zero = !allocs.is_empty() && allocs.iter().all(|a| a.parse::<f64>().is_ok_and(|a| a < 0.005));
    let _ = writeln!(
        out,
        "| 0 allocations per span (nested100, flat100_attrs, macro_sync) | {} | {} |",
        allocs.join(" / "),
        if zero { "yes" } else { "**no**" }
    );
    for line in lost {
        let _ = writeln!(out, "\nFAILED: {line}");
    }
    out
}

/// Resident set size of this process, in KiB.
pub fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4
}

fn rss(contenders: &[&str]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Resident memory (MiB) over 10 million nested100 spans, and the heap the program holds at the end \
         (counted by the bench's allocator: RSS also shows memory the allocator keeps after it is freed)."
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| contender | RSS after 1M spans | after 5M | after 10M | live heap after 10M |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|");
    // The nested100 shape: the contenders that take part in it.
    let measured = contenders
        .iter()
        .filter(|n| **n != "baseline" && crate::contenders::takes_part(n, Workload::Nested));
    for name in measured {
        eprintln!("rss {name} ...");
        let stdout = run_child(&["rss-child".to_string(), name.to_string()]);
        let line = stdout
            .lines()
            .find(|l| l.starts_with("@rss"))
            .unwrap_or("@rss\t?\tFAIL no output");
        let fields: Vec<&str> = line.split('\t').skip(2).collect();
        let cells: Vec<String> = fields
            .iter()
            .map(|f| {
                f.parse::<f64>()
                    .map_or(f.to_string(), |kib| format!("{:.1}", kib / 1024.0))
            })
            .collect();
        let _ = writeln!(out, "| {name} | {} |", cells.join(" | "));
    }
    out
}

/// `bench rss [contenders]`.
pub fn rss_table(names: &[String]) {
    let names: Vec<&str> = if names.is_empty() {
        NAMES.to_vec()
    } else {
        names.iter().map(String::as_str).collect()
    };
    print!("{}", rss(&names));
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown CPU".to_string(), |m| m.trim().to_string());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |kib| kib / 1024 / 1024);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{model}, {cores} cores, {memory} GiB, Linux {}", kernel.trim())
}

/// `bench`: every table.
pub fn everything(options: &Options) {
    let (results, scaling, alternated) = wall(options);
    let instructions = if options.callgrind {
        callgrind(options)
    } else {
        Instructions::new()
    };
    println!("Machine: {}\n", machine());
    println!("{}", wall_markdown(options, &results));
    if !scaling.is_empty() {
        println!("{}", scaling_markdown(options, &scaling, &alternated));
    }
    if options.callgrind {
        println!("{}", instructions_markdown(options, &instructions));
    }
    println!("{}", allocations_markdown(options, &results));
    if options.rss {
        println!("{}", rss(&options.contenders()));
    }
    if options.only.is_none() || options.only.as_deref() == Some("tracer") {
        let (traces, reps) = if options.quick { (2_000, 3) } else { (10_000, 5) };
        println!("{}", crate::writers::markdown(&crate::writers::measure(traces, reps)));
    }
    println!("Targets (tracer):\n");
    println!("{}", targets_markdown(&results, &scaling, &alternated, &instructions));
    let spread: Vec<String> = results
        .iter()
        .filter(|(_, r)| r.status == "ok" && r.median_ns > 0.0)
        .map(|((w, c), r)| format!("{w}/{c} {:.0}–{:.0}", r.min_ns, r.max_ns))
        .collect();
    eprintln!("min–max ns/span per repetition: {}", spread.join(", "));
}

#[cfg(test)]
mod tests {
    use super::{Alternated, Instructions, Results, Row, Scaling, targets_markdown};

    /// Synthetic results: every (workload, contender, median ns) given,
    /// with `status` "ok" and no allocations.
    fn results(rows: &[(&str, &str, f64)]) -> Results {
        rows.iter()
            .map(|&(w, c, median_ns)| {
                let row = Row {
                    median_ns,
                    min_ns: median_ns,
                    max_ns: median_ns,
                    allocations: 0.0,
                    status: "ok".into(),
                };
                ((w.to_string(), c.to_string()), row)
            })
            .collect()
    }

    /// The `met` cell ("yes" or "**no**") of the one targets row whose
    /// name starts with `target`; panics if there is not exactly one.
    fn met(table: &str, target: &str) -> String {
        let rows: Vec<&str> = table
            .lines()
            .filter(|l| l.strip_prefix("| ").is_some_and(|l| l.starts_with(target)))
            .collect();
        assert_eq!(rows.len(), 1, "rows for {target:?} in\n{table}");
        let cells: Vec<&str> = rows[0].trim_matches('|').split('|').map(str::trim).collect();
        cells.last().unwrap().to_string()
    }

    fn targets(results: &Results, scaling: &Scaling, alternated: &Alternated) -> String {
        targets_markdown(results, scaling, alternated, &Instructions::new())
    }

    #[test]
    fn wall_ratios_inside_the_bound_are_met() {
        for (tracer, verdict) in [(40.0, "yes"), (50.0, "yes"), (60.0, "**no**")] {
            let r = results(&[("nested100", "tracer", tracer), ("nested100", "fastrace", 100.0)]);
            let table = targets(&r, &Scaling::new(), &Alternated::default());
            assert_eq!(
                met(&table, "nested100: wall ≤ 0.5× fastrace"),
                verdict,
                "{tracer}\n{table}"
            );
        }
        for (tracer, verdict) in [(25.0, "yes"), (26.0, "**no**")] {
            let r = results(&[("unsampled", "tracer", tracer), ("unsampled", "fastrace", 100.0)]);
            let table = targets(&r, &Scaling::new(), &Alternated::default());
            assert_eq!(
                met(&table, "unsampled: wall ≤ 0.25× fastrace"),
                verdict,
                "{tracer}\n{table}"
            );
        }
    }

    #[test]
    fn the_bridge_is_held_to_a_fifth_of_tracing_opentelemetry() {
        let instructions = |bridge: f64| {
            let mut table = Instructions::new();
            table.insert(("nested100".into(), "tracing+bridge".into()), bridge);
            table.insert(("nested100".into(), "tracing+otel".into()), 1000.0);
            table
        };
        for (bridge, verdict) in [(200.0, "yes"), (201.0, "**no**")] {
            let table = targets_markdown(
                &Results::new(),
                &Scaling::new(),
                &Alternated::default(),
                &instructions(bridge),
            );
            assert_eq!(
                met(&table, "nested100: tracing+bridge instructions ≤ 0.2× tracing+otel"),
                verdict,
                "{table}"
            );
        }
        let mut r = results(&[("nested100", "tracing+bridge", 10.0)]);
        r.get_mut(&("nested100".into(), "tracing+bridge".into()))
            .unwrap()
            .status = "FAIL lost spans".into();
        let table = targets(&r, &Scaling::new(), &Alternated::default());
        assert_eq!(met(&table, "no span lost (tracing+bridge)"), "**no**", "{table}");
        assert_eq!(met(&table, "no span lost (tracer)"), "yes", "{table}");
    }

    #[test]
    fn missing_or_failed_figures_are_not_met() {
        // No figures at all: NaN ratios, which must not read as met.
        let table = targets(&Results::new(), &Scaling::new(), &Alternated::default());
        for target in [
            "nested100: wall",
            "flat100_attrs: wall",
            "threads: ≥ 1.8×",
            "threads: ≥ 1.5×",
        ] {
            assert_eq!(met(&table, target), "**no**", "{target}\n{table}");
        }
        // A failed tracer row is not timed, whatever its figure says.
        let mut r = results(&[("flat100_attrs", "tracer", 10.0), ("flat100_attrs", "fastrace", 100.0)]);
        r.get_mut(&("flat100_attrs".into(), "tracer".into())).unwrap().status = "FAIL lost spans".into();
        let table = targets(&r, &Scaling::new(), &Alternated::default());
        assert_eq!(met(&table, "flat100_attrs: wall"), "**no**", "{table}");
    }

    #[test]
    fn off_compares_with_fastraces_cheaper_of_off_and_unsampled() {
        let r = results(&[
            ("off", "tracer", 10.0),
            ("off", "fastrace", 100.0),
            ("unsampled", "fastrace", 20.0),
        ]);
        let table = targets(&r, &Scaling::new(), &Alternated::default());
        // 10 / 20, not 10 / 100.
        assert_eq!(met(&table, "off: wall"), "**no**", "{table}");
        assert!(table.contains("| 0.50× |"), "{table}");
    }

    #[test]
    fn instructions_rows_only_when_measured() {
        let r = results(&[("nested100", "tracer", 40.0), ("nested100", "fastrace", 100.0)]);
        let none = targets(&r, &Scaling::new(), &Alternated::default());
        assert!(!none.contains("instructions"), "{none}");
        for (tracer, verdict) in [(280.0, "yes"), (300.0, "**no**")] {
            let instructions: Instructions = [
                (("nested100".to_string(), "tracer".to_string()), tracer),
                (("nested100".to_string(), "fastrace".to_string()), 580.0),
            ]
            .into();
            let table = targets_markdown(&r, &Scaling::new(), &Alternated::default(), &instructions);
            assert_eq!(met(&table, "nested100: instructions"), verdict, "{table}");
        }
    }

    #[test]
    fn tail_sampling_rows_only_when_measured() {
        let r = results(&[("nested100", "tracer", 40.0)]);
        let none = targets(&r, &Scaling::new(), &Alternated::default());
        assert!(!none.contains("tail sampling"), "{none}");
        for (tail, verdict) in [(300.0, "yes"), (360.0, "yes"), (361.0, "**no**")] {
            let instructions: Instructions = [
                (("threads".to_string(), "tracer".to_string()), 300.0),
                (("threads".to_string(), "tracer_tail".to_string()), tail),
            ]
            .into();
            let table = targets_markdown(&r, &Scaling::new(), &Alternated::default(), &instructions);
            assert_eq!(
                met(&table, "threads: instructions with tail sampling"),
                verdict,
                "{tail}\n{table}"
            );
            assert!(!table.contains("nested100: instructions with tail"), "{table}");
        }
    }

    #[test]
    fn threads_scaling_target() {
        let r = results(&[("threads", "tracer", 30.0), ("threads", "fastrace", 60.0)]);
        // The in-process paired figure, when nothing ran alone.
        for (scale, verdict) in [(1.9, "yes"), (1.8, "yes"), (1.7, "**no**")] {
            let scaling: Scaling = [("tracer".to_string(), scale)].into();
            let table = targets(&r, &scaling, &Alternated::default());
            assert_eq!(met(&table, "threads: ≥ 1.8×"), verdict, "{scale}\n{table}");
        }
        // Without it, nested100 throughput over threads throughput.
        let mut r2 = results(&[("threads", "tracer", 20.0), ("nested100", "tracer", 40.0)]);
        let table = targets(&r2, &Scaling::new(), &Alternated::default());
        assert_eq!(met(&table, "threads: ≥ 1.8×"), "yes", "{table}");
        r2.get_mut(&("threads".into(), "tracer".into())).unwrap().median_ns = 25.0;
        let table = targets(&r2, &Scaling::new(), &Alternated::default());
        assert_eq!(met(&table, "threads: ≥ 1.8×"), "**no**", "{table}");
        // Children alone decide when they ran (median: the lower middle),
        // whatever the in-process figure says.
        let scaling: Scaling = [("tracer".to_string(), 1.0)].into();
        for (tracer, verdict) in [(vec![2.0, 1.7, 1.9, 1.8], "yes"), (vec![2.0, 1.7, 1.75, 1.9], "**no**")] {
            let alternated = Alternated {
                tracer,
                compute: vec![2.0],
                compute_single_ns: vec![40.0],
            };
            let table = targets(&r, &scaling, &alternated);
            assert_eq!(met(&table, "threads: ≥ 1.8×"), verdict, "{table}");
        }
    }

    #[test]
    fn threads_against_fastrace_target() {
        for (tracer, verdict) in [(30.0, "yes"), (40.0, "yes"), (50.0, "**no**")] {
            let r = results(&[("threads", "tracer", tracer), ("threads", "fastrace", 60.0)]);
            let table = targets(&r, &Scaling::new(), &Alternated::default());
            assert_eq!(met(&table, "threads: ≥ 1.5× fastrace"), verdict, "{tracer}\n{table}");
        }
    }

    #[test]
    fn no_span_lost_row() {
        let mut r = results(&[
            ("nested100", "tracer", 40.0),
            ("macro_async", "tracer", 40.0),
            ("macro_async", "fastrace", 100.0),
        ]);
        let table = targets(&r, &Scaling::new(), &Alternated::default());
        assert_eq!(met(&table, "no span lost (tracer)"), "yes", "{table}");
        assert!(!table.contains("FAILED"), "{table}");
        // Another contender's loss is reported, but is not tracer's.
        let fail = "FAIL lost spans: delivered 1 of 2".to_string();
        r.get_mut(&("macro_async".into(), "fastrace".into())).unwrap().status = fail.clone();
        let table = targets(&r, &Scaling::new(), &Alternated::default());
        assert_eq!(met(&table, "no span lost (tracer)"), "yes", "{table}");
        assert!(
            table.contains(&format!("FAILED: fastrace on macro_async: {fail}")),
            "{table}"
        );
        // Tracer's is not met, on any workload.
        r.get_mut(&("macro_async".into(), "tracer".into())).unwrap().status = fail.clone();
        let table = targets(&r, &Scaling::new(), &Alternated::default());
        assert_eq!(met(&table, "no span lost (tracer)"), "**no**", "{table}");
        assert!(
            table.contains(&format!("FAILED: tracer on macro_async: {fail}")),
            "{table}"
        );
    }

    #[test]
    fn zero_allocations_row() {
        let mut r = results(&[
            ("nested100", "tracer", 40.0),
            ("flat100_attrs", "tracer", 40.0),
            ("macro_sync", "tracer", 40.0),
        ]);
        let table = targets(&r, &Scaling::new(), &Alternated::default());
        assert_eq!(met(&table, "0 allocations per span"), "yes", "{table}");
        r.get_mut(&("flat100_attrs".into(), "tracer".into()))
            .unwrap()
            .allocations = 0.01;
        let table = targets(&r, &Scaling::new(), &Alternated::default());
        assert_eq!(met(&table, "0 allocations per span"), "**no**", "{table}");
        // Nothing measured is not zero.
        let table = targets(&Results::new(), &Scaling::new(), &Alternated::default());
        assert_eq!(met(&table, "0 allocations per span"), "**no**", "{table}");
    }
}
