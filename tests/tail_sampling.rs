//! Tail sampling through the facade: a provider whose only processor is a
//! `TailSamplingProcessor` (errors, roots slower than an hour, `user.tier =
//! "gold"`, and a tenth of the rest by trace id) in front of an in-memory
//! exporter. Kept traces arrive whole, dropped ones not at all; spans that
//! end before their local root are held for it, and those that end after it
//! follow its decision, on other threads and in tokio tasks.
//!
//! The tests share the provider and its counters, so each takes `SERIAL`
//! and compares the counters before and after, and reads back only its own
//! traces.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Mutex, MutexGuard, OnceLock, mpsc};
use std::time::{Duration, SystemTime};

use tracer::export::InMemoryExporter;
use tracer::processor::{SimpleSpanProcessor, TailSamplingProcessor, TailSamplingStats, TailStatsHandle};
use tracer::{
    FutureExt, Span, SpanContext, SpanData, SpanId, Status, TraceFlags, TraceId, TraceState, TracerProvider, Value,
    in_span,
};

struct Setup {
    exporter: InMemoryExporter,
    stats: TailStatsHandle,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let exporter = InMemoryExporter::new();
        let tail = TailSamplingProcessor::builder(SimpleSpanProcessor::new(exporter.clone()))
            .keep_errors(true)
            .slower_than(Duration::from_secs(3600))
            .keep_if(|spans: &[SpanData]| {
                spans
                    .iter()
                    .any(|s| s.attribute("user.tier") == Some(&Value::from("gold")))
            })
            .ratio(0.1)
            .build();
        let stats = tail.stats_handle();
        let guard = TracerProvider::builder()
            .with_processor(tail)
            .install()
            .expect("the only provider of this binary");
        std::mem::forget(guard);
        Setup { exporter, stats }
    })
}

/// One test at a time: they compare the shared counters.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The ratio rule, written out: a trace id's lower 56 bits below a tenth
/// of 2^56.
fn selected_by_ratio(trace_id: TraceId) -> bool {
    let low_56_bits = trace_id.to_u128() as u64 & 0x00ff_ffff_ffff_ffff;
    low_56_bits < (0.1 * (1u64 << 56) as f64) as u64
}

/// Trace `n` of a family of ids the ratio rule does not select (their low
/// 56 bits start 0xf0), checked with the rule.
fn unselected_id(family: u128, n: u128) -> TraceId {
    let id = TraceId::from_u128(family << 96 | 0x00f0_0000_0000_0000 | n).unwrap();
    assert!(!selected_by_ratio(id));
    id
}

/// A sampled parent from another process, in trace `trace_id`.
fn remote_parent(trace_id: TraceId) -> SpanContext {
    SpanContext::new(
        trace_id,
        SpanId::random(),
        TraceFlags::SAMPLED,
        true,
        TraceState::empty(),
    )
}

/// What the counters moved by since `before`.
fn since(before: TailSamplingStats) -> TailSamplingStats {
    let now = setup().stats.get();
    let mut d = TailSamplingStats::default();
    d.received_spans = now.received_spans - before.received_spans;
    d.passed_spans = now.passed_spans - before.passed_spans;
    d.dropped_spans = now.dropped_spans - before.dropped_spans;
    d.held_spans = now.held_spans;
    d.held_traces = now.held_traces;
    d.kept_error = now.kept_error - before.kept_error;
    d.kept_slow = now.kept_slow - before.kept_slow;
    d.kept_predicate = now.kept_predicate - before.kept_predicate;
    d.kept_ratio = now.kept_ratio - before.kept_ratio;
    d.dropped_traces = now.dropped_traces - before.dropped_traces;
    d.followed_spans = now.followed_spans - before.followed_spans;
    d.forced_by_limits = now.forced_by_limits - before.forced_by_limits;
    d.forced_by_age = now.forced_by_age - before.forced_by_age;
    d
}

/// The exported spans of `traces`, by trace.
fn exported(traces: &BTreeSet<TraceId>) -> BTreeMap<TraceId, Vec<SpanData>> {
    let mut by_trace: BTreeMap<TraceId, Vec<SpanData>> = BTreeMap::new();
    for span in setup().exporter.spans() {
        if traces.contains(&span.trace_id()) {
            by_trace.entry(span.trace_id()).or_default().push(span);
        }
    }
    by_trace
}

/// The one span called `name`.
fn named<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    let found: Vec<&SpanData> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(
        found.len(),
        1,
        "one {name} in {:?}",
        spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    found[0]
}

