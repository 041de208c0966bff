//! Every path through the runtime's unsafe code, checked on the exported
//! spans: records written in place and moved between a span and the
//! thread's buffer, owned spans current for a scope (reached through their
//! stack frame), sampled-out spans, futures polled and dropped, panics, a
//! thread's buffer handed over mid-trace and at thread exit, and buffers
//! reused from the pool, clean and owning heap memory. CI runs this binary
//! under Miri where a nightly toolchain with Miri is present.

use std::future::Future;
use std::pin::pin;
use std::sync::OnceLock;
use std::task::{Context, Poll, Waker};

use tracer::export::InMemoryExporter;
use tracer::{
    FutureExt, Span, SpanData, SpanId, Status, TraceId, TracerProvider, Value, attach, current_span, current_span_id,
    current_trace_id, in_span,
};

/// Fewer rounds under Miri, which runs this code a thousand times slower.
const ROUNDS: usize = if cfg!(miri) { 2 } else { 20 };

fn exporter() -> &'static InMemoryExporter {
    static EXPORTER: OnceLock<InMemoryExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemoryExporter::new();
        // Roots named `dropped…` are sampled out.
        let guard = TracerProvider::builder()
            .sampler(|_: TraceId, _: Option<SpanId>, name: &str| !name.starts_with("dropped"))
            .with_simple_exporter(exporter.clone())
            .install()
            .expect("the only provider of this binary");
        std::mem::forget(guard);
        exporter
    })
}

fn find<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    let found: Vec<_> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(
        found.len(),
        1,
        "one {name} in {:?}",
        spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    found[0]
}

/// Polls `future` to completion on this thread.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

/// A future that is pending once.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if std::mem::replace(&mut self.0, true) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

#[test]
fn records_move_between_owned_spans_and_the_buffer() {
    let exporter = exporter();
    for round in 0..ROUNDS {
        let root = Span::root("root").entered();
        let trace_id = root.trace_id().unwrap();
        // An owned span, boxed, changed, then taken into the buffer.
        let owned = Span::new("owned");
        owned.set_attribute("round", round as i64);
        owned.add_event("event", []);
        drop(owned);
        // An owned span entered: its record moves into the buffer.
        let entered = Span::builder("entered").attribute("k", "v").start().entered();
        assert_eq!(current_span_id(), entered.span_id());
        // Taken back out, moved to another thread, finished there.
        let moved = entered.exit();
        std::thread::spawn(move || {
            moved.set_attribute("on", "worker");
            moved.finish();
        })
        .join()
        .unwrap();
        in_span(format!("owned_name_{round}"), |span| {
            span.set_status(Status::error("failed"))
        });
        drop(root);

        let spans = exporter.trace(trace_id);
        assert_eq!(spans.len(), 4);
        let root = find(&spans, "root").span_id();
        let owned = find(&spans, "owned");
        assert_eq!(owned.parent_span_id, Some(root));
        assert_eq!(owned.attribute("round"), Some(&Value::I64(round as i64)));
        assert_eq!(owned.events[0].name, "event");
        let entered = find(&spans, "entered");
        assert_eq!(entered.parent_span_id, Some(root));
        assert_eq!(entered.attribute("k").and_then(Value::as_str), Some("v"));
        assert_eq!(entered.attribute("on").and_then(Value::as_str), Some("worker"));
        let named = find(&spans, &format!("owned_name_{round}"));
        assert_eq!(named.status, Status::error("failed"));
    }
}

#[test]
fn an_owned_span_current_for_a_scope_is_changed_through_the_stack() {
    let exporter = exporter();
    let span = Span::root("scoped");
    let trace_id = span.trace_id().unwrap();
    span.in_scope(|| {
        // Reaches the owned span's record through its stack frame.
        current_span().set_attribute("inside", true);
        in_span("child", |_| {});
    });
    span.set_attribute("after", 1);
    drop(span);
    let spans = exporter.trace(trace_id);
    let scoped = find(&spans, "scoped");
    assert_eq!(scoped.attribute("inside"), Some(&Value::Bool(true)));
    assert_eq!(scoped.attribute("after"), Some(&Value::I64(1)));
    assert_eq!(find(&spans, "child").parent_span_id, Some(scoped.span_id()));
}

