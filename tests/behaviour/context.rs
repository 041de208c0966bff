//! The current span: automatic parenting, accessors, guards, panics and
//! threads.

use crate::common;

use std::panic::{AssertUnwindSafe, catch_unwind};

use common::{assert_child_of, exporter, one, trace, traced};
use tracer::{Span, Status, Value, attach, current_context, current_span, current_span_id, current_trace_id, in_span};

#[test]
fn three_levels_with_siblings() {
    let ((), spans) = traced(|| {
        let order = Span::new("order_processing").entered();
        order.set_tag("order_id", "ord_123");
        {
            let payment = Span::new("payment_processing").entered();
            payment.set_tag("amount", 99.99);
            in_span("charge_card", |_| {});
        }
        in_span("inventory_update", |span| span.set_tag("items_count", 3));
    });
    let root = one(&spans, "test_root");
    let order = one(&spans, "order_processing");
    let payment = one(&spans, "payment_processing");
    let inventory = one(&spans, "inventory_update");
    let charge = one(&spans, "charge_card");
    assert_child_of(order, root);
    assert_child_of(payment, order);
    assert_child_of(inventory, order);
    assert_child_of(charge, payment);
    assert!(
        payment.end_time_unix_nano <= inventory.start_time_unix_nano,
        "siblings in order"
    );
    assert_eq!(inventory.attribute("items_count"), Some(&Value::I64(3)));
}

#[test]
fn accessors_see_the_innermost_span() {
    let (seen, spans) = traced(|| {
        let outer = Span::new("outer").entered();
        let inner = Span::new("inner").entered();
        let seen = (current_trace_id(), current_span_id(), inner.span_id(), outer.trace_id());
        current_span().set_tag("via_current", true);
        current_span().add_event("something_happened", []);
        current_span().set_status(Status::error("boom"));
        drop(inner);
        assert_eq!(current_span_id(), outer.span_id(), "the previous span is restored");
        seen
    });
    let (trace_id, span_id, inner_id, outer_trace) = seen;
    assert_eq!(span_id, inner_id);
    assert_eq!(trace_id, outer_trace);
    let inner = one(&spans, "inner");
    assert_eq!(inner.attribute("via_current"), Some(&Value::Bool(true)));
    assert!(inner.event("something_happened").is_some());
    assert_eq!(inner.status, Status::error("boom"));
    assert_eq!(one(&spans, "outer").attribute("via_current"), None);
}

#[test]
fn a_span_ref_keeps_naming_its_span() {
    let ((), spans) = traced(|| {
        let outer = Span::new("outer").entered();
        let handle = current_span();
        let _inner = Span::new("inner").entered();
        handle.set_tag("tagged_later", 1);
        drop(outer);
    });
    assert_eq!(one(&spans, "outer").attribute("tagged_later"), Some(&Value::I64(1)));
    assert_eq!(one(&spans, "inner").attribute("tagged_later"), None);
}

#[test]
fn guards_restore_on_panic_and_mark_the_span() {
    let ((), spans) = traced(|| {
        let before = current_span_id();
        let result = catch_unwind(AssertUnwindSafe(|| {
            let _span = Span::new("panicking").entered();
            in_span("inner_panicking", |_| panic!("boom"));
        }));
        assert!(result.is_err());
        assert_eq!(current_span_id(), before, "the stack is restored after unwinding");
        in_span("after", |_| {});
    });
    let panicking = one(&spans, "panicking");
    assert_eq!(panicking.status, Status::error("panicked"));
    assert_eq!(one(&spans, "inner_panicking").status, Status::error("panicked"));
    let exception = panicking.event("exception").unwrap();
    assert_eq!(
        exception.attribute("exception.type").and_then(Value::as_str),
        Some("panic")
    );
    assert_child_of(one(&spans, "after"), one(&spans, "test_root"));
}

#[test]
fn out_of_order_drops_keep_the_stack_sound() {
    let ((), spans) = traced(|| {
        let a = Span::new("a").entered();
        let b = Span::new("b").entered();
        drop(a);
        assert_eq!(current_span_id(), b.span_id());
        in_span("c", |_| {});
        drop(b);
    });
    let b = one(&spans, "b");
    assert_child_of(b, one(&spans, "a"));
    assert_child_of(one(&spans, "c"), b);
}