/// Checks that `spans` are the whole trace: exactly the spans `shape`
/// names, each `(name, parent name)` (`None` for the local root), with
/// their parents' ids.
fn assert_whole(spans: &[SpanData], shape: &[(&str, Option<&str>)]) {
    let mut names: Vec<&str> = spans.iter().map(|s| &*s.name).collect();
    let mut expected: Vec<&str> = shape.iter().map(|(name, _)| *name).collect();
    names.sort_unstable();
    expected.sort_unstable();
    assert_eq!(names, expected);
    for (name, parent) in shape {
        let span = named(spans, name);
        match parent {
            Some(parent) => assert_eq!(span.parent_span_id, Some(named(spans, parent).span_id()), "{name}"),
            None => assert!(
                span.parent_span_id.is_none() || span.parent_is_remote,
                "{name} is the local root"
            ),
        }
    }
}

/// The shape of the traces of the first test.
const STEPS: [(&str, Option<&str>); 4] = [
    ("root", None),
    ("step1", Some("root")),
    ("step2", Some("step1")),
    ("step3", Some("root")),
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Plain,
    Failed,
    Slow,
}

/// The steps under the current root: `step2` fails in one of three ways
/// for a failed trace.
fn steps(kind: Kind, n: usize) {
    in_span("step1", |_| {
        if kind == Kind::Failed && n % 3 == 1 {
            // A panic: the span ends with the error "panicked".
            let caught = std::panic::catch_unwind(|| in_span("step2", |_| panic!("step2 failed")));
            assert!(caught.is_err());
        } else {
            in_span("step2", |step| {
                if kind == Kind::Failed && n % 3 == 0 {
                    step.set_status(Status::error("step2 failed"));
                }
            });
        }
    });
    if kind == Kind::Failed && n % 3 == 2 {
        // A future dropped before it completes: `cancelled = true`.
        let mut future = std::pin::pin!(std::future::pending::<()>().in_span(Span::new("step3")));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(future.as_mut().poll(&mut cx).is_pending());
    } else {
        in_span("step3", |_| {});
    }
}

/// One trace of the first test; returns its id. Even traces have an
/// entered root (the batch holds the root: decided on the spot), odd ones
/// an owned root with explicit times, whose steps are handed over before
/// it ends (held for it).
fn run_trace(n: usize, kind: Kind) -> TraceId {
    let hours_ago = |h: u64| SystemTime::now() - Duration::from_secs(h * 3600);
    if n % 2 == 0 {
        let root = match kind {
            Kind::Slow => Span::builder("root").root().start_time(hours_ago(2)).entered(),
            _ => Span::root("root").entered(),
        };
        steps(kind, n / 100);
        root.trace_id().unwrap()
    } else {
        let start = hours_ago(3);
        let root = Span::builder("root").root().start_time(start).start();
        let trace_id = root.trace_id().unwrap();
        root.in_scope(|| steps(kind, n / 100));
        let took = if kind == Kind::Slow {
            Duration::from_secs(2 * 3600)
        } else {
            Duration::from_millis(1)
        };
        root.finish_at(start + took);
        trace_id
    }
}

#[test]
fn failed_and_slow_traces_arrive_whole_and_the_ratio_keeps_exactly_its_trace_ids() {
    let _serial = serial();
    let before = setup().stats.get();
    let mut all = BTreeSet::new();
    let mut failed_or_slow = BTreeSet::new();
    for n in 0..1000 {
        // One failed and one slow trace in each hundred, with entered and
        // owned roots by turns (`n` even and odd).
        let turn = (n / 100) % 2;
        let kind = match n % 100 {
            k if k == 7 + turn => Kind::Failed,
            k if k == 42 + turn => Kind::Slow,
            _ => Kind::Plain,
        };
        let trace_id = run_trace(n, kind);
        all.insert(trace_id);
        if kind != Kind::Plain {
            failed_or_slow.insert(trace_id);
        }
    }
    assert_eq!((all.len(), failed_or_slow.len()), (1000, 20));
    let by_ratio: BTreeSet<TraceId> = all
        .iter()
        .copied()
        .filter(|id| !failed_or_slow.contains(id) && selected_by_ratio(*id))
        .collect();
    let expected: BTreeSet<TraceId> = failed_or_slow.union(&by_ratio).copied().collect();

    let arrived = exported(&all);
    assert_eq!(arrived.keys().copied().collect::<BTreeSet<_>>(), expected);
    for spans in arrived.values() {
        assert_whole(spans, &STEPS);
    }
    let kept = expected.len() as u64;
    let moved = since(before);
    assert_eq!(
        (
            moved.kept_error,
            moved.kept_slow,
            moved.kept_predicate,
            moved.kept_ratio
        ),
        (10, 10, 0, by_ratio.len() as u64)
    );
    assert_eq!(moved.dropped_traces, 1000 - kept);
    assert_eq!((moved.passed_spans, moved.dropped_spans), (4 * kept, 4 * (1000 - kept)));
    assert_eq!((moved.held_traces, moved.held_spans, moved.followed_spans), (0, 0, 0));
}

