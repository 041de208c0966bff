//! What every contender must deliver, and the check that it did.
//!
//! Exporters count every span they receive. While capturing (the check
//! before the timed runs) they also turn each span into a [`Rec`], and
//! [`check`] compares the captured traces with the workload's shape: span
//! count per trace, depth, attributes and events.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::Workload;

/// The attributes each flat100_attrs child carries: a `&str`, an `i64` and
/// a `bool`.
pub const ATTRS: [(&str, &str); 3] = [("s", "str"), ("i", "42"), ("b", "true")];

/// An attribute value as a contender recorded it.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    /// A string.
    Str(String),
    /// An integer.
    I64(i64),
    /// A boolean.
    Bool(bool),
    /// Any other type, as text.
    Other(String),
}

impl Val {
    fn text(&self) -> String {
        match self {
            Val::Str(s) | Val::Other(s) => s.clone(),
            Val::I64(v) => v.to_string(),
            Val::Bool(v) => v.to_string(),
        }
    }
}

/// One delivered span, in a form common to every contender.
#[derive(Clone, Debug)]
pub struct Rec {
    /// The trace it belongs to (`0` when the contender has no trace ids).
    pub trace: u128,
    /// Its id.
    pub id: u64,
    /// Its parent's id, `0` for a root.
    pub parent: u64,
    /// Its name.
    pub name: String,
    /// Its attributes.
    pub attrs: Vec<(String, Val)>,
    /// Its events' names.
    pub events: Vec<String>,
}

/// The counting end of a contender's pipeline, shared with its exporter.
#[derive(Default)]
pub struct Sink {
    spans: AtomicU64,
    capture: AtomicBool,
    captured: Mutex<Vec<Rec>>,
}