#[test]
fn attached_contexts_detached_out_of_order_keep_the_right_parent() {
    // Contexts (and owned spans made current by `in_scope`) live beside the
    // stack's frames; detaching an older one must not lose a newer one.
    let ((), spans) = traced(|| {
        let outer = Span::new("outer");
        let inner = Span::new("inner");
        let outer_guard = attach(outer.context().unwrap());
        let inner_guard = attach(inner.context().unwrap());
        drop(outer_guard);
        assert_eq!(current_span_id(), inner.span_id());
        outer.in_scope(|| {
            assert_eq!(current_span_id(), outer.span_id());
            in_span("under_outer", |_| {});
        });
        assert_eq!(current_span_id(), inner.span_id());
        in_span("under_inner", |_| {});
        drop(inner_guard);
        in_span("under_root", |_| {});
    });
    assert_child_of(one(&spans, "under_outer"), one(&spans, "outer"));
    assert_child_of(one(&spans, "under_inner"), one(&spans, "inner"));
    assert_child_of(one(&spans, "under_root"), one(&spans, "test_root"));
}

#[test]
fn forgotten_guard_does_not_break_other_threads() {
    // A leaked guard leaves its span open on that thread only.
    let ((), spans) = traced(|| {
        std::thread::spawn(|| {
            let root = Span::root("leaky_root").entered();
            std::mem::forget(root);
        })
        .join()
        .unwrap();
        in_span("still_fine", |_| {});
    });
    assert_child_of(one(&spans, "still_fine"), one(&spans, "test_root"));
}

#[test]
fn exiting_thread_hands_over_what_it_left_open() {
    // The thread's buffer is handed over when the thread exits: a span whose
    // guard was leaked is closed then, and its finished child goes with it.
    exporter();
    let trace_id = std::thread::spawn(|| {
        let root = Span::root("left_open").entered();
        in_span("finished_inside", |_| {});
        let trace_id = root.trace_id().expect("recorded");
        std::mem::forget(root);
        trace_id
    })
    .join()
    .unwrap();
    let spans = trace(trace_id);
    let root = one(&spans, "left_open");
    let child = one(&spans, "finished_inside");
    assert_child_of(child, root);
    assert!(root.end_time_unix_nano >= child.end_time_unix_nano);
    assert!(root.start_time_unix_nano <= child.start_time_unix_nano);
}

#[test]
fn spans_cross_threads_by_move_and_by_context() {
    let ((), spans) = traced(|| {
        let moved = Span::new("moved_to_thread");
        let context = current_context();
        let a = std::thread::spawn(move || {
            let entered = moved.entered();
            in_span("work_on_thread", |_| {});
            drop(entered);
        });
        let b = std::thread::spawn(move || {
            let _guard = context.map(attach);
            in_span("attached_child", |_| {});
        });
        a.join().unwrap();
        b.join().unwrap();
    });
    let root = one(&spans, "test_root");
    let moved = one(&spans, "moved_to_thread");
    assert_child_of(moved, root);
    assert_child_of(one(&spans, "work_on_thread"), moved);
    assert_child_of(one(&spans, "attached_child"), root);
}

#[test]
fn in_scope_makes_an_owned_span_current_temporarily() {
    let ((), spans) = traced(|| {
        let batch = Span::new("batch");
        for i in 0..2 {
            batch.in_scope(|| {
                current_span().set_tag("last_item", i);
                in_span("item", |_| {});
            });
        }
        assert_ne!(current_span_id(), batch.span_id());
    });
    let batch = one(&spans, "batch");
    assert_eq!(batch.attribute("last_item"), Some(&Value::I64(1)));
    let items: Vec<_> = spans.iter().filter(|s| s.name == "item").collect();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i.parent_span_id == Some(batch.span_id())));
}

#[test]
fn long_lived_roots_hand_over_in_batches() {
    let exporter = common::exporter();
    let root = Span::root("long_lived").entered();
    let trace_id = root.trace_id().unwrap();
    // A thread holding this many records hands them over even while its
    // root is open (the README's "when spans leave a thread").
    const HAND_OVER_AT: usize = 512;
    let children = HAND_OVER_AT + 10;
    for _ in 0..children {
        in_span("child", |_| {});
    }
    let before_root_ends = exporter.trace(trace_id).len();
    assert!(
        before_root_ends >= HAND_OVER_AT - 1,
        "finished children were handed over early: {before_root_ends}"
    );
    drop(root);
    let all = exporter.trace(trace_id);
    assert_eq!(all.len(), children + 1);
    let root_id = one(&all, "long_lived").span_id();
    assert!(
        all.iter()
            .filter(|s| s.name == "child")
            .all(|c| c.parent_span_id == Some(root_id))
    );
}
