//! The propagation API's own pieces: the empty context, the global
//! propagator and the carriers handed to it, the composite's view of its
//! propagators.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use super::*;
use crate::model::{SpanId, TraceFlags, TraceId, TraceState};

fn sampled_context() -> SpanContext {
    SpanContext::new(
        TraceId::from_u128(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736).unwrap(),
        SpanId::from_u64(0x00f0_67aa_0ba9_02b7).unwrap(),
        TraceFlags::SAMPLED,
        true,
        TraceState::empty(),
    )
}

#[test]
fn a_context_is_empty_only_with_neither_span_context_nor_baggage() {
    assert!(PropagationContext::default().is_empty());
    assert!(!PropagationContext::new(Some(sampled_context()), Baggage::new()).is_empty());
    assert!(!PropagationContext::new(None, Baggage::from_header("k=v")).is_empty());
}

/// Through a generic parameter, so that `Arc<dyn Propagator>`'s own impl
/// is the one called (a method call on the `Arc` would reach the inner
/// propagator through `Deref`).
fn fields_of<P: Propagator>(propagator: &P) -> Vec<&'static str> {
    propagator.fields()
}

#[test]
fn shared_and_composite_propagators_report_their_fields() {
    let shared: Arc<dyn Propagator> = Arc::new(CompositePropagator::w3c());
    assert_eq!(fields_of(&shared), vec!["traceparent", "tracestate", "baggage"]);
    assert_eq!(
        format!("{:?}", CompositePropagator::w3c()),
        r#"CompositePropagator { fields: ["traceparent", "tracestate", "baggage"] }"#
    );
    let guard = PropagationContext::new(None, Baggage::from_header("k=v")).attach();
    let shown = format!("{guard:?}");
    assert!(shown.starts_with("PropagationGuard { baggage: "), "{shown}");
}

thread_local! {
    /// The carrier keys the marker propagator saw on this thread.
    static SEEN_KEYS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Adds a field, injects nothing and extracts nothing, and notes the
/// carrier's keys: in front of the W3C ones, the global propagator
/// behaves as before for every other test of the binary.
struct KeyNoting;

impl Propagator for KeyNoting {
    fn inject(&self, _: &PropagationContext, _: &mut dyn Injector) {}

    fn extract(&self, extractor: &dyn Extractor) -> PropagationContext {
        let keys = extractor.keys().into_iter().map(str::to_string).collect();
        SEEN_KEYS.with(|seen| *seen.borrow_mut() = keys);
        PropagationContext::default()
    }

    fn fields(&self) -> Vec<&'static str> {
        vec!["x-key-noting"]
    }
}

#[test]
fn the_global_propagator_is_replaced_and_sees_the_whole_carrier() {
    set_global_propagator(CompositePropagator::w3c().with(KeyNoting));
    let fields = global_propagator().fields();
    let mut headers = HashMap::new();
    headers.insert("x-only-key".to_string(), "v".to_string());
    let context = extract(&headers);
    set_global_propagator(CompositePropagator::w3c());
    assert_eq!(fields, vec!["traceparent", "tracestate", "baggage", "x-key-noting"]);
    assert!(context.is_empty());
    assert_eq!(
        SEEN_KEYS.with(|seen| seen.borrow().clone()),
        vec!["x-only-key".to_string()]
    );
    assert_eq!(
        global_propagator().fields(),
        vec!["traceparent", "tracestate", "baggage"]
    );
}