impl Sink {
    /// Counts `n` delivered spans.
    #[inline]
    pub fn count(&self, n: usize) {
        self.spans.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Whether spans should also be captured.
    #[inline]
    pub fn capturing(&self) -> bool {
        self.capture.load(Ordering::Relaxed)
    }

    /// Keeps captured spans.
    pub fn keep(&self, recs: impl IntoIterator<Item = Rec>) {
        self.captured.lock().unwrap().extend(recs);
    }

    /// Spans delivered so far.
    pub fn delivered(&self) -> u64 {
        self.spans.load(Ordering::Relaxed)
    }

    /// Starts capturing.
    pub fn start_capture(&self) {
        self.captured.lock().unwrap().clear();
        self.capture.store(true, Ordering::Relaxed);
    }

    /// Stops capturing and returns what was captured.
    pub fn stop_capture(&self) -> Vec<Rec> {
        self.capture.store(false, Ordering::Relaxed);
        std::mem::take(&mut *self.captured.lock().unwrap())
    }
}

/// Checks `recs`, the capture of `traces` traces of `workload`, of which a
/// sampling policy dropped `sampled_out` spans on purpose: they must be
/// whole traces, and the others delivered whole. `typed` asks for the
/// attributes' own types (fastrace keeps only strings).
pub fn check(workload: Workload, traces: usize, recs: &[Rec], sampled_out: usize, typed: bool) -> Result<(), String> {
    let expected = workload.spans_per_trace() * traces;
    if recs.len() + sampled_out != expected {
        let sampled = if sampled_out > 0 {
            format!(" (and {sampled_out} sampled out)")
        } else {
            String::new()
        };
        return Err(format!("delivered {} spans{sampled}, expected {expected}", recs.len()));
    }
    if expected == 0 {
        return Ok(());
    }
    let per_trace = workload.spans_per_trace();
    if !sampled_out.is_multiple_of(per_trace) {
        return Err(format!(
            "{sampled_out} spans sampled out: not whole traces of {per_trace}"
        ));
    }
    let kept = traces - sampled_out / per_trace;
    let mut by_trace: HashMap<u128, Vec<&Rec>> = HashMap::new();
    for rec in recs {
        by_trace.entry(rec.trace).or_default().push(rec);
    }
    if by_trace.len() != kept {
        return Err(format!("{} traces, expected {kept}", by_trace.len()));
    }
    for spans in by_trace.values() {
        check_trace(workload, spans, typed)?;
    }
    Ok(())
}

fn check_trace(workload: Workload, spans: &[&Rec], typed: bool) -> Result<(), String> {
    let per_trace = workload.spans_per_trace();
    if spans.len() != per_trace {
        return Err(format!("a trace has {} spans, expected {per_trace}", spans.len()));
    }
    let by_id: HashMap<u64, &Rec> = spans.iter().map(|r| (r.id, *r)).collect();
    if by_id.len() != spans.len() {
        return Err("span ids repeat within a trace".into());
    }
    let roots: Vec<&&Rec> = spans.iter().filter(|r| r.parent == 0).collect();
    if roots.len() != 1 {
        return Err(format!("{} roots in a trace, expected 1", roots.len()));
    }
    let root_id = roots[0].id;
    // Each span's depth, from its parent's: one walk per chain, not per
    // span (a 10,000-deep chain would otherwise take 10^8 steps).
    let mut depths: HashMap<u64, usize> = HashMap::with_capacity(spans.len());
    depths.insert(root_id, 0);
    let mut max_depth = 0;
    for rec in spans {
        let mut path = Vec::new();
        let mut at = *rec;
        while !depths.contains_key(&at.id) {
            path.push(at.id);
            if path.len() > per_trace {
                return Err("parent cycle".into());
            }
            at = by_id
                .get(&at.parent)
                .ok_or_else(|| format!("span {:?} has a parent outside its trace", rec.name))?;
        }
        let mut depth = depths[&at.id];
        for id in path.into_iter().rev() {
            depth += 1;
            depths.insert(id, depth);
        }
        max_depth = max_depth.max(depths[&rec.id]);
    }
    if workload.is_flat() {
        if max_depth != 1 {
            return Err(format!("depth {max_depth}, expected 1 (siblings)"));
        }
        for rec in spans.iter().filter(|r| r.id != root_id) {
            check_attrs(rec, typed)?;
            if rec.events != ["e"] {
                return Err(format!("child events {:?}, expected [\"e\"]", rec.events));
            }
        }
    } else if max_depth != per_trace - 1 {
        return Err(format!("depth {max_depth}, expected {} (a chain)", per_trace - 1));
    }
    Ok(())
}

fn check_attrs(rec: &Rec, typed: bool) -> Result<(), String> {
    if rec.attrs.len() != ATTRS.len() {
        return Err(format!("child attributes {:?}, expected {ATTRS:?}", rec.attrs));
    }
    for (key, text) in ATTRS {
        let Some((_, value)) = rec.attrs.iter().find(|(k, _)| k == key) else {
            return Err(format!("attribute {key} missing: {:?}", rec.attrs));
        };
        if value.text() != text {
            return Err(format!("attribute {key} = {value:?}, expected {text}"));
        }
        let right_type = match key {
            "s" => matches!(value, Val::Str(_)),
            "i" => matches!(value, Val::I64(_)),
            _ => matches!(value, Val::Bool(_)),
        };
        if typed && !right_type {
            return Err(format!("attribute {key} = {value:?} has the wrong type"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::{Rec, Sink, Val, check};
    use crate::contenders::Contender;
    use crate::{SPANS, Workload};

    /// A correct capture of `traces` traces of `workload`, root first in
    /// each trace: trace ids count from 1, span ids from 1 across the
    /// capture, so `recs[t * SPANS]` is trace `t + 1`'s root and, in a
    /// chain, `recs[t * SPANS + k]` is at depth `k`. Each rejection test
    /// breaks one thing in it, so that nothing else can be what fails.
    fn capture(workload: Workload, traces: usize) -> Vec<Rec> {
        let mut recs = Vec::new();
        let mut next = 1;
        for trace in 1..=traces as u128 {
            let root = next;
            for k in 0..workload.spans_per_trace() {
                let id = next;
                next += 1;
                let child = k > 0 && workload.is_flat();
                recs.push(Rec {
                    trace,
                    id,
                    parent: match k {
                        0 => 0,
                        _ if workload.is_flat() => root,
                        _ => id - 1,
                    },
                    name: if k == 0 { "root" } else { "child" }.into(),
                    attrs: if child {
                        vec![
                            ("s".into(), Val::Str("str".into())),
                            ("i".into(), Val::I64(42)),
                            ("b".into(), Val::Bool(true)),
                        ]
                    } else {
                        Vec::new()
                    },
                    events: if child { vec!["e".into()] } else { Vec::new() },
                });
            }
        }
        recs
    }

    /// The error `check` gives for two traces of `workload`, typed;
    /// panics if it accepts them.
    fn rejected(workload: Workload, recs: &[Rec]) -> String {
        check(workload, 2, recs, 0, true).expect_err("check accepted a broken capture")
    }

    /// Whether `text` has every one of `words` (error texts are matched on
    /// their stable key words, not whole).
    fn says(text: &str, words: &[&str]) -> bool {
        words.iter().all(|w| text.contains(w))
    }

    #[test]
    fn accepts_correct_chains() {
        for workload in [
            Workload::Nested,
            Workload::Threads,
            Workload::MacroSync,
            Workload::MacroAsync,
            Workload::Async100,
        ] {
            let recs = capture(workload, 2);
            assert_eq!(recs.len(), 2 * SPANS);
            assert_eq!(check(workload, 2, &recs, 0, true), Ok(()), "{workload:?}");
            // Delivery order does not matter: children close first.
            let reversed: Vec<Rec> = recs.into_iter().rev().collect();
            assert_eq!(check(workload, 2, &reversed, 0, true), Ok(()), "{workload:?}");
        }
    }

    #[test]
    fn accepts_correct_flat_attrs() {
        let recs = capture(Workload::Flat, 2);
        assert_eq!(check(Workload::Flat, 2, &recs, 0, true), Ok(()));
        assert_eq!(check(Workload::Flat, 2, &recs, 0, false), Ok(()));
    }

    #[test]
    fn unsampled_and_off_must_deliver_nothing() {
        for workload in [Workload::Unsampled, Workload::Off] {
            assert_eq!(check(workload, 20, &[], 0, true), Ok(()));
            // A sampler that says no, or no pipeline, delivers no span.
            let stray = capture(Workload::Nested, 1);
            let err = check(workload, 20, &stray[..1], 0, true).unwrap_err();
            assert!(says(&err, &["delivered 1 spans", "expected 0"]), "{err}");
        }
    }

    #[test]
    fn accepts_whole_traces_sampled_out() {
        // Three traces: the second dropped by a sampling policy.
        let mut recs = capture(Workload::Nested, 3);
        recs.drain(SPANS..2 * SPANS);
        assert_eq!(check(Workload::Nested, 3, &recs, SPANS, true), Ok(()));
        // All of them.
        assert_eq!(check(Workload::Threads, 3, &[], 3 * SPANS, true), Ok(()));
    }

    #[test]
    fn rejects_sampling_that_is_not_of_whole_traces() {
        // A span dropped from a kept trace, counted as sampled out.
        let mut recs = capture(Workload::Nested, 2);
        recs.remove(SPANS + 7);
        let err = check(Workload::Nested, 2, &recs, 1, true).unwrap_err();
        assert!(says(&err, &["1 spans sampled out", "not whole traces of 101"]), "{err}");
        // A trace dropped but not counted, or counted but delivered.
        let mut recs = capture(Workload::Nested, 2);
        recs.truncate(SPANS);
        let err = check(Workload::Nested, 2, &recs, 0, true).unwrap_err();
        assert!(says(&err, &["delivered 101 spans", "expected 202"]), "{err}");
        let recs = capture(Workload::Nested, 2);
        let err = check(Workload::Nested, 2, &recs, SPANS, true).unwrap_err();
        assert!(
            says(&err, &["delivered 202 spans (and 101 sampled out)", "expected 202"]),
            "{err}"
        );
        // Whole counts, but a kept trace split: half of each of two traces.
        let mut recs = capture(Workload::Nested, 3);
        recs.drain(SPANS / 2..SPANS / 2 + SPANS);
        let err = check(Workload::Nested, 3, &recs, SPANS, true).unwrap_err();
        assert!(says(&err, &["3 traces", "expected 2"]), "{err}");
    }

    #[test]
    fn rejects_a_missing_span() {
        for workload in [Workload::Nested, Workload::Flat] {
            let mut recs = capture(workload, 2);
            recs.remove(SPANS + 7);
            let err = rejected(workload, &recs);
            assert!(says(&err, &["delivered 201 spans", "expected 202"]), "{err}");
        }
    }

    #[test]
    fn rejects_the_wrong_trace_count() {
        // The right number of spans, all in one trace.
        let mut recs = capture(Workload::Nested, 2);
        recs.iter_mut().for_each(|r| r.trace = 1);
        let err = rejected(Workload::Nested, &recs);
        assert!(says(&err, &["1 traces", "expected 2"]), "{err}");
        // Or spread over three.
        let mut recs = capture(Workload::Nested, 2);
        recs[SPANS + 50].trace = 3;
        let err = rejected(Workload::Nested, &recs);
        assert!(says(&err, &["3 traces", "expected 2"]), "{err}");
        // Or two traces, one a span short and the other a span over.
        let mut recs = capture(Workload::Nested, 2);
        recs[SPANS + 100].trace = 1;
        let err = rejected(Workload::Nested, &recs);
        assert!(says(&err, &["a trace has", "spans, expected 101"]), "{err}");
    }

    #[test]
    fn rejects_two_roots() {
        for workload in [Workload::Nested, Workload::Flat] {
            let mut recs = capture(workload, 2);
            recs[SPANS + 30].parent = 0;
            let err = rejected(workload, &recs);
            assert!(says(&err, &["2 roots in a trace", "expected 1"]), "{err}");
        }
        // And none at all: a root that points at one of its children.
        let mut recs = capture(Workload::Flat, 2);
        recs[0].parent = recs[1].id;
        let err = rejected(Workload::Flat, &recs);
        assert!(says(&err, &["0 roots in a trace"]), "{err}");
    }

    #[test]
    fn rejects_a_parent_outside_the_trace() {
        for workload in [Workload::Nested, Workload::Flat] {
            let mut recs = capture(workload, 2);
            // A context leaked from the other trace.
            recs[SPANS + 100].parent = recs[5].id;
            let err = rejected(workload, &recs);
            assert!(says(&err, &["parent outside its trace"]), "{err}");
            // Or a parent never delivered.
            let mut recs = capture(workload, 2);
            recs[60].parent = 999_999;
            let err = rejected(workload, &recs);
            assert!(says(&err, &["parent outside its trace"]), "{err}");
        }
    }

    #[test]
    fn rejects_repeated_span_ids() {
        for workload in [Workload::Nested, Workload::Flat] {
            let mut recs = capture(workload, 2);
            recs[SPANS + 100].id = recs[SPANS + 40].id;
            let err = rejected(workload, &recs);
            assert!(says(&err, &["span ids repeat"]), "{err}");
        }
    }

    #[test]
    fn rejects_a_parent_cycle() {
        // One root, and the chain's first child points at its last.
        let mut recs = capture(Workload::Nested, 2);
        recs[1].parent = recs[100].id;
        let err = rejected(Workload::Nested, &recs);
        assert!(says(&err, &["parent cycle"]), "{err}");
    }

    #[test]
    fn rejects_a_chain_too_shallow() {
        // The nested shape delivered flat: every child under the root.
        let mut recs = capture(Workload::Nested, 2);
        for r in &mut recs[SPANS + 1..] {
            r.parent = (SPANS + 1) as u64;
        }
        let err = rejected(Workload::Nested, &recs);
        assert!(says(&err, &["depth 1", "expected 100 (a chain)"]), "{err}");
        // One level short: the deepest span a sibling of its parent.
        let mut recs = capture(Workload::Nested, 2);
        recs[100].parent = recs[98].id;
        let err = rejected(Workload::Nested, &recs);
        assert!(says(&err, &["depth 99", "expected 100 (a chain)"]), "{err}");
    }

    #[test]
    fn rejects_flat_delivered_as_a_chain() {
        let mut recs = capture(Workload::Flat, 2);
        for k in 2..SPANS {
            recs[k].parent = recs[k - 1].id;
        }
        let err = rejected(Workload::Flat, &recs);
        assert!(says(&err, &["depth 100", "expected 1 (siblings)"]), "{err}");
        // One child under a sibling is enough.
        let mut recs = capture(Workload::Flat, 2);
        recs[SPANS + 9].parent = recs[SPANS + 8].id;
        let err = rejected(Workload::Flat, &recs);
        assert!(says(&err, &["depth 2", "expected 1 (siblings)"]), "{err}");
    }

    #[test]
    fn rejects_a_missing_attribute() {
        let mut recs = capture(Workload::Flat, 2);
        recs[SPANS + 3].attrs.retain(|(k, _)| k != "b");
        let err = rejected(Workload::Flat, &recs);
        assert!(says(&err, &["child attributes", "expected"]), "{err}");
        // Three attributes, but not the three asked for.
        let mut recs = capture(Workload::Flat, 2);
        recs[SPANS + 3].attrs[2].0 = "x".into();
        let err = rejected(Workload::Flat, &recs);
        assert!(says(&err, &["attribute b missing"]), "{err}");
        // Or an extra one.
        let mut recs = capture(Workload::Flat, 2);
        recs[SPANS + 3].attrs.push(("x".into(), Val::Bool(true)));
        let err = rejected(Workload::Flat, &recs);
        assert!(says(&err, &["child attributes"]), "{err}");
    }

    #[test]
    fn rejects_a_wrong_value() {
        for (index, value, words) in [
            (0, Val::Str("STR".into()), ["attribute s", "expected str"]),
            (1, Val::I64(43), ["attribute i", "expected 42"]),
            (2, Val::Bool(false), ["attribute b", "expected true"]),
        ] {
            for typed in [true, false] {
                let mut recs = capture(Workload::Flat, 2);
                recs[77].attrs[index].1 = value.clone();
                let err = check(Workload::Flat, 2, &recs, 0, typed).unwrap_err();
                assert!(says(&err, &words), "{err}");
            }
        }
        // Untyped still compares the text.
        let mut recs = capture(Workload::Flat, 2);
        recs[77].attrs[1].1 = Val::Str("43".into());
        let err = check(Workload::Flat, 2, &recs, 0, false).unwrap_err();
        assert!(says(&err, &["attribute i", "expected 42"]), "{err}");
    }

    #[test]
    fn types_count_only_when_typed() {
        for (index, value) in [
            (0, Val::Other("str".into())),
            (1, Val::Str("42".into())),
            (1, Val::Other("42".into())),
            (2, Val::Str("true".into())),
        ] {
            let mut recs = capture(Workload::Flat, 2);
            recs[SPANS + 50].attrs[index].1 = value.clone();
            let err = check(Workload::Flat, 2, &recs, 0, true).unwrap_err();
            assert!(says(&err, &["has the wrong type"]), "{value:?}: {err}");
            // fastrace keeps strings: the text is all it can be held to.
            assert_eq!(check(Workload::Flat, 2, &recs, 0, false), Ok(()), "{value:?}");
        }
        // A whole capture the way fastrace delivers it.
        let mut recs = capture(Workload::Flat, 2);
        for r in &mut recs {
            for (_, v) in &mut r.attrs {
                *v = Val::Str(v.text());
            }
        }
        assert_eq!(check(Workload::Flat, 2, &recs, 0, false), Ok(()));
        assert!(check(Workload::Flat, 2, &recs, 0, true).is_err());
    }

    #[test]
    fn rejects_missing_or_extra_events() {
        let cases: [(&[&str], &str); 3] = [(&[], "[]"), (&["e", "e"], "[\"e\", \"e\"]"), (&["f"], "[\"f\"]")];
        for (events, shown) in cases {
            let mut recs = capture(Workload::Flat, 2);
            recs[SPANS + 99].events = events.iter().map(|e| e.to_string()).collect();
            let err = rejected(Workload::Flat, &recs);
            assert!(says(&err, &["child events", shown, "expected [\"e\"]"]), "{err}");
        }
    }

    /// A contender that delivers a correct capture short of `lose` spans
    /// per run, to show that the harness's own check and measurement
    /// (main.rs) catch loss, not only [`check`] on a hand-made capture.
    struct Lossy {
        sink: Sink,
        lose: usize,
        runs: AtomicU64,
    }

    impl Contender for Lossy {
        fn name(&self) -> &'static str {
            "lossy"
        }
        fn run(&self, workload: Workload, traces: usize) {
            self.runs.fetch_add(1, Ordering::Relaxed);
            let mut recs = capture(workload, traces);
            recs.truncate(recs.len().saturating_sub(self.lose));
            self.sink.count(recs.len());
            if self.sink.capturing() {
                self.sink.keep(recs);
            }
        }
        fn flush(&self) {}
        fn sink(&self) -> Option<&Sink> {
            Some(&self.sink)
        }
    }

    fn lossy(lose: usize) -> &'static Lossy {
        Box::leak(Box::new(Lossy {
            sink: Sink::default(),
            lose,
            runs: AtomicU64::new(0),
        }))
    }

    #[test]
    fn harness_catches_lost_spans() {
        for workload in [Workload::Nested, Workload::Flat] {
            // The control: the same contender losing nothing passes both.
            let whole = lossy(0);
            assert_eq!(crate::check(whole, workload), Ok(()));
            assert!(crate::measure(whole, workload, 10).is_ok());
            assert_eq!(whole.runs.load(Ordering::Relaxed), 2);

            let short = lossy(1);
            let err = crate::check(short, workload).unwrap_err();
            assert!(says(&err, &["delivered 2019 spans", "expected 2020"]), "{err}");
            let err = crate::measure(short, workload, 10).unwrap_err();
            assert!(says(&err, &["lost spans", "delivered 1009 of 1010"]), "{err}");
        }
    }
}
