//! A panic unwinding out of an instrumented function marks its span
//! `panicked` (status and `exception` event), sync and async.
use crate::common;

use std::panic::{AssertUnwindSafe, catch_unwind};

use common::{assert_child_of, one, traced};
use tracer::{SpanData, Status, Value, trace};

fn assert_panicked(span: &SpanData) {
    assert_eq!(span.status, Status::error("panicked"), "{}", span.name);
    let event = span.event("exception").expect("an exception event");
    assert_eq!(event.attribute("exception.type"), Some(&Value::from("panic")));
    assert!(span.end_time_unix_nano >= span.start_time_unix_nano);
}

#[trace]
fn explodes(n: u32) -> u32 {
    if n > 0 {
        panic!("boom {n}");
    }
    n
}

#[trace]
fn calls_explodes() -> Result<u32, String> {
    Ok(explodes(1))
}

#[trace]
fn diverges() -> ! {
    panic!("never returns")
}

#[trace]
fn unit_panics() {
    let v: Vec<u8> = Vec::new();
    let _ = v[3];
}

#[test]
fn a_panic_marks_every_span_it_unwinds_through() {
    let (caught, spans) = traced(|| catch_unwind(calls_explodes).unwrap_err().downcast::<String>().unwrap());
    assert_eq!(*caught, "boom 1");
    let inner = one(&spans, "explodes");
    let outer = one(&spans, "calls_explodes");
    assert_child_of(inner, outer);
    assert_panicked(inner);
    assert_panicked(outer);
    // The root caught the panic: it ends normally.
    assert_eq!(one(&spans, "test_root").status, Status::Unset);
}

#[test]
fn diverging_and_unit_functions() {
    let (_, spans) = traced(|| {
        assert!(catch_unwind(|| diverges()).is_err());
        assert!(catch_unwind(unit_panics).is_err());
    });
    assert_panicked(one(&spans, "diverges"));
    assert_panicked(one(&spans, "unit_panics"));
}

#[test]
fn a_function_that_does_not_panic_is_not_marked() {
    let (_, spans) = traced(|| explodes(0));
    let span = one(&spans, "explodes");
    assert_eq!(span.status, Status::Unset);
    assert!(span.events.is_empty());
}

#[trace]
async fn async_explodes() -> Result<(), String> {
    tokio::task::yield_now().await;
    panic!("async boom");
}

#[test]
fn a_panicking_poll_marks_the_async_span() {
    let (_, spans) = traced(|| {
        let result = catch_unwind(AssertUnwindSafe(|| {
            tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap()
                .block_on(async_explodes())
        }));
        assert!(result.is_err());
    });
    let span = one(&spans, "async_explodes");
    assert_panicked(span);
    assert_eq!(span.attribute("cancelled"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_spawned_task_is_marked() {
    use tracer::FutureExt;
    common::exporter();
    let root = tracer::Span::root("test_root");
    let trace_id = root.trace_id().unwrap();
    let joined = async { tokio::spawn(async_explodes().in_current_span()).await }
        .in_span(root)
        .await;
    assert!(joined.unwrap_err().is_panic());
    let spans = common::trace(trace_id);
    assert_panicked(one(&spans, "async_explodes"));
}
