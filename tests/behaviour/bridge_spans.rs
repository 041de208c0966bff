//! The `tracing` bridge: `tracing` spans and tracer spans in one trace,
//! both ways; fields as attributes; each span ending once whatever its
//! entries; filtering. Each test installs the layer for its own thread
//! (`with_default`) under the shared provider.
#![cfg(feature = "tracing")]

use std::collections::HashMap;

use tracer::{Span, SpanKind, current_span, current_span_id, current_trace_id, in_span, inject_context, trace};
use tracer::{SpanData, Status, Value};
use tracing::{info_span, instrument};
use tracing_subscriber::filter::{EnvFilter, filter_fn};
use tracing_subscriber::prelude::*;

use crate::common::{self, assert_child_of, one};

/// Runs `f` in a tracer root `test_root`, with `subscriber` as this
/// thread's subscriber, and returns the trace.
fn traced_with<S, R>(subscriber: S, f: impl FnOnce() -> R) -> (R, Vec<SpanData>)
where
    S: tracing::Subscriber + Send + Sync + 'static,
{
    tracing::subscriber::with_default(subscriber, || common::traced(f))
}

/// [`traced_with`] the bridge's default layer.
fn traced<R>(f: impl FnOnce() -> R) -> (R, Vec<SpanData>) {
    traced_with(tracing_subscriber::registry().with(tracer::bridge::layer()), f)
}

#[trace]
fn tracer_work() -> Option<tracer::SpanId> {
    instrumented_query();
    current_span_id()
}

#[instrument]
fn instrumented_query() {
    let _inner = Span::new("decode").entered();
}

#[test]
fn tracing_and_tracer_spans_nest_both_ways() {
    let (seen, spans) = traced(|| {
        let request = info_span!("request");
        let _entered = request.enter();
        let traceparent = {
            let mut headers = HashMap::new();
            inject_context(&mut headers);
            headers.remove("traceparent")
        };
        let work_id = in_span("handler", |_| tracer_work());
        (current_span_id(), current_trace_id(), traceparent, work_id)
    });
    let (request_id, trace_id, traceparent, work_id) = seen;
    let root = one(&spans, "test_root");
    let request = one(&spans, "request");
    let handler = one(&spans, "handler");
    let work = one(&spans, "tracer_work");
    let query = one(&spans, "instrumented_query");
    let decode = one(&spans, "decode");
    assert_eq!(spans.len(), 6);
    assert_child_of(request, root);
    assert_child_of(handler, request);
    assert_child_of(work, handler);
    assert_child_of(query, work);
    assert_child_of(decode, query);
    // tracer sees the entered `tracing` span as the current one.
    assert_eq!(request_id, Some(request.span_id()));
    assert_eq!(trace_id, Some(root.trace_id()));
    assert_eq!(work_id, Some(work.span_id()));
    assert_eq!(
        traceparent,
        Some(format!("00-{}-{}-03", root.trace_id(), request.span_id()))
    );
}

#[test]
fn current_span_changes_the_entered_tracing_span() {
    let (after, spans) = traced(|| {
        let span = info_span!("checkout");
        span.in_scope(|| {
            assert!(current_span().is_recording());
            current_span().set_attribute("order_id", 42);
            current_span().add_event("reserved", []);
        });
        current_span_id()
    });
    let checkout = one(&spans, "checkout");
    // Exited: the root is current again.
    assert_eq!(after, Some(one(&spans, "test_root").span_id()));
    assert_eq!(checkout.attribute("order_id"), Some(&Value::I64(42)));
    assert_eq!(checkout.events.len(), 1);
    assert_eq!(checkout.events[0].name, "reserved");
}

