//! Generates the `macro` workload: chains of 100 nested instrumented
//! functions (`f99` calls `f98` ... calls `f0`), sync and async, for each
//! attribute macro, plus an uninstrumented chain for the baseline.

use std::fmt::Write as _;
use std::path::PathBuf;

/// Length of each chain: the macro workload's 100 nested functions.
const DEPTH: usize = 100;

fn chain(out: &mut String, module: &str, attribute: &str, asyncness: bool) {
    let _ = writeln!(out, "/// A chain of {DEPTH} nested functions.");
    let _ = writeln!(out, "pub mod {module} {{");
    for i in 0..DEPTH {
        let attribute = if attribute.is_empty() {
            "#[inline(never)]".to_string()
        } else {
            attribute.to_string()
        };
        let call = match (i, asyncness) {
            (0, false) => "std::hint::black_box(())".to_string(),
            (0, true) => "crate::chains_leaf::leaf().await".to_string(),
            (_, false) => format!("f{}()", i - 1),
            (_, true) => format!("f{}().await", i - 1),
        };
        let asyncness = if asyncness { "async " } else { "" };
        let _ = writeln!(
            out,
            "    /// Level {i}.\n    {attribute}\n    pub {asyncness}fn f{i}() {{\n        {call}\n    }}"
        );
    }
    let _ = writeln!(out, "}}");
}

/// The async chain of `future.in_span(Span::new("child"))`: every level
/// awaits the one below inside a new span (100 spans, as the macro chains
/// make).
fn in_span_chain(out: &mut String) {
    let _ = writeln!(
        out,
        "/// A chain of {DEPTH} nested futures, each in `in_span(Span::new(..))`."
    );
    let _ = writeln!(out, "pub mod tracer_in_span_async {{");
    for i in 0..DEPTH {
        let inner = if i == 0 {
            "crate::chains_leaf::leaf()".to_string()
        } else {
            format!("f{}()", i - 1)
        };
        let _ = writeln!(
            out,
            "    /// Level {i}.\n    pub async fn f{i}() {{\n        \
             tracer::FutureExt::in_span({inner}, tracer::Span::new(\"child\")).await\n    }}"
        );
    }
    let _ = writeln!(out, "}}");
}

fn main() {
    let mut out = String::new();
    for (name, attribute) in [
        ("tracer", "#[tracer::trace]"),
        ("fastrace", "#[fastrace::trace]"),
        ("tracing", "#[tracing::instrument]"),
        ("plain", ""),
    ] {
        chain(&mut out, &format!("{name}_sync"), attribute, false);
        chain(&mut out, &format!("{name}_async"), attribute, true);
    }
    in_span_chain(&mut out);
    let path = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR")).join("chains.rs");
    std::fs::write(path, out).expect("write chains.rs");
    println!("cargo:rerun-if-changed=build.rs");
}
