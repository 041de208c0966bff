//! With `default-features = false` (no `enabled` feature), `#[trace]`
//! leaves each function exactly as written: no span is made and the
//! caller's span stays current inside it, while the runtime still records
//! spans made by hand. CI runs it with
//! `cargo test -p tracer --no-default-features --test trace_disabled`.
#![cfg(not(feature = "enabled"))]

mod common;

use tracer::{current_span_id, trace, SpanId};

// A full path: with the feature off the arguments are not compiled, so an
// import used only here would be reported unused.
#[trace(kind = tracer::SpanKind::Server, args(order_id))]
fn checkout(order_id: u64) -> Result<Option<SpanId>, String> {
    if order_id == 0 {
        return Err("no order".into());
    }
    Ok(current_span_id())
}

#[trace(name = "renamed")]
async fn fetch() -> Option<SpanId> {
    current_span_id()
}

struct Store;

#[trace]
impl Store {
    fn load(&self) -> Option<SpanId> {
        current_span_id()
    }
}

#[test]
fn trace_leaves_the_function_as_written() {
    let ((outer, inside), spans) = common::traced(|| {
        let outer = current_span_id();
        let inside = [checkout(7).unwrap(), futures_executor::block_on(fetch()), Store.load()];
        assert_eq!(checkout(0), Err("no order".to_string()), "the body runs unchanged");
        (outer, inside)
    });
    assert!(outer.is_some(), "the test root is current");
    assert_eq!(inside, [outer; 3], "no span of their own is current inside");
    assert_eq!(
        common::names(&spans),
        ["test_root"],
        "only the hand-made root is exported"
    );
}
