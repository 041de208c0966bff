//! `with_current_context` carries the caller's context into a closure run
//! on another thread: `std::thread::spawn`, `spawn_blocking`, rayon.

use std::sync::mpsc;

use tracer::{in_span, with_current_context};

use crate::common;

/// Runs a closure that starts a span through `spawn`, inside a traced
/// root, and checks that the span is the root's child.
fn assert_spawned_child(spawn: impl FnOnce(Box<dyn FnOnce() + Send>)) {
    let ((), spans) = common::traced(|| {
        spawn(Box::new(with_current_context(|| in_span("spawned", |_| ()))));
    });
    let root = common::one(&spans, "test_root");
    let spawned = common::one(&spans, "spawned");
    assert_eq!(spawned.parent_span_id, Some(root.span_id()));
    assert_eq!(spawned.trace_id(), root.trace_id());
}

#[test]
fn into_std_thread_spawn() {
    assert_spawned_child(|f| std::thread::spawn(f).join().unwrap());
}

#[test]
fn into_spawn_blocking() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    assert_spawned_child(|f| {
        runtime
            .block_on(async { tokio::task::spawn_blocking(f).await })
            .unwrap()
    });
}

#[test]
fn into_rayon() {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    assert_spawned_child(|f| {
        let (done, wait) = mpsc::channel();
        pool.spawn(move || {
            f();
            done.send(()).unwrap();
        });
        wait.recv().unwrap();
    });
}

#[test]
fn without_the_wrapper_the_thread_starts_a_new_trace() {
    let ((), spans) = common::traced(|| {
        std::thread::spawn(|| in_span("unwrapped", |_| ())).join().unwrap();
    });
    assert!(spans.iter().all(|s| s.name != "unwrapped"), "not in the caller's trace");
}
