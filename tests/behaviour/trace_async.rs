//! `#[trace]` on `async fn`: the span is current on every poll, across
//! `.await` and worker threads, starts at the first poll, and is finished
//! with `cancelled = true` when the future is dropped early.
use crate::common;

use std::future::Future;
use std::io;
use std::pin::pin;
use std::task::{Context, Waker};

use common::{assert_child_of, one};
use tracer::{FutureExt, Span, SpanData, SpanId, Status, Value, current_span_id, trace};

/// `common::traced` for async code: runs `f` inside a fresh root span,
/// current on every poll.
async fn traced_async<F: Future>(f: F) -> (F::Output, Vec<SpanData>) {
    common::exporter();
    let root = Span::root("test_root");
    let trace_id = root.trace_id().expect("the test root is recorded");
    let out = f.in_span(root).await;
    (out, common::trace(trace_id))
}

#[trace]
async fn leaf(n: u32) -> u32 {
    tokio::task::yield_now().await;
    n + 1
}

#[trace]
async fn middle(n: u32) -> u32 {
    let a = leaf(n).await;
    tokio::task::yield_now().await;
    let b = leaf(a).await;
    a + b
}

#[trace]
async fn top() -> u32 {
    middle(1).await + middle(10).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_async_calls_form_a_tree() {
    let (value, spans) = traced_async(top()).await;
    assert_eq!(value, (2 + 3) + (11 + 12));
    assert_eq!(spans.len(), 1 + 1 + 2 + 4, "{:?}", common::names(&spans));
    let root = one(&spans, "test_root");
    let top = one(&spans, "top");
    assert_child_of(top, root);
    let middles: Vec<_> = spans.iter().filter(|s| s.name == "middle").collect();
    assert_eq!(middles.len(), 2);
    for middle in &middles {
        assert_child_of(middle, top);
        let leaves: Vec<_> = spans
            .iter()
            .filter(|s| s.name == "leaf" && s.parent_span_id == Some(middle.span_id()))
            .collect();
        assert_eq!(leaves.len(), 2);
        assert!(leaves[0].end_time_unix_nano <= leaves[1].start_time_unix_nano);
    }
    assert!(middles[0].end_time_unix_nano <= middles[1].start_time_unix_nano);
}

#[trace]
async fn current_across_awaits() -> (Vec<Option<SpanId>>, Vec<std::thread::ThreadId>) {
    let mut ids = vec![current_span_id()];
    let mut threads = vec![std::thread::current().id()];
    for _ in 0..20 {
        tokio::task::yield_now().await;
        ids.push(current_span_id());
        threads.push(std::thread::current().id());
    }
    (ids, threads)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_span_is_current_after_every_await_on_any_worker() {
    let ((ids, _threads), spans) = traced_async(async {
        // Spawned, so that the task can move between the two workers.
        tokio::spawn(current_across_awaits().in_current_span()).await.unwrap()
    })
    .await;
    let span = one(&spans, "current_across_awaits");
    assert_child_of(span, one(&spans, "test_root"));
    assert_eq!(ids.len(), 21);
    assert!(ids.iter().all(|id| *id == Some(span.span_id())), "{ids:?}");
}

#[trace]
async fn current_inside() -> Option<SpanId> {
    tokio::task::yield_now().await;
    current_span_id()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_span_is_current_only_while_polled() {
    let ((before, inside, after), spans) = traced_async(async {
        let before = current_span_id();
        let inside = current_inside().await;
        (before, inside, current_span_id())
    })
    .await;
    let root = one(&spans, "test_root");
    assert_eq!(inside, Some(one(&spans, "current_inside").span_id()));
    assert_eq!(before, Some(root.span_id()));
    assert_eq!(after, Some(root.span_id()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawned_tasks_join_the_trace() {
    let (values, spans) = traced_async(async {
        let first = tokio::spawn(leaf(1).in_current_span());
        let second = tokio::spawn(middle(5).in_current_span());
        (first.await.unwrap(), second.await.unwrap())
    })
    .await;
    assert_eq!(values, (2, 6 + 7));
    let root = one(&spans, "test_root");
    assert_child_of(one(&spans, "middle"), root);
    let direct_leaf = spans
        .iter()
        .find(|s| s.name == "leaf" && s.parent_span_id == Some(root.span_id()))
        .expect("the spawned leaf is a child of the root");
    assert_eq!(direct_leaf.trace_id(), root.trace_id());
}

#[trace]
fn marker() {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_span_starts_at_the_first_poll() {
    let (_, spans) = traced_async(async {
        let future = leaf(1);
        marker();
        future.await
    })
    .await;
    let marker = one(&spans, "marker");
    let leaf = one(&spans, "leaf");
    assert!(marker.end_time_unix_nano <= leaf.start_time_unix_nano);
}

#[trace]
async fn fallible(fail: bool) -> io::Result<u32> {
    tokio::task::yield_now().await;
    if fail {
        Err(io::Error::other("backend unavailable"))?;
    }
    Ok(7)
}

#[trace]
async fn propagates(fail: bool) -> Result<u32, Box<dyn std::error::Error + Send + Sync>> {
    // `?` converts io::Error into the boxed error.
    let value = fallible(fail).await?;
    Ok(value * 2)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_recorded_across_awaits() {
    let (results, spans) =
        traced_async(async { (propagates(false).await.unwrap(), propagates(true).await.is_err()) }).await;
    assert_eq!(results, (14, true));
    let failed: Vec<_> = spans.iter().filter(|s| s.status.is_error()).collect();
    assert_eq!(failed.len(), 2, "{spans:#?}");
    for span in failed {
        assert_eq!(span.status, Status::error("backend unavailable"));
        let event = span.event("exception").expect("an exception event");
        assert_eq!(
            event.attribute("exception.message"),
            Some(&Value::from("backend unavailable"))
        );
    }
    assert_eq!(
        spans
            .iter()
            .filter(|s| s.status == Status::Unset && s.name != "test_root")
            .count(),
        2
    );
}

#[trace]
async fn never_finishes() {
    std::future::pending::<()>().await;
}

#[test]
fn a_dropped_future_is_cancelled() {
    let (_, spans) = common::traced(|| {
        let mut future = pin!(never_finishes());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(future.as_mut().poll(&mut cx).is_pending());
    });
    let span = one(&spans, "never_finishes");
    assert_child_of(span, one(&spans, "test_root"));
    assert_eq!(span.attribute("cancelled"), Some(&Value::Bool(true)));
    assert!(span.end_time_unix_nano > 0);
}

#[test]
fn a_completed_future_is_not_cancelled() {
    let (value, spans) = common::traced(|| futures_executor::block_on(leaf(4)));
    assert_eq!(value, 5);
    assert_eq!(one(&spans, "leaf").attribute("cancelled"), None);
}

struct Counter {
    count: u32,
}

impl Counter {
    #[trace]
    async fn bump(&mut self, by: u32) -> &mut u32 {
        tokio::task::yield_now().await;
        self.count += by;
        &mut self.count
    }

    #[trace]
    async fn get(&self) -> &u32 {
        &self.count
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_methods_borrowing_self() {
    let (count, spans) = traced_async(async {
        let mut counter = Counter { count: 1 };
        *counter.bump(2).await += 10;
        *counter.get().await
    })
    .await;
    assert_eq!(count, 13);
    one(&spans, "bump");
    one(&spans, "get");
}

#[trace]
async fn takes_mut_param(mut n: u32, label: impl AsRef<str>) -> String {
    n += 1;
    format!("{}{n}", label.as_ref())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mut_and_impl_trait_parameters() {
    let (out, spans) = traced_async(takes_mut_param(1, "n=")).await;
    assert_eq!(out, "n=2");
    one(&spans, "takes_mut_param");
}

#[trace]
async fn traced_inner() {}

#[trace]
async fn traced_outer() {
    traced_inner().await
}

async fn plain_inner() {}

async fn plain_outer() {
    plain_inner().await
}

#[test]
fn a_traced_level_adds_little_to_the_future() {
    // Nested async functions hold each other's futures: what `#[trace]`
    // adds to one level, every caller carries, and moves on each call. The
    // open record is not in the future but boxed (from a per-thread pool).
    let traced = std::mem::size_of_val(&traced_outer()) - std::mem::size_of_val(&traced_inner());
    let plain = std::mem::size_of_val(&plain_outer()) - std::mem::size_of_val(&plain_inner());
    assert!(traced - plain <= 96, "one traced level adds {} bytes", traced - plain);
}