#[test]
fn a_scope_that_ends_under_a_span_left_current_is_found_and_removed() {
    let exporter = exporter();
    // On a thread of its own: the span left current is handed over when
    // the thread exits.
    let trace_id = std::thread::spawn(|| {
        let span = Span::root("outer_scope");
        let trace_id = span.trace_id().unwrap();
        let left_current = span.in_scope(|| {
            let guard = Span::new("left_current").entered();
            let id = guard.span_id();
            std::mem::forget(guard);
            id
        });
        // The scope's frame is gone from under it; it stays current.
        assert_eq!(current_span_id(), left_current);
        in_span("after", |_| {});
        span.set_attribute("still_open", true);
        drop(span);
        assert_eq!(current_span_id(), left_current);
        trace_id
    })
    .join()
    .unwrap();
    let spans = exporter.trace(trace_id);
    let outer = find(&spans, "outer_scope");
    let left = find(&spans, "left_current");
    assert_eq!(outer.attribute("still_open"), Some(&Value::Bool(true)));
    assert_eq!(left.parent_span_id, Some(outer.span_id()));
    assert_eq!(find(&spans, "after").parent_span_id, Some(left.span_id()));
}

#[test]
fn children_ended_under_an_exited_span_are_delivered_once_nothing_is_current() {
    let exporter = exporter();
    let root = Span::root("exited_root").entered();
    let trace_id = root.trace_id().unwrap();
    in_span("ended_before_exit", |_| {});
    let nested = Span::new("exited_inner").entered();
    // Exited out of order: the root under the inner one first (the inner
    // one's record, the buffer's last, moves into the root's place), then
    // the inner one.
    let root = root.exit();
    assert_eq!(current_span_id(), nested.span_id());
    in_span("ended_under_inner", |_| {});
    nested.set_attribute("after_root_exit", true);
    let inner = nested.exit();
    assert_eq!(current_span_id(), None);
    let delivered: Vec<String> = exporter.trace(trace_id).iter().map(|s| s.name.to_string()).collect();
    assert!(delivered.contains(&"ended_before_exit".to_string()), "{delivered:?}");
    assert!(delivered.contains(&"ended_under_inner".to_string()), "{delivered:?}");
    drop(inner);
    drop(root);
    let spans = exporter.trace(trace_id);
    let root = find(&spans, "exited_root");
    let inner = find(&spans, "exited_inner");
    assert_eq!(inner.parent_span_id, Some(root.span_id()));
    assert_eq!(inner.attribute("after_root_exit"), Some(&Value::Bool(true)));
    assert_eq!(
        find(&spans, "ended_under_inner").parent_span_id,
        Some(find(&spans, "exited_inner").span_id())
    );
}

#[test]
fn sampled_out_spans_and_attached_contexts_are_current_but_not_recorded() {
    let exporter = exporter();
    let dropped = Span::root("dropped_root").entered();
    let trace_id = dropped.trace_id().unwrap();
    assert!(!dropped.is_recording());
    in_span("child_of_dropped", |child| {
        assert!(!child.is_recording());
        assert_eq!(current_trace_id(), Some(trace_id));
    });
    // The guard and owned forms under it: nothing recorded, the parent's
    // context current and shown, the parent current again afterwards.
    let root_id = dropped.span_id();
    {
        let entered = Span::new("entered_child_of_dropped").entered();
        assert!(!entered.is_recording());
        assert_eq!(entered.span_id(), root_id);
        assert_eq!(current_span_id(), root_id);
        let owned = Span::new("owned_child_of_dropped");
        assert_eq!(owned.span_id(), root_id);
        owned.in_scope(|| assert_eq!(current_span_id(), root_id));
        let left = entered.exit();
        assert_eq!(left.span_id(), root_id);
    }
    assert_eq!(current_span_id(), root_id);
    let context = dropped.context().unwrap();
    drop(dropped);
    assert_eq!(current_trace_id(), None);
    // The context continues on another thread: still not recorded there.
    std::thread::spawn(move || {
        let _guard = attach(context.clone());
        assert_eq!(current_span_id(), Some(context.span_id()));
        in_span("remote_child", |child| assert!(!child.is_recording()));
    })
    .join()
    .unwrap();
    assert!(exporter.trace(trace_id).is_empty());
}

