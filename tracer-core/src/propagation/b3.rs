//! B3 (Zipkin) propagation, single and multi header (feature `propagators`).

use super::{Baggage, Extractor, Injector, PropagationContext, Propagator, trim_ows};
use crate::model::{SpanContext, TraceFlags, TraceState};
use crate::model::{SpanId, TraceId};

const B3_SINGLE: &str = "b3";
const B3_TRACE_ID: &str = "x-b3-traceid";
const B3_SPAN_ID: &str = "x-b3-spanid";
const B3_SAMPLED: &str = "x-b3-sampled";
const B3_FLAGS: &str = "x-b3-flags";
const B3_PARENT_SPAN_ID: &str = "x-b3-parentspanid";

/// Which B3 headers [`B3Propagator`] writes. Extraction always accepts
/// both: the single header first, then the multi headers.
///
/// ```
/// use tracer_core::propagation::{B3Encoding, B3Propagator, Propagator};
///
/// let both = B3Propagator::new(B3Encoding::SingleAndMultiHeader);
/// assert!(both.fields().contains(&"b3") && both.fields().contains(&"x-b3-traceid"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum B3Encoding {
    /// `b3: {trace}-{span}-{sampled}`.
    #[default]
    SingleHeader,
    /// `X-B3-TraceId`, `X-B3-SpanId`, `X-B3-Sampled`.
    MultipleHeader,
    /// Both.
    SingleAndMultiHeader,
}

/// B3 propagation, for meshes (Zipkin, older Istio/Envoy) that still use it.
///
/// - Trace ids of 16 or 32 lowercase hex digits are accepted (16 are
///   left-padded with zeros); span ids are 16.
/// - The sampling state `1` and `d` (debug) mean sampled, `0` and an absent
///   state (a deferred decision) mean not sampled; the multi-header
///   `X-B3-Sampled` also accepts `true`/`false`, and `X-B3-Flags: 1`
///   (debug) means sampled.
/// - `b3: 0` alone (a "do not sample" without ids) carries no context and
///   is treated as absent, as is anything malformed.
/// - B3 has no trace state or baggage; the parent span id is ignored.
///
/// ```
/// use std::collections::HashMap;
/// use tracer_core::propagation::{B3Propagator, Propagator};
///
/// let mut headers = HashMap::new();
/// headers.insert("b3".to_string(), "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90".to_string());
/// let ctx = B3Propagator::single().extract(&headers).span_context.unwrap();
/// assert!(ctx.is_sampled());
/// assert_eq!(ctx.span_id().to_string(), "e457b5a2e4d86bd1");
///
/// let mut out: HashMap<String, String> = HashMap::new();
/// B3Propagator::multi().inject(&tracer_core::propagation::PropagationContext::new(Some(ctx), Default::default()), &mut out);
/// assert_eq!(out["x-b3-sampled"], "1");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct B3Propagator {
    encoding: B3Encoding,
}

impl B3Propagator {
    /// A propagator writing `encoding`.
    ///
    /// ```
    /// use tracer_core::propagation::{B3Encoding, B3Propagator, Propagator};
    ///
    /// assert_eq!(B3Propagator::new(B3Encoding::SingleHeader).fields(), vec!["b3"]);
    /// ```
    pub fn new(encoding: B3Encoding) -> B3Propagator {
        B3Propagator { encoding }
    }

    /// Writes the single `b3` header.
    ///
    /// ```
    /// let propagator = tracer_core::propagation::B3Propagator::single();
    /// # let _ = propagator;
    /// ```
    pub fn single() -> B3Propagator {
        B3Propagator::new(B3Encoding::SingleHeader)
    }

    /// Writes the `X-B3-*` headers.
    ///
    /// ```
    /// let propagator = tracer_core::propagation::B3Propagator::multi();
    /// # let _ = propagator;
    /// ```
    pub fn multi() -> B3Propagator {
        B3Propagator::new(B3Encoding::MultipleHeader)
    }