#[test]
fn fields_become_typed_attributes() {
    let (line, spans) = traced(|| {
        #[derive(Debug)]
        #[allow(dead_code)] // read by `Debug`
        struct Cart {
            items: u32,
        }
        let line = line!() + 1;
        let span = info_span!("typed", i = -3i64, u = 7u64, big = u64::MAX, f = 1.5, b = true, s = "text", d = ?Cart { items: 2 }, shown = %"plain", later = tracing::field::Empty);
        span.record("later", 9);
        drop(span);
        line
    });
    let span = one(&spans, "typed");
    let attribute = |key: &str| span.attribute(key).cloned();
    assert_eq!(attribute("i"), Some(Value::I64(-3)));
    assert_eq!(attribute("u"), Some(Value::I64(7)));
    assert_eq!(attribute("big"), Some(Value::from("18446744073709551615".to_string())));
    assert_eq!(attribute("f"), Some(Value::F64(1.5)));
    assert_eq!(attribute("b"), Some(Value::Bool(true)));
    assert_eq!(attribute("s"), Some(Value::from("text")));
    assert_eq!(attribute("d"), Some(Value::from("Cart { items: 2 }")));
    assert_eq!(attribute("shown"), Some(Value::from("plain")));
    assert_eq!(attribute("later"), Some(Value::I64(9)));
    assert_eq!(
        attribute("code.namespace"),
        Some(Value::from("behaviour::bridge_spans"))
    );
    assert_eq!(
        attribute("code.filepath"),
        Some(Value::from("tests/behaviour/bridge_spans.rs"))
    );
    assert_eq!(attribute("code.lineno"), Some(Value::I64(i64::from(line))));
    assert_eq!(attribute("target"), Some(Value::from("behaviour::bridge_spans")));
    assert_eq!(span.attributes.len(), 13);
    assert_eq!(span.kind, SpanKind::Internal);
    assert_eq!(span.status, Status::Unset);
}

#[test]
fn location_and_target_can_be_left_out() {
    let layer = tracer::bridge::layer().with_location(false).with_target(false);
    let (_, spans) = traced_with(tracing_subscriber::registry().with(layer), || {
        drop(info_span!("bare", k = 1));
    });
    let span = one(&spans, "bare");
    let keys: Vec<&str> = span.attributes.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(keys, ["k"]);
}

#[test]
fn otel_fields_rename_set_the_kind_and_the_status() {
    let (_, spans) = traced(|| {
        drop(info_span!(
            "static_name",
            otel.name = "GET /users/{id}",
            otel.kind = "server"
        ));
        drop(info_span!("client_call", otel.kind = "CLIENT", otel.status_code = "ok"));
        drop(info_span!(
            "failing",
            otel.status_code = "error",
            otel.status_message = "upstream timed out"
        ));
        drop(info_span!("with_error", error = %std::io::Error::other("disk full")));
        let later = info_span!(
            "recorded_later",
            otel.name = tracing::field::Empty,
            otel.kind = tracing::field::Empty,
            otel.status_code = tracing::field::Empty
        );
        later.record("otel.name", "renamed");
        later.record("otel.kind", "consumer");
        later.record("otel.status_code", "error");
    });
    let renamed = one(&spans, "GET /users/{id}");
    assert_eq!(renamed.kind, SpanKind::Server);
    assert_eq!(renamed.attribute("otel.name"), None);
    let client = one(&spans, "client_call");
    assert_eq!(client.kind, SpanKind::Client);
    assert_eq!(client.status, Status::Ok);
    assert_eq!(one(&spans, "failing").status, Status::error("upstream timed out"));
    let with_error = one(&spans, "with_error");
    assert_eq!(with_error.status, Status::error("disk full"));
    assert_eq!(with_error.attribute("error"), Some(&Value::from("disk full")));
    let later = one(&spans, "renamed");
    assert_eq!(later.kind, SpanKind::Consumer);
    assert_eq!(later.status, Status::error(""));
    assert!(
        spans
            .iter()
            .all(|s| s.name != "static_name" && s.name != "recorded_later")
    );
}