#[test]
fn futures_carry_their_span_across_polls_and_when_dropped() {
    let exporter = exporter();
    let (trace_id, parent) = block_on(
        async {
            YieldOnce(false).await;
            in_span("in_future", |_| {});
            YieldOnce(false).in_span(Span::new("inner_future")).await;
            (current_trace_id().unwrap(), current_span_id().unwrap())
        }
        .in_span(Span::root("future_root")),
    );
    let spans = exporter.trace(trace_id);
    assert_eq!(find(&spans, "future_root").span_id(), parent);
    assert_eq!(find(&spans, "in_future").parent_span_id, Some(parent));
    assert_eq!(find(&spans, "inner_future").parent_span_id, Some(parent));

    // Dropped after its first poll: finished, marked cancelled.
    let root = Span::root("cancel_root");
    let trace_id = root.trace_id().unwrap();
    {
        let mut future = pin!(YieldOnce(false).in_span(root));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(future.as_mut().poll(&mut cx).is_pending());
    }
    let spans = exporter.trace(trace_id);
    let cancelled = find(&spans, "cancel_root");
    assert_eq!(cancelled.attribute("cancelled"), Some(&Value::Bool(true)));
    assert!(cancelled.end_time_unix_nano >= cancelled.start_time_unix_nano);
}

#[test]
fn a_panic_marks_the_spans_it_unwinds_through() {
    let exporter = exporter();
    let root = Span::root("panic_root");
    let trace_id = root.trace_id().unwrap();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        root.in_scope(|| in_span("panicking", |_| panic!("boom")))
    }));
    assert!(result.is_err());
    drop(root);
    let spans = exporter.trace(trace_id);
    assert_eq!(find(&spans, "panicking").status, Status::error("panicked"));
}

#[test]
fn a_long_trace_hands_over_mid_way_and_buffers_are_reused() {
    let exporter = exporter();
    for round in 0..ROUNDS.min(3) {
        let root = Span::root("long").entered();
        let trace_id = root.trace_id().unwrap();
        // Past the thread's hand-over size while the root stays open, with
        // spans still open across the hand-over.
        let open = Span::new("open_across").entered();
        for i in 0..600 {
            in_span("item", |span| {
                if i % 100 == 0 {
                    span.set_attribute("owned", format!("value {i}"));
                }
            });
        }
        drop(open);
        drop(root);
        let spans = exporter.trace(trace_id);
        assert_eq!(spans.len(), 602, "round {round}");
        let open = find(&spans, "open_across").span_id();
        assert!(
            spans
                .iter()
                .filter(|s| s.name == "item")
                .all(|s| s.parent_span_id == Some(open))
        );
        let owned = spans.iter().filter(|s| s.attribute("owned").is_some()).count();
        assert_eq!(owned, 6);
    }
}

#[test]
fn a_thread_that_exits_with_a_span_open_hands_it_over() {
    let exporter = exporter();
    let trace_id = std::thread::spawn(|| {
        let root = Span::root("left_open").entered();
        in_span("finished_child", |_| {});
        let trace_id = root.trace_id().unwrap();
        // Leaked: the thread's exit closes it.
        std::mem::forget(root);
        trace_id
    })
    .join()
    .unwrap();
    let spans = exporter.trace(trace_id);
    let root = find(&spans, "left_open");
    assert!(root.end_time_unix_nano >= root.start_time_unix_nano);
    assert_eq!(find(&spans, "finished_child").parent_span_id, Some(root.span_id()));
}