#[test]
fn the_predicate_keeps_what_it_picks_under_a_remote_parent() {
    let _serial = serial();
    let before = setup().stats.get();
    let mut gold = BTreeSet::new();
    let mut all = BTreeSet::new();
    for n in 0..20 {
        let trace_id = unselected_id(0x901d, n);
        all.insert(trace_id);
        let request = Span::child_of("request", &remote_parent(trace_id)).entered();
        in_span("lookup", |lookup| {
            let tier = if n % 5 == 0 { "gold" } else { "silver" };
            lookup.set_attribute("user.tier", tier);
        });
        drop(request);
        if n % 5 == 0 {
            gold.insert(trace_id);
        }
    }
    let arrived = exported(&all);
    assert_eq!(arrived.keys().copied().collect::<BTreeSet<_>>(), gold);
    for spans in arrived.values() {
        assert_whole(spans, &[("request", None), ("lookup", Some("request"))]);
        assert!(named(spans, "request").parent_is_remote);
    }
    let moved = since(before);
    assert_eq!(
        (moved.kept_predicate, moved.dropped_traces, moved.kept_ratio),
        (4, 16, 0)
    );
}

#[test]
fn spans_on_other_threads_before_and_after_the_root_follow_its_trace() {
    let _serial = serial();
    let before = setup().stats.get();
    let mut all = BTreeSet::new();
    let mut failed = BTreeSet::new();
    for n in 0..10 {
        let trace_id = unselected_id(0x7ead, n);
        all.insert(trace_id);
        let root = Span::child_of("request", &remote_parent(trace_id)).entered();
        let context = root.context().unwrap();
        // Ends before the root, on another thread: held until the root.
        std::thread::scope(|s| {
            s.spawn(|| {
                let _early = Span::child_of("early", &context).entered();
                in_span("early_inner", |_| {});
            });
        });
        // Ends after the root, on another thread: follows its decision.
        let (go, wait) = mpsc::channel::<()>();
        let late_context = context.clone();
        let late = std::thread::spawn(move || {
            let late = Span::child_of("late", &late_context).entered();
            wait.recv().unwrap();
            drop(late);
        });
        if n % 2 == 0 {
            root.set_status(Status::error("request failed"));
            failed.insert(trace_id);
        }
        drop(root);
        go.send(()).unwrap();
        late.join().unwrap();
    }
    let arrived = exported(&all);
    assert_eq!(arrived.keys().copied().collect::<BTreeSet<_>>(), failed);
    for spans in arrived.values() {
        assert_whole(
            spans,
            &[
                ("request", None),
                ("early", Some("request")),
                ("early_inner", Some("early")),
                ("late", Some("request")),
            ],
        );
    }
    let moved = since(before);
    assert_eq!((moved.kept_error, moved.dropped_traces), (5, 5));
    assert_eq!(moved.followed_spans, 10, "one late span per trace");
    assert_eq!((moved.passed_spans, moved.dropped_spans), (20, 20));
    assert_eq!((moved.held_traces, moved.held_spans), (0, 0));
}

#[test]
fn tasks_before_and_after_the_root_follow_its_trace() {
    let _serial = serial();
    let before = setup().stats.get();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let mut all = BTreeSet::new();
    let mut failed = BTreeSet::new();
    runtime.block_on(async {
        let mut requests = Vec::new();
        for n in 0..40 {
            let trace_id = unselected_id(0xa51c, n);
            all.insert(trace_id);
            if n % 4 == 0 {
                failed.insert(trace_id);
            }
            let request = async move {
                // A task that ends before the request.
                let child = tokio::spawn(
                    async {
                        tokio::task::yield_now().await;
                    }
                    .in_span(Span::new("child_task")),
                );
                child.await.unwrap();
                in_span("step", |step| {
                    if n % 4 == 0 {
                        step.set_status(Status::error("step failed"));
                    }
                });
                tokio::task::yield_now().await;
                // A task that ends after it: it waits for the signal sent
                // once the request is done.
                let (go, wait) = tokio::sync::oneshot::channel::<()>();
                let late = tokio::spawn(
                    async move {
                        wait.await.unwrap();
                    }
                    .in_span(Span::new("late_task")),
                );
                (go, late)
            }
            .in_span(Span::child_of("request", &remote_parent(trace_id)));
            requests.push(tokio::spawn(request));
        }
        for request in requests {
            let (go, late) = request.await.unwrap();
            go.send(()).unwrap();
            late.await.unwrap();
        }
    });
    drop(runtime);
    let arrived = exported(&all);
    assert_eq!(arrived.keys().copied().collect::<BTreeSet<_>>(), failed);
    for spans in arrived.values() {
        assert_whole(
            spans,
            &[
                ("request", None),
                ("child_task", Some("request")),
                ("step", Some("request")),
                ("late_task", Some("request")),
            ],
        );
    }
    let moved = since(before);
    assert_eq!((moved.kept_error, moved.dropped_traces), (10, 30));
    assert_eq!(moved.followed_spans, 40, "one late task per trace");
    assert_eq!((moved.passed_spans, moved.dropped_spans), (40, 120));
    assert_eq!((moved.held_traces, moved.held_spans), (0, 0));
}
