//! The span model: ids, attributes of every type, events, links, kinds,
//! status, errors, lifecycle and the builder.

use crate::common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{assert_child_of, one, traced};
use tracer::{
    Array, KeyValue, Span, SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState, Value, current_span,
    in_span,
};

#[test]
fn ids_are_w3c_hex_and_never_zero() {
    let ((), spans) = traced(|| {
        Span::new("child").finish();
    });
    for span in &spans {
        let trace = span.trace_id().to_string();
        let id = span.span_id().to_string();
        assert_eq!(trace.len(), 32);
        assert_eq!(id.len(), 16);
        assert!(
            trace
                .chars()
                .chain(id.chars())
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(span.trace_id().to_u128(), 0);
        assert_ne!(span.span_id().to_u64(), 0);
    }
    assert_ne!(spans[0].span_id(), spans[1].span_id());
}

#[test]
fn attributes_of_every_type() {
    let ((), spans) = traced(|| {
        let span = Span::new("typed");
        span.set_attribute("bool", true);
        span.set_attribute("int", -7i64);
        span.set_attribute("float", 2.5);
        span.set_attribute("static_str", "literal");
        span.set_attribute("owned_str", format!("n={}", 3));
        span.set_attribute("bools", vec![true, false]);
        span.set_attribute("ints", vec![1i64, 2]);
        span.set_attribute("floats", vec![0.5, 1.5]);
        span.set_attribute("strs", vec!["a", "b"]);
        span.set_tag("user_id", "usr_123");
        span.set_tag("int", 8);
    });
    let span = one(&spans, "typed");
    assert_eq!(span.attribute("bool"), Some(&Value::Bool(true)));
    assert_eq!(span.attribute("int"), Some(&Value::I64(8)), "set_tag replaces");
    assert_eq!(span.attribute("float"), Some(&Value::F64(2.5)));
    assert_eq!(span.attribute("static_str"), Some(&Value::from("literal")));
    assert_eq!(span.attribute("owned_str").and_then(Value::as_str), Some("n=3"));
    assert_eq!(
        span.attribute("bools"),
        Some(&Value::Array(Array::Bool(vec![true, false])))
    );
    assert_eq!(span.attribute("ints"), Some(&Value::Array(Array::I64(vec![1, 2]))));
    assert_eq!(
        span.attribute("floats"),
        Some(&Value::Array(Array::F64(vec![0.5, 1.5])))
    );
    assert_eq!(
        span.attribute("strs"),
        Some(&Value::Array(Array::String(vec!["a".into(), "b".into()])))
    );
    assert_eq!(span.attribute("user_id").and_then(Value::as_str), Some("usr_123"));
    let keys: Vec<&str> = span.attributes.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(keys[..3], ["bool", "int", "float"], "first-set order is kept");
}

#[test]
fn events_are_timestamped_within_the_span() {
    let ((), spans) = traced(|| {
        let span = Span::new("with_events");
        span.add_event("cache_miss", [KeyValue::new("key", "user:123")]);
        span.add_event("retry", []);
        let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        span.add_event_at("explicit", at, []);
    });
    let span = one(&spans, "with_events");
    let names: Vec<&str> = span.events.iter().map(|e| &*e.name).collect();
    assert_eq!(names, ["cache_miss", "retry", "explicit"]);
    let miss = span.event("cache_miss").unwrap();
    assert_eq!(miss.attribute("key").and_then(Value::as_str), Some("user:123"));
    assert!(span.start_time_unix_nano <= miss.timestamp_unix_nano);
    assert!(miss.timestamp_unix_nano <= span.events[1].timestamp_unix_nano);
    assert!(span.events[1].timestamp_unix_nano <= span.end_time_unix_nano);
    assert_eq!(span.events[2].timestamp_unix_nano, 1_700_000_000 * 1_000_000_000);
}

#[test]
fn links_carry_context_and_attributes() {
    let remote = SpanContext::new(
        TraceId::from_u128(0xabc).unwrap(),
        SpanId::from_u64(0xdef).unwrap(),
        TraceFlags::SAMPLED,
        true,
        TraceState::from_header("vendor=1").unwrap(),
    );
    let ((), spans) = traced(|| {
        let span = Span::builder("linked")
            .link(remote.clone(), [KeyValue::new("reason", "related-work")])
            .start();
        span.add_link(remote.clone(), []);
    });
    let span = one(&spans, "linked");
    assert_eq!(span.links.len(), 2);
    assert_eq!(span.links[0].context, remote);
    assert_eq!(span.links[0].attributes, vec![KeyValue::new("reason", "related-work")]);
    assert_eq!(span.links[0].context.trace_state().get("vendor"), Some("1"));
}

#[test]
fn kinds_and_status() {
    let ((), spans) = traced(|| {
        for (name, kind) in [
            ("internal", SpanKind::Internal),
            ("server", SpanKind::Server),
            ("client", SpanKind::Client),
            ("producer", SpanKind::Producer),
            ("consumer", SpanKind::Consumer),
        ] {
            Span::builder(name).kind(kind).start().set_ok();
        }
        let failed = Span::new("failed");
        failed.set_status(Status::error("Database connection failed"));
        failed.set_status(Status::Unset);
        let ok = Span::new("ok_is_final");
        ok.set_ok();
        ok.set_status(Status::error("ignored"));
        let _unset = Span::new("unset");
    });
    assert_eq!(one(&spans, "server").kind, SpanKind::Server);
    assert_eq!(one(&spans, "client").kind, SpanKind::Client);
    assert_eq!(one(&spans, "producer").kind, SpanKind::Producer);
    assert_eq!(one(&spans, "consumer").kind, SpanKind::Consumer);
    assert_eq!(one(&spans, "internal").kind, SpanKind::Internal);
    assert_eq!(one(&spans, "internal").status, Status::Ok);
    assert_eq!(
        one(&spans, "failed").status,
        Status::error("Database connection failed")
    );
    assert_eq!(one(&spans, "ok_is_final").status, Status::Ok);
    assert_eq!(one(&spans, "unset").status, Status::Unset);
}

#[derive(Debug)]
struct PaymentDeclined;

impl std::fmt::Display for PaymentDeclined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("card declined")
    }
}