#[test]
fn finished_records_between_open_ones_are_compacted_out() {
    let exporter = exporter();
    let root = Span::root("compact_root").entered();
    let trace_id = root.trace_id().unwrap();
    // Finished records first, then a span that stays open, then fewer
    // finished ones: the hand-over at 512 finished records moves the open
    // ones to the front and points the stack at their new places.
    for _ in 0..300 {
        in_span("before", |_| {});
    }
    let open = Span::new("open").entered();
    for _ in 0..212 {
        in_span("after", |_| {});
    }
    // The hand-over has happened: the stack still finds both open spans.
    open.set_attribute("still", "current");
    in_span("last", |_| {});
    drop(open);
    root.set_attribute("root", "ok");
    drop(root);
    let spans = exporter.trace(trace_id);
    assert_eq!(spans.len(), 1 + 300 + 1 + 212 + 1);
    let root = find(&spans, "compact_root");
    assert_eq!(root.attribute("root").and_then(Value::as_str), Some("ok"));
    let open = find(&spans, "open");
    assert_eq!(open.attribute("still").and_then(Value::as_str), Some("current"));
    assert_eq!(open.parent_span_id, Some(root.span_id()));
    assert!(
        spans
            .iter()
            .filter(|s| s.name == "before")
            .all(|s| s.parent_span_id == Some(root.span_id()))
    );
    assert!(
        spans
            .iter()
            .filter(|s| s.name == "after")
            .all(|s| s.parent_span_id == Some(open.span_id()))
    );
    assert_eq!(find(&spans, "last").parent_span_id, Some(open.span_id()));
}

thread_local! {
    static HELD: std::cell::RefCell<Option<tracer::DefaultGuard>> = const { std::cell::RefCell::new(None) };
}

#[test]
fn defaults_swap_the_thread_s_stack_and_buffer_and_bring_them_back() {
    let global = exporter();
    let scoped = InMemoryExporter::new();
    let provider = TracerProvider::builder().with_simple_exporter(scoped.clone()).build();
    for round in 0..ROUNDS {
        let outer = Span::new("global_outer").entered();
        let outer_id = current_span_id();
        let (moved, future) = provider.in_scope(|| {
            let _inside = Span::new("scoped_entered").entered();
            in_span("scoped_child", |_| {});
            // A guard left open ends with the default.
            std::mem::forget(Span::new("scoped_leaked").entered());
            (
                Span::new("scoped_moved"),
                async { in_span("scoped_polled", |_| {}) }.in_span(Span::new("scoped_future")),
            )
        });
        assert_eq!(current_span_id(), outer_id);
        // Finished, made current and polled on another thread, which has
        // no default: each reports to its provider.
        std::thread::spawn(move || {
            moved.in_scope(|| in_span("scoped_grandchild", |_| {}));
            drop(moved);
            block_on(future);
        })
        .join()
        .unwrap();
        drop(outer);
        let spans = scoped.take();
        let mut names: Vec<&str> = spans.iter().map(|s| &*s.name).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "scoped_child",
                "scoped_entered",
                "scoped_future",
                "scoped_grandchild",
                "scoped_leaked",
                "scoped_moved",
                "scoped_polled"
            ],
            "round {round}"
        );
        assert_eq!(
            find(&spans, "scoped_child").parent_span_id,
            Some(find(&spans, "scoped_entered").span_id())
        );
        assert_eq!(
            find(&spans, "scoped_grandchild").parent_span_id,
            Some(find(&spans, "scoped_moved").span_id())
        );
        assert_eq!(
            find(&spans, "scoped_polled").parent_span_id,
            Some(find(&spans, "scoped_future").span_id())
        );
        assert_eq!(find(&spans, "scoped_entered").parent_span_id, None);
        assert!(spans.iter().all(|s| s.end_time_unix_nano >= s.start_time_unix_nano));
        let outer_spans: Vec<SpanData> = global
            .spans()
            .into_iter()
            .filter(|s| s.span_id() == outer_id.unwrap())
            .collect();
        assert_eq!(outer_spans.len(), 1, "the outer span stayed the installed provider's");
    }
}