#[test]
fn a_span_entered_many_times_or_never_ends_once() {
    let (_, spans) = traced(|| {
        let repeated = info_span!("repeated");
        for step in 0..3 {
            repeated.in_scope(|| in_span(format!("step{step}"), |_| {}));
        }
        // Entered inside itself: one span still.
        repeated.in_scope(|| repeated.in_scope(|| in_span("nested_entry", |_| {})));
        drop(repeated);
        drop(info_span!("never_entered"));
    });
    let root = one(&spans, "test_root");
    let repeated = one(&spans, "repeated");
    assert_child_of(repeated, root);
    for name in ["step0", "step1", "step2", "nested_entry"] {
        let step = one(&spans, name);
        assert_child_of(step, repeated);
        assert!(repeated.start_time_unix_nano <= step.start_time_unix_nano);
        assert!(step.end_time_unix_nano <= repeated.end_time_unix_nano);
    }
    let never = one(&spans, "never_entered");
    assert_child_of(never, root);
    assert!(never.start_time_unix_nano <= never.end_time_unix_nano);
    assert_eq!(spans.len(), 7);
}

#[test]
fn a_span_closed_on_another_thread_keeps_its_parent_and_times() {
    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(tracer::bridge::layer()));
    let (_, spans) = tracing::dispatcher::with_default(&dispatch, || {
        common::traced(|| {
            let moved = info_span!("moved");
            let worker = dispatch.clone();
            std::thread::spawn(move || {
                tracing::dispatcher::with_default(&worker, || {
                    moved.in_scope(|| in_span("on_worker", |_| {}));
                    drop(moved);
                })
            })
            .join()
            .unwrap();
        })
    });
    let root = one(&spans, "test_root");
    let moved = one(&spans, "moved");
    let on_worker = one(&spans, "on_worker");
    assert_child_of(moved, root);
    assert_child_of(on_worker, moved);
    assert!(moved.start_time_unix_nano <= on_worker.start_time_unix_nano);
    assert!(on_worker.end_time_unix_nano <= moved.end_time_unix_nano);
    assert_eq!(spans.len(), 3);
}

#[test]
fn a_span_entered_on_two_threads_at_once_parents_both() {
    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(tracer::bridge::layer()));
    let (_, spans) = tracing::dispatcher::with_default(&dispatch, || {
        common::traced(|| {
            let shared = info_span!("shared");
            let barrier = std::sync::Barrier::new(2);
            std::thread::scope(|scope| {
                for name in ["left", "right"] {
                    let (shared, barrier, dispatch) = (&shared, &barrier, &dispatch);
                    scope.spawn(move || {
                        tracing::dispatcher::with_default(dispatch, || {
                            let _entered = shared.enter();
                            // Both threads have it entered here.
                            barrier.wait();
                            shared.record("touched", true);
                            in_span(name, |_| current_span().set_attribute("side", name));
                            barrier.wait();
                        })
                    });
                }
            });
        })
    });
    let shared = one(&spans, "shared");
    for name in ["left", "right"] {
        let child = one(&spans, name);
        assert_child_of(child, shared);
        assert_eq!(child.attribute("side"), Some(&Value::from(name)));
    }
    assert_eq!(spans.len(), 4);
}

#[test]
fn filtered_out_spans_break_no_parent_chain() {
    // A per-layer filter on the bridge; another layer sees every span, so
    // that `noisy` exists and is left out of the bridge only.
    let layer = tracer::bridge::layer().with_filter(filter_fn(|metadata| metadata.name() != "noisy"));
    let everything = tracing_subscriber::fmt::layer().with_writer(std::io::sink);
    let (_, spans) = traced_with(tracing_subscriber::registry().with(layer).with(everything), || {
        let outer = info_span!("outer");
        let _outer = outer.enter();
        let noisy = info_span!("noisy");
        let _noisy = noisy.enter();
        drop(info_span!("contextual"));
        drop(info_span!(parent: &noisy, "explicit"));
        in_span("tracer_child", |_| {});
    });
    let outer = one(&spans, "outer");
    assert!(spans.iter().all(|s| s.name != "noisy"));
    for name in ["contextual", "explicit", "tracer_child"] {
        assert_child_of(one(&spans, name), outer);
    }
    assert_eq!(spans.len(), 5);
}

