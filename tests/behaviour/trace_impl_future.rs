//! `fn ... -> impl Future<Output = X>`: the span starts at the call, the
//! synchronous part runs inside it, and the returned future is
//! instrumented (current on every poll, errors recorded, cancellation).
// The shape under test; clippy would suggest `async fn` once `#[trace]` is
// compiled away (`--no-default-features`).
#![allow(clippy::manual_async_fn)]

use crate::common;

use std::future::Future;
use std::io;
use std::pin::pin;
use std::task::{Context, Waker};

use common::{assert_child_of, one, traced};
use tracer::{FutureExt, Span, SpanId, Status, Value, current_span_id, trace};

#[trace]
fn sync_part_then_future(n: u32) -> impl Future<Output = (Option<SpanId>, Option<SpanId>, u32)> + Send {
    let at_call = current_span_id();
    async move {
        tokio::task::yield_now().await;
        (at_call, current_span_id(), n * 2)
    }
}

#[test]
fn the_sync_part_and_every_poll_run_inside_the_span() {
    let ((at_call, at_poll, value), spans) = traced(|| futures_executor::block_on(sync_part_then_future(4)));
    let span = one(&spans, "sync_part_then_future");
    assert_child_of(span, one(&spans, "test_root"));
    assert_eq!(at_call, Some(span.span_id()));
    assert_eq!(at_poll, Some(span.span_id()));
    assert_eq!(value, 8);
}

#[trace]
fn marker() {}

#[test]
fn the_span_starts_at_the_call() {
    let (_, spans) = traced(|| {
        let future = sync_part_then_future(1);
        marker();
        futures_executor::block_on(future)
    });
    let span = one(&spans, "sync_part_then_future");
    let marker = one(&spans, "marker");
    assert!(span.start_time_unix_nano <= marker.start_time_unix_nano);
    // The marker ran between the call and the first poll, outside the span.
    assert_child_of(marker, one(&spans, "test_root"));
    assert!(marker.end_time_unix_nano <= span.end_time_unix_nano);
}

#[trace(kind = Client, args(path))]
fn fetch(path: &'static str) -> impl Future<Output = io::Result<usize>> {
    if path.is_empty() {
        // A different early path, still one future type.
        return futures_ready(Err(io::Error::other("empty path")));
    }
    futures_ready(Ok(path.len()))
}

fn futures_ready<T>(value: T) -> std::future::Ready<T> {
    std::future::ready(value)
}

#[test]
fn errors_args_and_kind() {
    let (_, spans) = traced(|| {
        futures_executor::block_on(async {
            assert_eq!(fetch("/a").await.unwrap(), 2);
            assert!(fetch("").await.is_err());
        })
    });
    let fetches: Vec<_> = spans.iter().filter(|s| s.name == "fetch").collect();
    assert_eq!(fetches.len(), 2);
    assert_eq!(fetches[0].status, Status::Unset);
    assert_eq!(fetches[0].attribute("path"), Some(&Value::from("/a")));
    assert_eq!(fetches[1].status, Status::error("empty path"));
    assert!(fetches.iter().all(|s| s.kind == tracer::SpanKind::Client));
}

#[trace]
fn pending_forever() -> impl Future<Output = ()> {
    std::future::pending()
}

#[test]
fn a_dropped_future_is_cancelled() {
    let (_, spans) = traced(|| {
        let mut future = pin!(pending_forever());
        assert!(
            future
                .as_mut()
                .poll(&mut Context::from_waker(Waker::noop()))
                .is_pending()
        );
    });
    assert_eq!(
        one(&spans, "pending_forever").attribute("cancelled"),
        Some(&Value::Bool(true))
    );
}

#[trace]
fn spawned_work(n: u64) -> impl Future<Output = u64> + Send + 'static {
    async move {
        tokio::task::yield_now().await;
        n + 1
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawned_without_help_keeps_its_parent() {
    // The span is created at the call, so even a plain `tokio::spawn`
    // (no `in_current_span`) keeps the caller as parent.
    common::exporter();
    let root = Span::root("test_root");
    let trace_id = root.trace_id().unwrap();
    let value = async { tokio::spawn(spawned_work(1)).await.unwrap() }
        .in_span(root)
        .await;
    assert_eq!(value, 2);
    let spans = common::trace(trace_id);
    assert_child_of(one(&spans, "spawned_work"), one(&spans, "test_root"));
}

struct Client {
    base: String,
}

impl Client {
    #[trace]
    fn get(&self, path: &str) -> impl Future<Output = String> + '_ + use<'_> {
        let url = format!("{}{path}", self.base);
        async move { format!("{url} from {}", self.base.len()) }
    }
}

#[test]
fn methods_returning_futures_that_borrow_self() {
    let client = Client {
        base: "http://x".into(),
    };
    let (out, spans) = traced(|| futures_executor::block_on(client.get("/y")));
    assert_eq!(out, "http://x/y from 8");
    one(&spans, "get");
}