#[test]
fn a_default_ended_by_its_own_sampler_mid_start_stays_alive() {
    let scoped = InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .sampler(|_: TraceId, _: Option<SpanId>, _: &str| {
            HELD.with(|held| drop(held.borrow_mut().take()));
            true
        })
        .with_simple_exporter(scoped.clone())
        .build();
    HELD.with(|held| *held.borrow_mut() = Some(provider.set_default()));
    // The thread's state holds the provider's last handle.
    drop(provider);
    let span = Span::root("as_the_default_ended");
    span.set_attribute("still", true);
    span.finish();
    let spans = scoped.spans();
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].attribute("still"), Some(&Value::Bool(true)));
}

#[test]
fn started_spans_get_their_record_where_they_go_first() {
    // `Span::new` under a sampled parent keeps its record's parts in a
    // record box until it is entered, finished, or changed; and a handed-
    // over record's parts are dropped one by one (numbers own nothing, owned
    // strings and keys do).
    let exporter = exporter();
    for _ in 0..ROUNDS {
        let root = Span::root("started_root").entered();
        let trace_id = root.trace_id().unwrap();

        Span::new("finished_unentered").finish();
        drop(Span::new("started_entered").entered());

        let scoped = Span::new("started_scoped");
        scoped.in_scope(|| {
            // Opened through its stack frame.
            current_span().set_attribute("owned", String::from("value"));
            current_span().set_attribute(String::from("owned_key"), 7i64);
        });
        scoped.set_attribute("n", 1i64);
        drop(scoped);

        let moved = Span::new("started_moved");
        let far = Span::new("started_dropped_far");
        std::thread::spawn(move || {
            let entered = moved.entered();
            entered.set_attribute("thread", "other");
            drop(entered);
            drop(far);
        })
        .join()
        .unwrap();

        block_on(YieldOnce(false).in_span(Span::new("started_future")));
        let changed_future = Span::new("started_future_changed");
        changed_future.set_attribute("before", true);
        block_on(YieldOnce(false).in_span(changed_future));
        drop(root);

        let spans = exporter.trace(trace_id);
        let root = find(&spans, "started_root");
        for name in [
            "finished_unentered",
            "started_entered",
            "started_scoped",
            "started_moved",
            "started_dropped_far",
            "started_future",
            "started_future_changed",
        ] {
            let span = find(&spans, name);
            assert_eq!(span.parent_span_id, Some(root.span_id()), "{name}");
            assert!(span.end_time_unix_nano >= span.start_time_unix_nano, "{name}");
        }
        let scoped = find(&spans, "started_scoped");
        assert_eq!(scoped.attribute("owned"), Some(&Value::from("value")));
        assert_eq!(scoped.attribute("owned_key"), Some(&Value::I64(7)));
        assert_eq!(scoped.attribute("n"), Some(&Value::I64(1)));
        assert_eq!(
            find(&spans, "started_moved").attribute("thread"),
            Some(&Value::from("other"))
        );
        assert_eq!(
            find(&spans, "started_future_changed").attribute("before"),
            Some(&Value::Bool(true))
        );
    }
}