    fn extract_single(&self, value: &str) -> Option<SpanContext> {
        let mut parts = trim_ows(value).split('-');
        let trace_id = parse_trace_id(parts.next()?)?;
        let span_id = parse_span_id(parts.next()?)?;
        let sampled = match parts.next() {
            None => false,
            Some("1") | Some("d") => true,
            Some("0") => false,
            Some(_) => return None,
        };
        if let Some(parent) = parts.next() {
            parse_span_id(parent)?;
        }
        if parts.next().is_some() {
            return None;
        }
        Some(remote(trace_id, span_id, sampled))
    }

    fn extract_multi(&self, extractor: &dyn Extractor) -> Option<SpanContext> {
        let trace_id = parse_trace_id(trim_ows(&extractor.get_header(B3_TRACE_ID)?))?;
        let span_id = parse_span_id(trim_ows(&extractor.get_header(B3_SPAN_ID)?))?;
        let debug = extractor.get_header(B3_FLAGS).is_some_and(|f| trim_ows(&f) == "1");
        let sampled = match extractor.get_header(B3_SAMPLED).as_deref().map(trim_ows) {
            None => false,
            Some("1") | Some("true") => true,
            Some("0") | Some("false") => false,
            Some(_) => return None,
        };
        Some(remote(trace_id, span_id, sampled || debug))
    }
}

fn remote(trace_id: TraceId, span_id: SpanId, sampled: bool) -> SpanContext {
    SpanContext::new(
        trace_id,
        span_id,
        TraceFlags::NONE.with_sampled(sampled),
        true,
        TraceState::empty(),
    )
}

fn parse_trace_id(text: &str) -> Option<TraceId> {
    match text.len() {
        32 => TraceId::from_hex(text).ok(),
        16 => TraceId::from_hex(&format!("{:0>32}", text)).ok(),
        _ => None,
    }
}

fn parse_span_id(text: &str) -> Option<SpanId> {
    SpanId::from_hex(text).ok()
}

impl Propagator for B3Propagator {
    fn inject(&self, context: &PropagationContext, injector: &mut dyn Injector) {
        let Some(ctx) = &context.span_context else { return };
        let sampled = if ctx.is_sampled() { "1" } else { "0" };
        if matches!(
            self.encoding,
            B3Encoding::SingleHeader | B3Encoding::SingleAndMultiHeader
        ) {
            injector.set_header(B3_SINGLE, format!("{}-{}-{}", ctx.trace_id(), ctx.span_id(), sampled));
        }
        if matches!(
            self.encoding,
            B3Encoding::MultipleHeader | B3Encoding::SingleAndMultiHeader
        ) {
            injector.set_header(B3_TRACE_ID, ctx.trace_id().to_string());
            injector.set_header(B3_SPAN_ID, ctx.span_id().to_string());
            injector.set_header(B3_SAMPLED, sampled.to_string());
        }
    }

    fn extract(&self, extractor: &dyn Extractor) -> PropagationContext {
        let span_context = extractor
            .get_header(B3_SINGLE)
            .and_then(|single| self.extract_single(&single))
            .or_else(|| self.extract_multi(extractor));
        PropagationContext::new(span_context, Baggage::new())
    }

    fn fields(&self) -> Vec<&'static str> {
        match self.encoding {
            B3Encoding::SingleHeader => vec![B3_SINGLE],
            B3Encoding::MultipleHeader => vec![B3_TRACE_ID, B3_SPAN_ID, B3_SAMPLED, B3_FLAGS, B3_PARENT_SPAN_ID],
            B3Encoding::SingleAndMultiHeader => {
                vec![
                    B3_SINGLE,
                    B3_TRACE_ID,
                    B3_SPAN_ID,
                    B3_SAMPLED,
                    B3_FLAGS,
                    B3_PARENT_SPAN_ID,
                ]
            }
        }
    }
}
