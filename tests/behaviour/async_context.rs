//! Futures: a span current across every `.await`, across `tokio::spawn`,
//! cancelled futures and panicking polls.

use crate::common;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use common::{assert_child_of, one};
use tracer::{FutureExt, Span, Status, Value, current_span, current_span_id, in_span};

/// Runs `f` under a fresh root span on the current task, returning the
/// trace's spans after the root finishes.
async fn traced_async<F: Future>(f: F) -> Vec<tracer::SpanData> {
    common::exporter();
    let root = Span::root("test_root");
    let trace_id = root.trace_id().unwrap();
    f.in_span(root).await;
    common::trace(trace_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn span_is_current_across_awaits_on_a_multi_thread_runtime() {
    let spans = traced_async(async {
        let work = async {
            let id = current_span_id();
            for step in 0..5 {
                tokio::task::yield_now().await;
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                assert_eq!(current_span_id(), id, "same span after await {step}");
                in_span("step", |_| {});
            }
            current_span().set_tag("steps", 5);
        };
        work.in_span(Span::new("awaiting")).await;
    })
    .await;
    let awaiting = one(&spans, "awaiting");
    assert_child_of(awaiting, one(&spans, "test_root"));
    assert_eq!(awaiting.attribute("steps"), Some(&Value::I64(5)));
    let steps: Vec<_> = spans.iter().filter(|s| s.name == "step").collect();
    assert_eq!(steps.len(), 5);
    assert!(steps.iter().all(|s| s.parent_span_id == Some(awaiting.span_id())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn context_crosses_tokio_spawn() {
    let spans = traced_async(async {
        let with_span = tokio::spawn(
            async {
                tokio::task::yield_now().await;
                in_span("inside_spawned", |_| {});
            }
            .in_span(Span::new("spawned_task")),
        );
        let with_context = tokio::spawn(
            async {
                tokio::task::yield_now().await;
                in_span("inside_current", |_| {});
            }
            .in_current_span(),
        );
        let without = tokio::spawn(async { current_span_id() });
        with_span.await.unwrap();
        with_context.await.unwrap();
        assert_eq!(without.await.unwrap(), None, "spawn alone carries no context");
    })
    .await;
    let root = one(&spans, "test_root");
    let spawned = one(&spans, "spawned_task");
    assert_child_of(spawned, root);
    assert_child_of(one(&spans, "inside_spawned"), spawned);
    assert_child_of(one(&spans, "inside_current"), root);
}

/// Pending once, then ready.
struct PendingOnce(bool);

impl Future for PendingOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[test]
fn a_dropped_future_ends_its_span_as_cancelled() {
    let ((), spans) = common::traced(|| {
        let before = current_span_id();
        let mut future = Box::pin(
            async {
                in_span("before_await", |_| {});
                PendingOnce(false).await;
                in_span("never_reached", |_| {});
            }
            .in_span(Span::new("cancelled_work")),
        );
        let waker = std::task::Waker::noop();
        assert!(future.as_mut().poll(&mut Context::from_waker(waker)).is_pending());
        assert_eq!(current_span_id(), before, "nothing stays current between polls");
        drop(future);
        assert_eq!(current_span_id(), before);
    });
    let cancelled = one(&spans, "cancelled_work");
    assert_eq!(cancelled.attribute("cancelled"), Some(&Value::Bool(true)));
    assert!(cancelled.end_time_unix_nano > 0);
    assert_child_of(one(&spans, "before_await"), cancelled);
    assert!(spans.iter().all(|s| s.name != "never_reached"));
}

#[test]
fn a_completed_future_is_not_cancelled() {
    let ((), spans) = common::traced(|| {
        futures_executor::block_on(PendingOnce(false).in_span(Span::new("completed")));
    });
    assert_eq!(one(&spans, "completed").attribute("cancelled"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_poll_marks_the_span() {
    let spans = traced_async(async {
        let task = tokio::spawn(
            async {
                tokio::task::yield_now().await;
                panic!("task failed");
            }
            .in_span(Span::new("panicking_task")),
        );
        assert!(task.await.unwrap_err().is_panic());
    })
    .await;
    let span = one(&spans, "panicking_task");
    assert_eq!(span.status, Status::error("panicked"));
}

#[test]
fn nested_instrumented_futures_parent_correctly() {
    let ((), spans) = common::traced(|| {
        futures_executor::block_on(
            async {
                PendingOnce(false).await;
                async {
                    PendingOnce(false).await;
                }
                .in_span(Span::new("inner_future"))
                .await;
            }
            .in_span(Span::new("outer_future")),
        );
    });
    let outer = one(&spans, "outer_future");
    assert_child_of(outer, one(&spans, "test_root"));
    assert_child_of(one(&spans, "inner_future"), outer);
}
