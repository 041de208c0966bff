//! The test kit: `tracer::testing::capture` and what `Captured` answers,
//! used the way a user tests their own instrumentation. The tests of this
//! binary run in parallel, each with its own provider and sampler.
#![cfg(feature = "testing")]

use tracer::sampler::{AlwaysOff, TraceIdRatio};
use tracer::testing::{self, Captured};
use tracer::{FutureExt, Span, SpanKind, Status, TracerProvider, in_span, trace};

#[derive(Debug)]
struct Declined;

impl std::fmt::Display for Declined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("card declined")
    }
}

impl std::error::Error for Declined {}

#[trace(kind = SpanKind::Server)]
fn checkout(amount: u32) -> Result<u32, Declined> {
    load_cart();
    charge(amount)
}

#[trace]
fn load_cart() {}

#[trace]
fn charge(amount: u32) -> Result<u32, Declined> {
    if amount > 100 { Err(Declined) } else { Ok(amount) }
}

#[test]
fn capture_returns_the_result_and_the_tree() {
    let (result, spans) = testing::capture(|| checkout(250));
    assert!(result.is_err());
    assert_eq!(
        spans.tree(),
        "checkout [error: card declined]\n  load_cart\n  charge [error: card declined]\n"
    );
    assert_eq!(spans.len(), 3);
    assert_eq!(spans.span("checkout").kind, SpanKind::Server);
    spans.assert_child_of("charge", "checkout");
    spans.assert_child_of("load_cart", "checkout");
    let root = spans.span("checkout");
    assert_eq!(spans.roots().len(), 1);
    assert_eq!(spans.children(root).len(), 2);
    assert_eq!(
        spans.parent(spans.span("charge")).map(|s| s.span_id()),
        Some(root.span_id())
    );
    assert_eq!(spans.by_id(root.span_id()).map(|s| &*s.name), Some("checkout"));
    // One trace.
    assert!(spans.spans().iter().all(|s| s.trace_id() == root.trace_id()));
    assert_eq!(format!("{spans}"), spans.tree());
}

#[test]
fn separate_traces_are_separate_roots_in_start_order() {
    let ((), spans) = testing::capture(|| {
        in_span("first", |_| in_span("a", |_| {}));
        in_span("second", |span| {
            span.set_status(Status::Ok);
            in_span("b", |_| in_span("c", |_| {}));
        });
    });
    assert_eq!(spans.tree(), "first\n  a\nsecond\n  b\n    c\n");
    assert_ne!(spans.span("first").trace_id(), spans.span("second").trace_id());
    assert_eq!(spans.named("a").len(), 1);
    assert!(spans.find("missing").is_none());
}

#[test]
fn an_always_off_sampler_captures_nothing() {
    let (value, spans) = testing::capture_with(TracerProvider::builder().sampler(AlwaysOff), || checkout(1));
    assert_eq!(value.unwrap(), 1);
    assert!(spans.is_empty(), "{spans}");
}

#[test]
fn a_ratio_sampler_keeps_whole_traces() {
    let ((), spans) = testing::capture_with(TracerProvider::builder().sampler(TraceIdRatio::new(0.5)), || {
        for _ in 0..200 {
            let _ = checkout(1);
        }
    });
    let roots = spans.named("checkout").len();
    assert!((50..=150).contains(&roots), "{roots} of 200 traces kept");
    // Every kept trace is whole: both children, parented.
    assert_eq!(spans.named("load_cart").len(), roots);
    assert_eq!(spans.named("charge").len(), roots);
    for charge in spans.named("charge") {
        assert_eq!(spans.parent(charge).map(|p| &*p.name), Some("checkout"));
    }
}

#[test]
fn concurrent_captures_see_only_their_own_spans() {
    let threads: Vec<_> = (0..4u32)
        .map(|i| {
            std::thread::spawn(move || {
                let ((), spans) = testing::capture(|| {
                    for _ in 0..=i {
                        let _ = checkout(i);
                    }
                });
                (i, spans)
            })
        })
        .collect();
    for thread in threads {
        let (i, spans) = thread.join().unwrap();
        assert_eq!(spans.named("checkout").len(), i as usize + 1);
        assert_eq!(spans.len(), 3 * (i as usize + 1));
    }
}

#[trace]
async fn fetch(id: u32) -> u32 {
    tokio::task::yield_now().await;
    id * 2
}

#[trace]
async fn gather() -> u32 {
    let spawned = tokio::spawn(fetch(1).in_span(Span::new("spawned")));
    let here = fetch(2).await;
    here + spawned.await.unwrap()
}

#[test]
fn capture_future_follows_the_future_across_worker_threads() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let (total, spans) = runtime.block_on(testing::capture_future(gather()));
    assert_eq!(total, 6);
    assert_eq!(spans.tree(), "gather\n  spawned\n    fetch\n  fetch\n");
    let gather = spans.span("gather");
    assert!(spans.spans().iter().all(|s| s.trace_id() == gather.trace_id()));
}

#[test]
#[should_panic(expected = "\"load_cart\" is not a child of \"charge\"")]
fn a_wrong_parent_fails_with_the_tree() {
    let (_, spans): (_, Captured) = testing::capture(|| checkout(1));
    spans.assert_child_of("load_cart", "charge");
}

#[test]
#[should_panic(expected = "no span named \"nope\"; the spans are:\ncheckout\n")]
fn a_missing_span_fails_with_the_tree() {
    let (_, spans) = testing::capture(|| checkout(1));
    let _ = spans.span("nope");
}

#[test]
fn tasks_spawned_with_in_current_span_stay_in_the_capture() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let ((), spans) = runtime.block_on(testing::capture_future(async {
        // Made inside the capture: its span is the capture's.
        async {
            let task = tokio::spawn(
                async {
                    tokio::task::yield_now().await;
                    in_span("in_the_task", |_| {});
                }
                .in_current_span(),
            );
            task.await.unwrap();
        }
        .in_span(Span::new("parent"))
        .await
    }));
    assert_eq!(spans.tree(), "parent\n  in_the_task\n");
}

/// This binary installs no provider: outside a capture nothing records,
/// and a guard makes nothing current.
#[test]
fn outside_a_capture_nothing_is_recorded_or_current() {
    let entered = Span::new("outside").entered();
    assert!(!entered.is_recording());
    assert_eq!(entered.span_id(), None);
    assert_eq!(tracer::current_span_id(), None);
    drop(entered);
    let ((), spans) = testing::capture(|| {
        let inside = Span::new("inside").entered();
        assert_eq!(tracer::current_span_id(), inside.span_id());
    });
    assert_eq!(spans.tree(), "inside\n");
}
