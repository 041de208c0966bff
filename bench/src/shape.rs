//! What every contender must deliver, and the check that it did.
//!
//! Exporters count every span they receive. While capturing (the check
//! before the timed runs) they also turn each span into a [`Rec`], and
//! [`check`] compares the captured traces with the workload's shape: span
//! count per trace, depth, attributes and events.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

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

/// Checks `recs`, the capture of `traces` traces of `workload`. `typed`
/// asks for the attributes' own types (fastrace keeps only strings).
pub fn check(workload: Workload, traces: usize, recs: &[Rec], typed: bool) -> Result<(), String> {
    let expected = workload.spans_per_trace() * traces;
    if recs.len() != expected {
        return Err(format!("delivered {} spans, expected {expected}", recs.len()));
    }
    if expected == 0 {
        return Ok(());
    }
    let mut by_trace: HashMap<u128, Vec<&Rec>> = HashMap::new();
    for rec in recs {
        by_trace.entry(rec.trace).or_default().push(rec);
    }
    if by_trace.len() != traces {
        return Err(format!("{} traces, expected {traces}", by_trace.len()));
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
    let mut max_depth = 0;
    for rec in spans {
        let mut depth = 0;
        let mut at = *rec;
        while at.parent != 0 {
            at = by_id
                .get(&at.parent)
                .ok_or_else(|| format!("span {:?} has a parent outside its trace", rec.name))?;
            depth += 1;
            if depth > per_trace {
                return Err("parent cycle".into());
            }
        }
        max_depth = max_depth.max(depth);
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