impl std::error::Error for PaymentDeclined {}

#[test]
fn set_error_records_status_and_exception_event() {
    let ((), spans) = traced(|| {
        Span::new("typed_error").set_error(&PaymentDeclined);
        let boxed: Box<dyn std::error::Error> = Box::new(PaymentDeclined);
        Span::new("dyn_error").set_error(&*boxed);
    });
    let span = one(&spans, "typed_error");
    assert_eq!(span.status, Status::error("card declined"));
    let event = span.event("exception").expect("exception event");
    assert_eq!(
        event.attribute("exception.message").and_then(Value::as_str),
        Some("card declined")
    );
    assert!(
        event
            .attribute("exception.type")
            .and_then(Value::as_str)
            .unwrap()
            .ends_with("PaymentDeclined")
    );
    let dynamic = one(&spans, "dyn_error");
    assert_eq!(dynamic.status, Status::error("card declined"));
    assert!(dynamic.event("exception").is_some());
}

#[test]
fn finish_is_idempotent_and_drop_finishes() {
    let ((), spans) = traced(|| {
        let span = Span::new("explicit");
        span.finish();
        span.set_tag("after_finish", 1);
        span.finish();
        let _dropped = Span::new("dropped");
    });
    let explicit = one(&spans, "explicit");
    assert_eq!(
        explicit.attribute("after_finish"),
        None,
        "a finished span no longer changes"
    );
    assert!(explicit.end_time_unix_nano >= explicit.start_time_unix_nano);
    assert!(one(&spans, "dropped").end_time_unix_nano > 0);
}

#[test]
fn timestamps_nest() {
    let ((), spans) = traced(|| {
        let outer = Span::new("outer").entered();
        std::thread::sleep(Duration::from_millis(1));
        in_span("inner", |_| std::thread::sleep(Duration::from_millis(1)));
        drop(outer);
    });
    let outer = one(&spans, "outer");
    let inner = one(&spans, "inner");
    assert!(outer.start_time_unix_nano < inner.start_time_unix_nano);
    assert!(inner.end_time_unix_nano < outer.end_time_unix_nano);
    assert!(inner.duration() >= Duration::from_millis(1));
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
    assert!(
        now.abs_diff(outer.end_time_unix_nano) < 60_000_000_000,
        "wall-clock unix nanos"
    );
}

