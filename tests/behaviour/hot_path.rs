//! The span hot path's shortcuts keep the documented behaviour: unsampled
//! children share their parent's context, recycled record buffers lose and
//! mix up nothing, and large thread batches are exported as they come, in
//! batches of at most `max_batch_size`.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracer::export::{ExportError, SpanExporter};
use tracer::processor::{BatchConfig, BatchSpanProcessor, SpanProcessor};
use tracer::{
    Span, SpanContext, SpanData, SpanId, SpanKind, TraceFlags, TraceId, TraceState, Value, attach, current_span_id,
    current_trace_id, in_span, trace,
};

#[trace]
fn traced_fn() -> Option<TraceId> {
    current_trace_id()
}

#[test]
fn unsampled_children_share_their_parents_context_and_record_nothing() {
    common::exporter();
    let parent = common::unsampled_context();
    let guard = attach(parent.clone());
    in_span("child", |child| {
        assert!(!child.is_recording());
        assert_eq!(child.trace_id(), Some(parent.trace_id()));
        assert_eq!(child.span_id(), Some(parent.span_id()));
        assert_eq!(current_span_id(), Some(parent.span_id()));
        in_span("grandchild", |g| assert_eq!(g.context(), Some(parent.clone())));
        assert_eq!(traced_fn(), Some(parent.trace_id()));
    });
    let entered = Span::new("entered").entered();
    assert!(!entered.is_recording());
    assert_eq!(entered.trace_id(), Some(parent.trace_id()));
    let owned = entered.exit();
    assert_eq!(owned.context(), Some(parent.clone()));
    drop(guard);
    assert_eq!(current_span_id(), None);
    assert!(common::exporter().trace(parent.trace_id()).is_empty());
}

#[test]
fn owned_children_of_an_unsampled_span_show_its_whole_context_wherever_they_go() {
    common::exporter();
    let plain = SpanContext::new(
        TraceId::from_u128(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736).unwrap(),
        SpanId::from_u64(0x00f0_67aa_0ba9_02b7).unwrap(),
        TraceFlags::RANDOM,
        false,
        TraceState::empty(),
    );
    let with_state = SpanContext::new(
        TraceId::from_u128(0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c).unwrap(),
        SpanId::from_u64(0xb7ad_6b71_6920_3331).unwrap(),
        TraceFlags::NONE,
        false,
        TraceState::from_header("vendor=value,other=1").unwrap(),
    );
    for parent in [plain, with_state] {
        let guard = attach(parent.clone());
        let owned = Span::new("owned");
        assert!(!owned.is_recording());
        assert_eq!(owned.context(), Some(parent.clone()));
        // Its context travels with it.
        let moved = std::thread::spawn(move || owned.context()).join().unwrap();
        assert_eq!(moved, Some(parent.clone()));
        // Nested under a second unsampled span, then back.
        let inner = SpanContext::new(
            TraceId::from_u128(0x1111_2222).unwrap(),
            SpanId::from_u64(0x1111).unwrap(),
            TraceFlags::from_bits(0x02 - parent.trace_flags().bits()),
            false,
            TraceState::empty(),
        );
        let inner_guard = attach(inner.clone());
        assert_eq!(Span::new("under_inner").context(), Some(inner));
        drop(inner_guard);
        let entered = Span::new("entered").entered();
        assert_eq!(entered.context(), Some(parent.clone()));
        assert_eq!(current_span_id(), Some(parent.span_id()));
        drop(entered);
        drop(guard);
        // Nothing unsampled is current any more: a new trace starts.
        assert_ne!(
            Span::new("outside").context().map(|c| c.trace_id()),
            Some(parent.trace_id())
        );
        assert!(common::exporter().trace(parent.trace_id()).is_empty());
    }
}

#[test]
fn builder_children_of_an_unsampled_span_record_nothing_and_name_it() {
    common::exporter();
    let parent = common::unsampled_context();
    let guard = attach(parent.clone());
    for owned_value in [false, true] {
        let value: Value = if owned_value {
            format!("v{owned_value}").into()
        } else {
            7.into()
        };
        let child = Span::builder("child")
            .kind(SpanKind::Client)
            .attribute("k", value)
            .entered();
        assert!(!child.is_recording());
        assert_eq!(child.span_id(), Some(parent.span_id()));
        assert_eq!(current_span_id(), Some(parent.span_id()));
        drop(child);
        assert_eq!(current_span_id(), Some(parent.span_id()));
    }
    // A root ignores the unsampled span: the sampler decides, and keeps it.
    let root = Span::builder("root").root().attribute("k", 1).entered();
    let root_trace = root.trace_id().expect("a root of its own");
    assert_ne!(root_trace, parent.trace_id());
    drop(root);
    drop(guard);
    assert!(common::exporter().trace(parent.trace_id()).is_empty());
    let roots = common::exporter().trace(root_trace);
    assert_eq!(roots.len(), 1);
    assert_eq!(roots[0].parent_span_id, None);
    assert_eq!(roots[0].attributes.get("k"), Some(&Value::I64(1)));
}

