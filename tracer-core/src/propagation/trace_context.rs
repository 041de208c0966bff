//! W3C Trace Context: the `traceparent` and `tracestate` headers.

use std::fmt;

use super::{Baggage, Extractor, Injector, PropagationContext, Propagator, trim_ows};
use crate::model::{ParseIdError, SpanId, TraceId};
use crate::model::{SpanContext, TraceFlags, TraceState};

/// The `traceparent` header name.
///
/// ```
/// use std::collections::HashMap;
/// use tracer_core::propagation::{extract_context, TRACEPARENT_HEADER};
///
/// let mut headers = HashMap::new();
/// headers.insert(TRACEPARENT_HEADER.to_string(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_string());
/// assert!(extract_context(&headers).is_some());
/// ```
pub const TRACEPARENT_HEADER: &str = "traceparent";
/// The `tracestate` header name.
///
/// ```
/// assert_eq!(tracer_core::propagation::TRACESTATE_HEADER, "tracestate");
/// ```
pub const TRACESTATE_HEADER: &str = "tracestate";

/// Length of a version-00 `traceparent`: `vv-<32>-<16>-ff`.
const TRACEPARENT_LEN: usize = 55;

/// Why a `traceparent` value was rejected. Extraction treats every one of
/// these as "no traceparent".
///
/// ```
/// use tracer_core::propagation::{parse_traceparent, TraceparentError};
///
/// assert_eq!(parse_traceparent("00-abc"), Err(TraceparentError::Length));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceparentError {
    /// Too short; or, for version `00`, not exactly 55 characters.
    Length,
    /// A field is not followed by `-` where the format puts one.
    Delimiter,
    /// The version is not two lowercase hex digits, or is `ff`.
    Version,
    /// The trace id is not 32 lowercase hex digits, or is all zeros.
    TraceId(ParseIdError),
    /// The parent id is not 16 lowercase hex digits, or is all zeros.
    ParentId(ParseIdError),
    /// The flags are not two lowercase hex digits.
    Flags,
}

impl fmt::Display for TraceparentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceparentError::Length => f.write_str("traceparent has the wrong length"),
            TraceparentError::Delimiter => f.write_str("traceparent fields are not separated by '-'"),
            TraceparentError::Version => f.write_str("traceparent version is invalid"),
            TraceparentError::TraceId(e) => write!(f, "traceparent trace-id: {e}"),
            TraceparentError::ParentId(e) => write!(f, "traceparent parent-id: {e}"),
            TraceparentError::Flags => f.write_str("traceparent trace-flags are not two lowercase hex digits"),
        }
    }
}

impl std::error::Error for TraceparentError {}

fn hex_digit(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        _ => None,
    }
}

/// Two lowercase hex digits.
fn hex_byte(bytes: &[u8]) -> Option<u8> {
    match bytes {
        [hi, lo] => Some(hex_digit(*hi)? << 4 | hex_digit(*lo)?),
        _ => None,
    }
}

fn field(bytes: &[u8]) -> Result<&str, ParseIdError> {
    std::str::from_utf8(bytes).map_err(|_| ParseIdError::Character)
}

/// Parses a `traceparent` value into a remote [`SpanContext`] (with an
/// empty trace state), following W3C Trace Context:
///
/// - The optional whitespace HTTP allows around a value (spaces, tabs) is
///   ignored; any other whitespace makes the value invalid.
/// - Every field is lowercase hex of its exact length: version 2, trace-id
///   32, parent-id 16, flags 2. Uppercase hex is invalid.
/// - All-zero trace or parent ids are invalid.
/// - Version `ff` is invalid.
/// - Version `00` must be exactly 55 characters long.
/// - A later version (not `00`, not `ff`) is parsed by its first four
///   fields; whatever follows must start with `-` and is ignored.
/// - Every flag bit is kept (the sampled bit `01`, the random bit `02`,
///   and bits not yet defined).
///
/// ```
/// use tracer_core::propagation::parse_traceparent;
///
/// let ctx = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03").unwrap();
/// assert!(ctx.is_sampled() && ctx.is_remote());
/// assert_eq!(ctx.trace_flags().bits(), 0x03);
/// assert!(parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds").is_ok());
/// assert!(parse_traceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").is_err());
/// assert!(parse_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01").is_err());
/// ```
pub fn parse_traceparent(value: &str) -> Result<SpanContext, TraceparentError> {
    let bytes = trim_ows(value).as_bytes();
    if bytes.len() < TRACEPARENT_LEN {
        return Err(TraceparentError::Length);
    }
    let version = hex_byte(&bytes[0..2]).ok_or(TraceparentError::Version)?;
    if version == 0xff {
        return Err(TraceparentError::Version);
    }
    if bytes[2] != b'-' || bytes[35] != b'-' || bytes[52] != b'-' {
        return Err(TraceparentError::Delimiter);
    }
    let trace_id = field(&bytes[3..35])
        .and_then(TraceId::from_hex)
        .map_err(TraceparentError::TraceId)?;
    let span_id = field(&bytes[36..52])
        .and_then(SpanId::from_hex)
        .map_err(TraceparentError::ParentId)?;
    let flags = hex_byte(&bytes[53..55]).ok_or(TraceparentError::Flags)?;
    if bytes.len() > TRACEPARENT_LEN {
        if version == 0 {
            return Err(TraceparentError::Length);
        }
        if bytes[TRACEPARENT_LEN] != b'-' {
            return Err(TraceparentError::Delimiter);
        }
    }
    Ok(SpanContext::new(
        trace_id,
        span_id,
        TraceFlags::from_bits(flags),
        true,
        TraceState::empty(),
    ))
}