#[test]
fn builder_sets_everything() {
    // A literal instant: the expected value is not computed by the clock
    // under test.
    let start = UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_456_789);
    let ((), spans) = traced(|| {
        let span = Span::builder("built")
            .kind(SpanKind::Client)
            .attribute("key", "value")
            .attributes([KeyValue::new("n", 1)])
            .start_time(start)
            .start();
        span.update_name("renamed");
    });
    let span = one(&spans, "renamed");
    assert_eq!(span.kind, SpanKind::Client);
    assert_eq!(span.attribute("key").and_then(Value::as_str), Some("value"));
    assert_eq!(span.attribute("n"), Some(&Value::I64(1)));
    assert_eq!(span.start_time_unix_nano, 1_700_000_000_123_456_789);
    assert!(span.duration() >= Duration::from_secs(3));
}

#[test]
fn explicit_root_and_parents() {
    let remote = SpanContext::new(
        TraceId::from_u128(0x4bf92f3577b34da6a3ce929d0e0e4736).unwrap(),
        SpanId::from_u64(0x00f067aa0ba902b7).unwrap(),
        TraceFlags::SAMPLED,
        true,
        TraceState::empty(),
    );
    let (ids, spans) = traced(|| {
        let local_parent = Span::new("local_parent");
        let of_local = Span::child_of("of_local", &local_parent.context().unwrap());
        let new_root = Span::root("new_root");
        let of_remote = Span::builder("of_remote").parent(remote.clone()).start();
        let ids = (new_root.trace_id().unwrap(), of_remote.trace_id().unwrap());
        drop((of_local, local_parent));
        ids
    });
    assert_child_of(one(&spans, "of_local"), one(&spans, "local_parent"));
    assert!(
        spans.iter().all(|s| s.name != "new_root" && s.name != "of_remote"),
        "other traces"
    );
    let (root_trace, remote_trace) = ids;
    let new_root = common::trace(root_trace);
    assert_eq!(new_root.len(), 1);
    assert_eq!(new_root[0].parent_span_id, None);
    let of_remote = &common::trace(remote_trace)[0];
    assert_eq!(of_remote.trace_id(), remote.trace_id());
    assert_eq!(of_remote.parent_span_id, Some(remote.span_id()));
    assert!(of_remote.parent_is_remote);
}

#[test]
fn attribute_limit_drops_and_counts() {
    let ((), spans) = traced(|| {
        let span = Span::new("crowded");
        for i in 0..130 {
            span.set_attribute(format!("k{i}"), i);
        }
        for _ in 0..130 {
            span.add_event("e", []);
        }
    });
    let span = one(&spans, "crowded");
    assert_eq!(span.attributes.len(), 128);
    assert_eq!(span.dropped_attributes_count, 2);
    assert_eq!(span.events.len(), 128);
    assert_eq!(span.dropped_events_count, 2);
}

#[test]
fn handles_do_nothing_without_a_span() {
    std::thread::spawn(|| {
        common::exporter();
        let span = current_span();
        assert!(!span.is_recording());
        span.set_tag("ignored", 1);
        span.add_event("ignored", []);
        assert_eq!(span.context(), None);
        assert_eq!(tracer::current_trace_id(), None);
        assert_eq!(tracer::current_span_id(), None);
    })
    .join()
    .unwrap();
}

#[test]
fn entered_span_can_exit_and_move() {
    let ((), spans) = traced(|| {
        let entered = Span::new("moved").entered();
        entered.set_tag("before", 1);
        let span = entered.exit();
        assert_ne!(tracer::current_span_id(), span.span_id());
        std::thread::spawn(move || span.set_tag("on_thread", 2)).join().unwrap();
    });
    let moved = one(&spans, "moved");
    assert_eq!(moved.attribute("before"), Some(&Value::I64(1)));
    assert_eq!(moved.attribute("on_thread"), Some(&Value::I64(2)));
    assert_child_of(moved, one(&spans, "test_root"));
}