#[test]
fn a_sampled_span_under_an_unsampled_scope_is_recorded_once_the_scope_ends() {
    let ((), spans) = common::traced(|| {
        let guard = attach(common::unsampled_context());
        in_span("inside", |span| assert!(!span.is_recording()));
        drop(guard);
        in_span("after", |span| assert!(span.is_recording()));
        assert!(traced_fn().is_some());
    });
    let root = common::one(&spans, "test_root");
    common::assert_child_of(common::one(&spans, "after"), root);
    common::assert_child_of(common::one(&spans, "traced_fn"), root);
    assert!(spans.iter().all(|s| s.name != "inside"));
}

#[test]
fn an_unsampled_scope_is_unsampled_again_after_a_sampled_root_on_top_ends() {
    common::exporter();
    let parent = common::unsampled_context();
    let guard = attach(parent.clone());
    let root = Span::root("sampled_root").entered();
    let root_trace = root.trace_id().expect("recorded");
    in_span("under_root", |span| assert!(span.is_recording()));
    drop(root);
    // The unsampled parent is on top again: its children record nothing.
    in_span("after_root", |span| {
        assert!(!span.is_recording());
        assert_eq!(span.span_id(), Some(parent.span_id()));
    });
    let owned = Span::new("owned_after_root");
    assert!(!owned.is_recording());
    assert_eq!(owned.context(), Some(parent.clone()));
    drop(owned);
    drop(guard);
    let spans = common::exporter().trace(root_trace);
    assert_eq!(spans.len(), 2);
    common::assert_child_of(common::one(&spans, "under_root"), common::one(&spans, "sampled_root"));
    assert!(common::exporter().trace(parent.trace_id()).is_empty());
}

#[test]
fn owned_names_attributes_and_events_survive_buffer_reuse() {
    // Several rounds, so that later batches reuse the buffers of earlier
    // ones (whose records are dropped only then).
    for round in 0..5 {
        let ((), spans) = common::traced(|| {
            for i in 0..300 {
                in_span(format!("span-{round}-{i}"), |span| {
                    span.set_attribute("index", i);
                    span.set_attribute(format!("key-{i}"), format!("value-{i}"));
                    span.add_event(format!("event-{i}"), []);
                });
            }
        });
        assert_eq!(spans.len(), 301);
        for i in 0..300 {
            let span = common::one(&spans, &format!("span-{round}-{i}"));
            assert_eq!(span.attribute("index"), Some(&Value::I64(i)));
            assert_eq!(
                span.attribute(&format!("key-{i}")),
                Some(&Value::from(format!("value-{i}")))
            );
            assert_eq!(span.events.len(), 1);
            assert_eq!(span.events[0].name, format!("event-{i}"));
        }
    }
}

#[test]
fn owned_spans_reusing_record_boxes_keep_their_own_data() {
    // Owned spans keep their open record in a box that goes back to a
    // per-thread pool when they finish, wherever they finish: here on this
    // thread, on another one, and through `EnteredSpan::exit`.
    let ((), spans) = common::traced(|| {
        for round in 0..3 {
            let owned: Vec<Span> = (0..6)
                .map(|i| {
                    let span = Span::new(format!("owned-{round}-{i}"));
                    span.set_attribute("index", i);
                    span.add_event(format!("event-{round}-{i}"), []);
                    span
                })
                .collect();
            let (here, there): (Vec<_>, Vec<_>) = owned.into_iter().enumerate().partition(|(i, _)| i % 2 == 0);
            drop(here);
            std::thread::spawn(move || drop(there)).join().unwrap();
            let entered = Span::new(format!("exited-{round}")).entered();
            entered.set_attribute("before", true);
            let exited = entered.exit();
            exited.set_attribute("after", true);
        }
    });
    assert_eq!(spans.len(), 1 + 3 * 7);
    let root = common::one(&spans, "test_root");
    for round in 0..3 {
        for i in 0..6i64 {
            let span = common::one(&spans, &format!("owned-{round}-{i}"));
            common::assert_child_of(span, root);
            assert_eq!(span.attributes.len(), 1);
            assert_eq!(span.attribute("index"), Some(&Value::I64(i)));
            assert_eq!(span.events.len(), 1);
            assert_eq!(span.events[0].name, format!("event-{round}-{i}"));
            assert!(span.end_time_unix_nano >= span.start_time_unix_nano);
        }
        let exited = common::one(&spans, &format!("exited-{round}"));
        common::assert_child_of(exited, root);
        assert_eq!(exited.attributes.len(), 2);
        assert_eq!(exited.attribute("before"), Some(&Value::Bool(true)));
        assert_eq!(exited.attribute("after"), Some(&Value::Bool(true)));
        assert!(exited.events.is_empty());
    }
}

/// Records every batch it is given.
#[derive(Clone, Default)]
struct Batches(Arc<Mutex<Vec<Vec<SpanId>>>>);

