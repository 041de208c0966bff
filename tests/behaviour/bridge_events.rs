//! The `tracing` bridge: events become events of the span they happen in,
//! an `ERROR` event may fail it, and events outside any span are counted.
#![cfg(feature = "tracing")]

use tracer::{SpanData, Status, Value, in_span};
use tracing::{error, info, info_span, warn};
use tracing_subscriber::prelude::*;

use crate::common::{self, one};

fn traced_with<R>(layer: tracer::bridge::BridgeLayer, f: impl FnOnce() -> R) -> (R, Vec<SpanData>) {
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || common::traced(f))
}

#[test]
fn events_land_on_the_span_they_happen_in() {
    let (line, spans) = traced_with(tracer::bridge::layer(), || {
        let span = info_span!("charge");
        let _entered = span.enter();
        info!(user = "usr_1", amount = 5, "charged {} EUR", 5);
        in_span("inner", |_| warn!(retry = true, "slow card"));
        let line = line!() + 1;
        info!(code = 7);
        line
    });
    let charge = one(&spans, "charge");
    assert_eq!(charge.events.len(), 2);
    let charged = &charge.events[0];
    assert_eq!(charged.name, "charged 5 EUR");
    assert_eq!(charged.attribute("level"), Some(&Value::from("INFO")));
    assert_eq!(
        charged.attribute("target"),
        Some(&Value::from("behaviour::bridge_events"))
    );
    assert_eq!(charged.attribute("user"), Some(&Value::from("usr_1")));
    assert_eq!(charged.attribute("amount"), Some(&Value::I64(5)));
    assert_eq!(charged.attributes.len(), 4);
    // No message: tracing's own name for the event.
    let unnamed = &charge.events[1];
    assert_eq!(unnamed.name, format!("event tests/behaviour/bridge_events.rs:{line}"));
    assert_eq!(unnamed.attribute("code"), Some(&Value::I64(7)));
    // Inside a tracer span inside the `tracing` one: the tracer span.
    let inner = one(&spans, "inner");
    assert_eq!(inner.events.len(), 1);
    assert_eq!(inner.events[0].name, "slow card");
    assert_eq!(inner.events[0].attribute("level"), Some(&Value::from("WARN")));
    assert_eq!(inner.events[0].attribute("retry"), Some(&Value::Bool(true)));
    // An event in the tracer root, outside any `tracing` span, is the root's.
    assert_eq!(charge.status, Status::Unset);
}

#[test]
fn events_in_a_tracer_span_and_with_an_explicit_parent() {
    let (_, spans) = traced_with(tracer::bridge::layer(), || {
        info!("in the root");
        let target = info_span!("target");
        let other = info_span!("other");
        let _other = other.enter();
        info!(parent: &target, "aimed");
    });
    let root = one(&spans, "test_root");
    assert_eq!(root.events.len(), 1);
    assert_eq!(root.events[0].name, "in the root");
    let target = one(&spans, "target");
    assert_eq!(target.events.len(), 1);
    assert_eq!(target.events[0].name, "aimed");
    assert!(one(&spans, "other").events.is_empty());
}

#[test]
fn error_events_fail_the_span_only_when_asked() {
    let (_, spans) = traced_with(tracer::bridge::layer(), || {
        let _kept = info_span!("error_logged").entered();
        error!(error = "card declined", "payment failed");
    });
    let logged = one(&spans, "error_logged");
    assert_eq!(logged.status, Status::Unset);
    assert_eq!(logged.events[0].attribute("level"), Some(&Value::from("ERROR")));

    let layer = tracer::bridge::layer().with_error_events_fail_span(true);
    let (_, spans) = traced_with(layer, || {
        {
            let _failed = info_span!("with_error_field").entered();
            error!(error = "card declined", "payment failed");
        }
        let _failed = info_span!("message_only").entered();
        error!("stock service down");
        warn!("a warning fails nothing");
    });
    assert_eq!(one(&spans, "with_error_field").status, Status::error("card declined"));
    assert_eq!(one(&spans, "message_only").status, Status::error("stock service down"));
}

#[tracing::instrument(err)]
fn fails() -> Result<(), std::io::Error> {
    Err(std::io::Error::other("disk full"))
}

#[test]
fn instrument_err_fails_the_span_with_the_option() {
    let layer = tracer::bridge::layer().with_error_events_fail_span(true);
    let (_, spans) = traced_with(layer, fails);
    let span = one(&spans, "fails");
    assert_eq!(span.status, Status::error("disk full"));
    assert_eq!(span.events.len(), 1);
    assert_eq!(span.events[0].attribute("error"), Some(&Value::from("disk full")));
}

#[test]
fn events_outside_any_span_are_dropped_and_counted() {
    let layer = tracer::bridge::layer();
    let dropped = layer.dropped_events();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        info!("nowhere");
        let span = info_span!("somewhere");
        span.in_scope(|| info!(parent: None, "an explicit root"));
        // Inside a span that is not sampled: inside a span, not counted.
        let _unsampled = tracer::attach(common::unsampled_context());
        info!("unsampled");
    });
    assert_eq!(dropped.count(), 2);
}