#[test]
fn spans_started_while_unwinding_are_not_marked_by_that_panic() {
    let exporter = exporter();
    struct Cleanup(Option<Span>);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            assert!(std::thread::panicking());
            // Open before the panic: marked.
            drop(self.0.take());
            // Started during it: not marked.
            Span::new("cleanup_owned").finish();
            drop(Span::new("cleanup_entered").entered());
            in_span("cleanup_in_span", |_| {});
            let exited = Span::new("cleanup_exited").entered().exit();
            exited.set_attribute("after_exit", true);
            drop(exited);
        }
    }
    let root = Span::root("unwind_root");
    let trace_id = root.trace_id().unwrap();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        root.in_scope(|| {
            let _cleanup = Cleanup(Some(Span::new("open_before")));
            panic!("boom");
        })
    }));
    assert!(result.is_err());
    drop(root);
    let spans = exporter.trace(trace_id);
    assert_eq!(find(&spans, "open_before").status, Status::error("panicked"));
    for name in ["cleanup_owned", "cleanup_entered", "cleanup_in_span", "cleanup_exited"] {
        let span = find(&spans, name);
        assert_eq!(span.status, Status::Unset, "{name}");
        assert!(span.events.is_empty(), "{name}: {:?}", span.events);
        assert_eq!(
            span.parent_span_id,
            Some(find(&spans, "unwind_root").span_id()),
            "{name}"
        );
    }
    assert_eq!(
        find(&spans, "cleanup_exited").attribute("after_exit"),
        Some(&Value::Bool(true))
    );
}

#[test]
fn unsampled_children_show_their_own_trace_s_context_trace_after_trace() {
    let exporter = exporter();
    // A child of the first trace outlives it, holding the context it
    // shows; the traces after it show their own.
    let first = Span::root("dropped_first").entered();
    let kept = Span::new("kept_child");
    let first_context = first.context().unwrap();
    assert_eq!(kept.context(), Some(first_context.clone()));
    drop(first);
    for round in 0..ROUNDS {
        let root = Span::root("dropped_next").entered();
        let context = root.context().unwrap();
        assert_ne!(context.trace_id(), first_context.trace_id());
        // Another unsampled span, not current, is made in between.
        let other = Span::root("dropped_other");
        assert_ne!(other.context(), Some(context.clone()));
        let children: Vec<Span> = (0..3).map(|_| Span::new("child")).collect();
        for child in &children {
            assert_eq!(child.context(), Some(context.clone()), "round {round}");
            assert!(!child.is_recording());
        }
        // Moved to another thread, a child keeps the context and its own
        // children there show it too.
        let moved = children.into_iter().next().unwrap();
        let expected = context.clone();
        std::thread::spawn(move || {
            assert_eq!(moved.context(), Some(expected.clone()));
            moved.in_scope(|| {
                assert_eq!(Span::new("grandchild").context(), Some(expected.clone()));
                assert_eq!(current_span_id(), Some(expected.span_id()));
            });
        })
        .join()
        .unwrap();
        drop(root);
        assert!(exporter.trace(context.trace_id()).is_empty());
    }
    assert_eq!(kept.context(), Some(first_context));
}

#[test]
fn unsampled_children_show_the_span_on_top_as_it_changes() {
    let _ = exporter();
    for round in 0..ROUNDS {
        let outer = Span::root("dropped_outer").entered();
        let outer_context = outer.context().unwrap();
        // The first child finds the parent's shared context, the next ones
        // the one kept for the top.
        for _ in 0..2 {
            assert_eq!(
                Span::new("child").context(),
                Some(outer_context.clone()),
                "round {round}"
            );
        }
        // An unsampled span made while no child holds the shared context
        // takes its allocation: the top's children still show the top.
        let other = Span::root("dropped_other");
        assert_ne!(other.context(), Some(outer_context.clone()));
        assert_eq!(
            Span::new("child").context(),
            Some(outer_context.clone()),
            "round {round}"
        );
        // An unsampled span above it: its children show it, and after it
        // ends (one of its children still open) the outer one's do again.
        let inner = Span::root("dropped_inner").entered();
        let inner_context = inner.context().unwrap();
        let inner_child = Span::new("child");
        assert_eq!(inner_child.context(), Some(inner_context.clone()));
        assert_eq!(Span::new("child").entered().context(), Some(inner_context.clone()));
        drop(inner);
        assert_eq!(
            Span::new("child").context(),
            Some(outer_context.clone()),
            "round {round}"
        );
        assert_eq!(inner_child.context(), Some(inner_context));
        // A sampled span above it, then gone.
        let sampled = Span::root("sampled_between").entered();
        assert!(Span::new("child").is_recording());
        drop(sampled);
        let child = Span::new("child").entered();
        assert_eq!(child.context(), Some(outer_context.clone()), "round {round}");
        assert_eq!(current_span_id(), Some(outer_context.span_id()));
        drop(child);
        drop(outer);
    }
}