impl SpanExporter for Batches {
    fn export(&mut self, batch: &[SpanData]) -> Result<(), ExportError> {
        self.0
            .lock()
            .unwrap()
            .push(batch.iter().map(SpanData::span_id).collect());
        Ok(())
    }
}

/// `n` real finished spans, made through the shared reporter.
fn spans(n: usize) -> Vec<SpanData> {
    let ((), spans) = common::traced(|| {
        for _ in 0..n {
            in_span("work", |_| {});
        }
    });
    spans.into_iter().filter(|s| s.name == "work").collect()
}

#[test]
fn large_and_small_batches_are_all_exported_within_max_batch_size() {
    let batches = Batches::default();
    let processor = BatchSpanProcessor::new(
        batches.clone(),
        BatchConfig::default()
            .max_batch_size(10)
            .export_interval(Duration::from_secs(3600)),
    );
    let large = spans(45);
    let small = spans(3);
    let mut expected: Vec<SpanId> = large.iter().chain(&small).map(SpanData::span_id).collect();
    processor.on_end_batch(small.into());
    processor.on_end_batch(large.into());
    processor.force_flush(Duration::from_secs(5)).unwrap();
    let exported = batches.0.lock().unwrap().clone();
    assert!(exported.iter().all(|b| !b.is_empty() && b.len() <= 10), "{exported:?}");
    let mut delivered: Vec<SpanId> = exported.into_iter().flatten().collect();
    delivered.sort();
    expected.sort();
    assert_eq!(delivered, expected);
    let stats = processor.stats();
    assert_eq!((stats.received, stats.exported, stats.queued), (48, 48, 0));
}

#[test]
fn owned_children_report_once_with_their_parent_wherever_they_go_first() {
    // `Span::new` under a sampled parent writes its record where the span
    // goes first: each way it can go is checked here.
    let (ids, spans) = common::traced(|| {
        let finished = Span::new("finished_here");
        let finished_id = finished.span_id();
        finished.finish();

        let moved = Span::new("entered_elsewhere");
        let moved_id = moved.span_id();
        let entered_id = std::thread::spawn(move || {
            let entered = moved.entered();
            in_span("grandchild", |_| {});
            entered.span_id()
        })
        .join()
        .unwrap();
        assert_eq!(entered_id, moved_id);

        let changed = Span::new("changed_first");
        changed.set_attribute("k", 7i64);
        let changed = changed.entered();
        changed.add_event("e", []);
        drop(changed);

        let scoped = Span::new("scoped");
        scoped.in_scope(|| in_span("first_scope_child", |_| {}));
        scoped.in_scope(|| in_span("second_scope_child", |_| {}));
        drop(scoped);

        let far = Span::new("finished_elsewhere");
        std::thread::spawn(move || drop(far)).join().unwrap();

        let exited = Span::new("entered_then_exited").entered().exit();
        exited.set_attribute("after_exit", true);
        drop(exited);
        (finished_id, moved_id)
    });
    let root = common::one(&spans, "test_root");
    for name in [
        "finished_here",
        "entered_elsewhere",
        "changed_first",
        "scoped",
        "finished_elsewhere",
        "entered_then_exited",
    ] {
        let span = common::one(&spans, name);
        common::assert_child_of(span, root);
        assert!(
            span.start_time_unix_nano >= root.start_time_unix_nano
                && span.end_time_unix_nano >= span.start_time_unix_nano
                && span.end_time_unix_nano <= root.end_time_unix_nano,
            "{name}: {span:?}"
        );
    }
    assert_eq!(Some(common::one(&spans, "finished_here").span_id()), ids.0);
    assert_eq!(Some(common::one(&spans, "entered_elsewhere").span_id()), ids.1);
    common::assert_child_of(
        common::one(&spans, "grandchild"),
        common::one(&spans, "entered_elsewhere"),
    );
    let changed = common::one(&spans, "changed_first");
    assert_eq!(changed.attribute("k"), Some(&Value::I64(7)));
    assert!(changed.event("e").is_some());
    for name in ["first_scope_child", "second_scope_child"] {
        common::assert_child_of(common::one(&spans, name), common::one(&spans, "scoped"));
    }
    assert_eq!(
        common::one(&spans, "entered_then_exited").attribute("after_exit"),
        Some(&Value::Bool(true))
    );
}

#[test]
fn an_owned_child_dropped_by_a_panic_is_marked_panicked() {
    let ((), spans) = common::traced(|| {
        let unwound = std::panic::catch_unwind(|| {
            let _span = Span::new("unwound");
            panic!("boom");
        });
        assert!(unwound.is_err());
        // Started before the panic, so it is not marked.
        let before = Span::new("not_marked");
        let _ = std::panic::catch_unwind(|| panic!("elsewhere"));
        drop(before);
    });
    let unwound = common::one(&spans, "unwound");
    assert_eq!(unwound.status, tracer::Status::error("panicked"));
    assert!(unwound.event("exception").is_some());
    assert!(!common::one(&spans, "not_marked").status.is_error());
}