/// The version-00 `traceparent` value for `context`, with every flag bit.
///
/// ```
/// use tracer_core::propagation::{format_traceparent, parse_traceparent};
///
/// let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02";
/// assert_eq!(format_traceparent(&parse_traceparent(header).unwrap()), header);
/// ```
pub fn format_traceparent(context: &SpanContext) -> String {
    format!(
        "00-{}-{}-{}",
        context.trace_id(),
        context.span_id(),
        context.trace_flags()
    )
}

/// W3C Trace Context: `traceparent` and `tracestate`.
///
/// Extraction follows [`parse_traceparent`]; a malformed `traceparent` is
/// treated as absent. `tracestate` is read only with a valid
/// `traceparent`, its lines joined, by the Level 2 rules of
/// [`TraceState::from_header`]: a duplicated key keeps its first member;
/// a header with an invalid member or more than 32 members is dropped
/// whole while the `traceparent` is kept. Injection writes version `00`
/// with the context's flags (`03` for a sampled trace tracer started) and
/// the trace state when it is not empty. Baggage is not this format's
/// business.
///
/// ```
/// use std::collections::HashMap;
/// use tracer_core::propagation::{Propagator, TraceContextPropagator};
///
/// let mut headers = HashMap::new();
/// headers.insert("traceparent".to_string(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_string());
/// headers.insert("tracestate".to_string(), "congo=t61rcWkgMzE,Invalid Key=1".to_string());
/// let context = TraceContextPropagator.extract(&headers).span_context.unwrap();
/// assert!(context.trace_state().is_empty(), "the invalid tracestate was dropped");
///
/// headers.insert("tracestate".to_string(), "congo=1,rojo=2,congo=3".to_string());
/// let context = TraceContextPropagator.extract(&headers).span_context.unwrap();
/// assert_eq!(context.trace_state().header(), "congo=1,rojo=2", "the later duplicate was dropped");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct TraceContextPropagator;

impl TraceContextPropagator {
    /// Reads the span context alone.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use tracer_core::propagation::TraceContextPropagator;
    ///
    /// let headers: HashMap<String, String> = HashMap::new();
    /// assert_eq!(TraceContextPropagator.extract_span_context(&headers), None);
    /// ```
    pub fn extract_span_context(&self, extractor: &dyn Extractor) -> Option<SpanContext> {
        let traceparent = extractor.get_header(TRACEPARENT_HEADER)?;
        let context = parse_traceparent(&traceparent).ok()?;
        let trace_state = extractor
            .get_header(TRACESTATE_HEADER)
            .and_then(|header| TraceState::from_header(&header).ok())
            .unwrap_or_default();
        Some(context.with_trace_state(trace_state))
    }
}

impl Propagator for TraceContextPropagator {
    fn inject(&self, context: &PropagationContext, injector: &mut dyn Injector) {
        let Some(span_context) = &context.span_context else {
            return;
        };
        injector.set_header(TRACEPARENT_HEADER, format_traceparent(span_context));
        let trace_state = span_context.trace_state();
        if !trace_state.is_empty() {
            injector.set_header(TRACESTATE_HEADER, trace_state.header());
        }
    }

    fn extract(&self, extractor: &dyn Extractor) -> PropagationContext {
        PropagationContext::new(self.extract_span_context(extractor), Baggage::new())
    }

    fn fields(&self) -> Vec<&'static str> {
        vec![TRACEPARENT_HEADER, TRACESTATE_HEADER]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_never_panics() {
        // Multi-byte characters at field boundaries must not split a char.
        let value = "00-4bf92f3577b34da6a3ce929d0e0e47é-00f067aa0ba902b7-01";
        assert!(parse_traceparent(value).is_err());
        let value = "é0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert!(parse_traceparent(value).is_err());
        assert!(parse_traceparent("ééééééééééééééééééééééééééééééééééééééééééééééééééééééééé").is_err());
    }
}