#[test]
fn an_instrumented_future_is_dropped_inside_its_span_completed_or_not() {
    let exporter = exporter();
    /// Pending `pending` times, then ready; its drop makes a span.
    struct DropsInSpan {
        pending: usize,
        span_name: &'static str,
    }
    impl Future for DropsInSpan {
        type Output = ();
        fn poll(mut self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            if self.pending == 0 {
                return Poll::Ready(());
            }
            self.pending -= 1;
            Poll::Pending
        }
    }
    impl Drop for DropsInSpan {
        fn drop(&mut self) {
            in_span(self.span_name, |_| {});
        }
    }
    let mut cx = Context::from_waker(Waker::noop());
    for round in 0..ROUNDS {
        let completed = Span::root("completes");
        let trace_id = completed.trace_id().unwrap();
        let mut future = Box::pin(
            DropsInSpan {
                pending: round % 3,
                span_name: "made_in_drop_when_done",
            }
            .in_span(completed),
        );
        while future.as_mut().poll(&mut cx).is_pending() {}
        // Completed: its inner future is gone, and the span with it.
        assert_eq!(exporter.trace(trace_id).len(), 2, "round {round}");
        drop(future);
        let spans = exporter.trace(trace_id);
        let root = find(&spans, "completes");
        assert_eq!(root.attribute("cancelled"), None);
        assert_eq!(
            find(&spans, "made_in_drop_when_done").parent_span_id,
            Some(root.span_id())
        );

        let cancelled = Span::root("cancelled");
        let trace_id = cancelled.trace_id().unwrap();
        let mut future = Box::pin(
            DropsInSpan {
                pending: 1 + round % 3,
                span_name: "made_in_drop_halfway",
            }
            .in_span(cancelled),
        );
        assert!(future.as_mut().poll(&mut cx).is_pending());
        drop(future);
        let spans = exporter.trace(trace_id);
        let root = find(&spans, "cancelled");
        assert_eq!(root.attribute("cancelled"), Some(&Value::Bool(true)));
        assert_eq!(
            find(&spans, "made_in_drop_halfway").parent_span_id,
            Some(root.span_id())
        );
    }
}

#[test]
fn builders_entered_give_their_attributes_to_the_span_or_drop_them() {
    let exporter = exporter();
    for root_name in ["builder_root", "dropped_builder_root"] {
        let root = Span::root(root_name).entered();
        let trace_id = root.trace_id().unwrap();
        {
            // Owns nothing: a static name and an integer.
            let plain = Span::builder("plain").attribute("n", 1i64).entered();
            // Owns heap memory: an owned name and string.
            let owned = Span::builder(format!("owned_{}", 2))
                .attribute("s", "text".to_string())
                .entered();
            assert_eq!(plain.is_recording(), root.is_recording());
            assert_eq!(owned.is_recording(), root.is_recording());
        }
        drop(root);
        let spans = exporter.trace(trace_id);
        if root_name.starts_with("dropped") {
            assert!(spans.is_empty());
        } else {
            assert_eq!(find(&spans, "plain").attribute("n"), Some(&Value::I64(1)));
            assert_eq!(
                find(&spans, "owned_2").attribute("s"),
                Some(&Value::String("text".into()))
            );
        }
    }
}
