//! Jaeger `uber-trace-id` propagation (feature `propagators`).

use super::{Baggage, Extractor, Injector, PropagationContext, Propagator, trim_ows};
use crate::model::{SpanContext, TraceFlags, TraceState};
use crate::model::{SpanId, TraceId};

const UBER_TRACE_ID: &str = "uber-trace-id";
const UBER_BAGGAGE_PREFIX: &str = "uberctx-";

/// Jaeger's native propagation, for systems that still use Jaeger clients.
///
/// - `uber-trace-id: {trace-id}:{span-id}:{parent-span-id}:{flags}`, with
///   hex ids of up to 32 and 16 digits (shorter ones are zero-extended;
///   either case is accepted), a parent id that is ignored, and hex flags
///   whose bit `1` is *sampled* and bit `2` *debug* (debug counts as
///   sampled). A URL-encoded value (`%3A` for `:`) is accepted. Anything
///   malformed, or an all-zero id, is treated as absent.
/// - Baggage travels as `uberctx-{key}: {value}` headers.
/// - Injection writes `{trace:032x}:{span:016x}:0:{1|0}`.
///
/// ```
/// use std::collections::HashMap;
/// use tracer_core::propagation::{JaegerPropagator, Propagator};
///
/// let mut headers = HashMap::new();
/// headers.insert("uber-trace-id".to_string(), "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1".to_string());
/// headers.insert("uberctx-tenant".to_string(), "acme".to_string());
/// let context = JaegerPropagator.extract(&headers);
/// assert!(context.span_context.unwrap().is_sampled());
/// assert_eq!(context.baggage.get("tenant"), Some("acme"));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct JaegerPropagator;

/// Up to `max_digits` hex digits, either case.
fn parse_hex(text: &str, max_digits: usize) -> Option<u128> {
    if text.is_empty() || text.len() > max_digits {
        return None;
    }
    text.chars()
        .try_fold(0u128, |acc, c| c.to_digit(16).map(|d| acc << 4 | u128::from(d)))
}

fn parse_uber_trace_id(value: &str) -> Option<SpanContext> {
    let value = trim_ows(value);
    let decoded;
    let value = if value.contains('%') {
        decoded = value.replace("%3A", ":").replace("%3a", ":");
        decoded.as_str()
    } else {
        value
    };
    let mut parts = value.split(':');
    let trace_id = TraceId::from_u128(parse_hex(parts.next()?, 32)?)?;
    let span_id = SpanId::from_u64(parse_hex(parts.next()?, 16)? as u64)?;
    parse_hex(parts.next()?, 16)?;
    let flags = parse_hex(parts.next()?, 2)? as u8;
    if parts.next().is_some() {
        return None;
    }
    let sampled = flags & 0x01 != 0 || flags & 0x02 != 0;
    Some(SpanContext::new(
        trace_id,
        span_id,
        TraceFlags::NONE.with_sampled(sampled),
        true,
        TraceState::empty(),
    ))
}

impl Propagator for JaegerPropagator {
    fn inject(&self, context: &PropagationContext, injector: &mut dyn Injector) {
        if let Some(ctx) = &context.span_context {
            let flags = if ctx.is_sampled() { 1 } else { 0 };
            injector.set_header(
                UBER_TRACE_ID,
                format!("{}:{}:0:{}", ctx.trace_id(), ctx.span_id(), flags),
            );
        }
        for (key, value) in context.baggage.iter() {
            // Keys are tokens, so the header name is valid once lowercased;
            // the value is percent-encoded as a single-member header would be.
            let encoded = Baggage::new().with(key, value).map(|b| b.header()).unwrap_or_default();
            if let Some((_, value)) = encoded.split_once('=') {
                injector.set_header(
                    &format!("{UBER_BAGGAGE_PREFIX}{}", key.to_ascii_lowercase()),
                    value.to_string(),
                );
            }
        }
    }

    fn extract(&self, extractor: &dyn Extractor) -> PropagationContext {
        let span_context = extractor
            .get_header(UBER_TRACE_ID)
            .and_then(|value| parse_uber_trace_id(&value));
        let mut baggage = Baggage::new();
        for name in extractor.keys() {
            let Some(key) = name
                .get(..UBER_BAGGAGE_PREFIX.len())
                .filter(|prefix| prefix.eq_ignore_ascii_case(UBER_BAGGAGE_PREFIX))
                .map(|_| &name[UBER_BAGGAGE_PREFIX.len()..])
            else {
                continue;
            };
            if let Some(value) = extractor.get_header(name) {
                let member = Baggage::from_header(&format!("{}={}", key.to_ascii_lowercase(), trim_ows(&value)));
                baggage = baggage.merged_with(&member);
            }
        }
        PropagationContext::new(span_context, baggage)
    }

    fn fields(&self) -> Vec<&'static str> {
        vec![UBER_TRACE_ID]
    }
}