#[test]
fn a_global_env_filter_leaves_out_disabled_levels() {
    let subscriber = tracing_subscriber::registry()
        .with(EnvFilter::new("info"))
        .with(tracer::bridge::layer());
    let (_, spans) = traced_with(subscriber, || {
        let kept = info_span!("kept");
        let _kept = kept.enter();
        let debug = tracing::debug_span!("debug_detail");
        let _debug = debug.enter();
        drop(tracing::warn_span!("warned"));
    });
    let kept = one(&spans, "kept");
    assert!(spans.iter().all(|s| s.name != "debug_detail"));
    assert_child_of(one(&spans, "warned"), kept);
    assert_eq!(spans.len(), 3);
}

#[test]
fn explicit_parents_and_roots_are_kept() {
    let (new_trace, spans) = traced(|| {
        let first = info_span!("first");
        let second = info_span!("second");
        let _second = second.enter();
        drop(info_span!(parent: &first, "under_first"));
        let root = info_span!(parent: None, "new_root");
        root.follows_from(&first);
        let trace_id = root.in_scope(current_trace_id);
        drop(root);
        trace_id
    });
    let first = one(&spans, "first");
    assert_child_of(one(&spans, "under_first"), first);
    assert!(spans.iter().all(|s| s.name != "new_root"));
    let new_trace = common::trace(new_trace.expect("a trace id"));
    let root = one(&new_trace, "new_root");
    assert_eq!(root.parent_span_id, None);
    assert_eq!(root.links.len(), 1);
    assert_eq!(root.links[0].context.span_id(), first.span_id());
}

#[test]
fn spans_under_an_unsampled_parent_record_nothing_and_keep_the_trace_id() {
    let unsampled = common::unsampled_context();
    let subscriber = tracing_subscriber::registry().with(tracer::bridge::layer());
    let (trace_id, span_id) = tracing::subscriber::with_default(subscriber, || {
        let _attached = tracer::attach(unsampled.clone());
        let span = info_span!("not_recorded");
        span.in_scope(|| {
            in_span("nor_this", |_| {});
            (current_trace_id(), current_span_id())
        })
    });
    assert_eq!(trace_id, Some(unsampled.trace_id()));
    assert_eq!(span_id, Some(unsampled.span_id()));
    assert!(common::trace(unsampled.trace_id()).is_empty());
}

/// Pending on its first poll, ready on its second.
struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        if std::mem::replace(&mut self.0, true) {
            std::task::Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
}

/// A boxed future, to move between threads.
type Task = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// Polls `task` once; returns whether it is done and what is current after.
fn poll_once(task: &mut Task) -> (bool, Option<tracer::SpanId>) {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let ready = task.as_mut().poll(&mut cx).is_ready();
    (ready, current_span_id())
}

#[test]
fn an_instrumented_future_is_current_on_every_poll_on_any_thread() {
    use tracing::Instrument;

    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(tracer::bridge::layer()));
    let (between_polls, spans) = tracing::dispatcher::with_default(&dispatch, || {
        common::traced(|| {
            let mut task: Task = Box::pin(
                async {
                    in_span("first_poll", |_| {});
                    YieldOnce(false).await;
                    in_span("second_poll", |_| {});
                }
                .instrument(info_span!("polled")),
            );
            let (ready, between_polls) = poll_once(&mut task);
            assert!(!ready);
            let worker = dispatch.clone();
            let (ready, after) = std::thread::spawn(move || {
                tracing::dispatcher::with_default(&worker, || {
                    let polled = poll_once(&mut task);
                    drop(task);
                    polled
                })
            })
            .join()
            .unwrap();
            assert!(ready);
            // Nothing stays current on the worker.
            assert_eq!(after, None);
            between_polls
        })
    });
    let root = one(&spans, "test_root");
    let polled = one(&spans, "polled");
    // Between polls the span is not current: the root is.
    assert_eq!(between_polls, Some(root.span_id()));
    assert_child_of(polled, root);
    assert_child_of(one(&spans, "first_poll"), polled);
    assert_child_of(one(&spans, "second_poll"), polled);
    assert_eq!(spans.len(), 4);
}
