//! With `default-features = false` (no `enabled` feature), `#[trace]`
//! leaves each function as written: no span is made and the caller's span
//! stays current inside it, while the runtime still records spans made by
//! hand. What the arguments alone use (an import, a parameter, a helper)
//! stays used, so turning the feature off brings no `unused` warnings:
//! `deny(unused)` below makes any such warning fail this test's build.
//! CI runs it with
//! `cargo test -p tracer --no-default-features --test trace_disabled`.
#![cfg(not(feature = "enabled"))]
#![deny(unused)]

mod common;

use tracer::{SpanId, SpanKind, current_span_id, trace};

fn label(order_id: u64) -> String {
    format!("order-{order_id}")
}

fn parse_count(text: &str) -> Result<usize, String> {
    text.parse().map_err(|_| format!("not a count: {text}"))
}

// `SpanKind` is imported for the kind alone, `label` is called and `note`
// read only by the attributes, and the `?` works as it does when enabled.
#[trace(kind = SpanKind::Server, args(order_id), attributes(label = label(order_id), note = note, count = parse_count(count)?))]
fn checkout(order_id: u64, note: &str, count: &str) -> Result<Option<SpanId>, String> {
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
        let inside = [
            checkout(7, "gift", "x").unwrap(),
            futures_executor::block_on(fetch()),
            Store.load(),
        ];
        assert_eq!(
            checkout(0, "", "1"),
            Err("no order".to_string()),
            "the body runs unchanged (the attributes are not evaluated: \"x\" is no count)"
        );
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
