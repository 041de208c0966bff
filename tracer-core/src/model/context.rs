//! Span contexts: the part of a span that crosses process boundaries.
//!
//! A [`SpanContext`] is what another span needs in order to name this one as
//! its parent or link to it: the trace id, the span id, the [`TraceFlags`]
//! (whether the trace is sampled, whether its id is random) and the vendor
//! [`TraceState`]. It is what `traceparent` and `tracestate` headers carry
//! between services.

use std::fmt;

use super::id::{SpanId, TraceId};
use super::trace_state::TraceState;

/// The W3C trace flags byte.
///
/// Trace Context Level 2 defines two bits: *sampled* (`01`) and *random*
/// (`02`, the trace id's right-most 7 bytes are random). An extracted
/// context keeps every bit it came with. A span tracer starts carries
/// [`defined`](TraceFlags::defined) bits only: a new trace has the random
/// bit (tracer's trace ids are random), a child has its parent's random
/// bit, and the sampler sets the sampled bit; bits Level 2 leaves
/// undefined are cleared, as it asks.
///
/// ```
/// use tracer_core::TraceFlags;
///
/// let flags = TraceFlags::SAMPLED;
/// assert!(flags.is_sampled());
/// assert_eq!(format!("{flags}"), "01");
/// assert!(!TraceFlags::from_bits(0x02).is_sampled());
/// assert!(TraceFlags::from_bits(0x02).is_random());
/// assert_eq!(TraceFlags::from_bits(0xff).defined().bits(), 0x03);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TraceFlags(u8);

impl TraceFlags {
    /// No flag set: the trace is not sampled.
    pub const NONE: TraceFlags = TraceFlags(0);
    /// The `sampled` bit (`01`).
    pub const SAMPLED: TraceFlags = TraceFlags(0x01);
    /// The `random` bit (`02`) of Trace Context level 2: the trace id's
    /// right-most 56 bits are random.
    pub const RANDOM: TraceFlags = TraceFlags(0x02);

    /// Flags from their byte, keeping every bit.
    pub const fn from_bits(bits: u8) -> TraceFlags {
        TraceFlags(bits)
    }

    /// The flags byte.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether the sampled bit is set.
    pub const fn is_sampled(self) -> bool {
        self.0 & 0x01 != 0
    }

    /// Whether the random bit is set.
    pub const fn is_random(self) -> bool {
        self.0 & 0x02 != 0
    }

    /// These flags without the bits Level 2 leaves undefined: only the
    /// sampled and random bits are kept.
    pub const fn defined(self) -> TraceFlags {
        TraceFlags(self.0 & (TraceFlags::SAMPLED.0 | TraceFlags::RANDOM.0))
    }

    /// These flags with the sampled bit set or cleared; other bits are kept.
    pub const fn with_sampled(self, sampled: bool) -> TraceFlags {
        if sampled {
            TraceFlags(self.0 | 0x01)
        } else {
            TraceFlags(self.0 & !0x01)
        }
    }
}

impl fmt::Display for TraceFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02x}", self.0)
    }
}

impl fmt::Debug for TraceFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceFlags({:02x})", self.0)
    }
}

/// The identity of a span as other spans and services see it.
///
/// ```
/// use tracer_core::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
///
/// let ctx = SpanContext::new(
///     TraceId::from_u128(0x4bf92f3577b34da6a3ce929d0e0e4736).unwrap(),
///     SpanId::from_u64(0x00f067aa0ba902b7).unwrap(),
///     TraceFlags::SAMPLED,
///     true,
///     TraceState::empty(),
/// );
/// assert!(ctx.is_sampled() && ctx.is_remote());
/// assert_eq!(ctx.span_id().to_string(), "00f067aa0ba902b7");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SpanContext {
    trace_id: TraceId,
    span_id: SpanId,
    trace_flags: TraceFlags,
    is_remote: bool,
    trace_state: TraceState,
}

impl SpanContext {
    /// A span context from its parts. `is_remote` is true for a context that
    /// was extracted from another process.
    pub const fn new(
        trace_id: TraceId,
        span_id: SpanId,
        trace_flags: TraceFlags,
        is_remote: bool,
        trace_state: TraceState,
    ) -> SpanContext {
        SpanContext {
            trace_id,
            span_id,
            trace_flags,
            is_remote,
            trace_state,
        }
    }

    /// The trace this span belongs to.
    pub const fn trace_id(&self) -> TraceId {
        self.trace_id
    }

    /// The span's own id.
    pub const fn span_id(&self) -> SpanId {
        self.span_id
    }

    /// The trace flags.
    pub const fn trace_flags(&self) -> TraceFlags {
        self.trace_flags
    }

    /// Whether the trace is sampled (recorded and exported).
    pub const fn is_sampled(&self) -> bool {
        self.trace_flags.is_sampled()
    }

    /// Whether this context came from another process.
    pub const fn is_remote(&self) -> bool {
        self.is_remote
    }

    /// The vendor trace state.
    pub const fn trace_state(&self) -> &TraceState {
        &self.trace_state
    }

    /// This context with a different trace state.
    pub fn with_trace_state(mut self, trace_state: TraceState) -> SpanContext {
        self.trace_state = trace_state;
        self
    }
}

impl fmt::Debug for SpanContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpanContext")
            .field("trace_id", &format_args!("{}", self.trace_id))
            .field("span_id", &format_args!("{}", self.span_id))
            .field("trace_flags", &self.trace_flags)
            .field("is_remote", &self.is_remote)
            .field("trace_state", &self.trace_state)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_table() {
        // (bits, sampled, random, defined bits, with_sampled(true), with_sampled(false))
        let cases: [(u8, bool, bool, u8, u8, u8); 6] = [
            (0x00, false, false, 0x00, 0x01, 0x00),
            (0x01, true, false, 0x01, 0x01, 0x00),
            (0x02, false, true, 0x02, 0x03, 0x02),
            (0x03, true, true, 0x03, 0x03, 0x02),
            (0x04, false, false, 0x00, 0x05, 0x04),
            (0xff, true, true, 0x03, 0xff, 0xfe),
        ];
        for (bits, sampled, random, defined, on, off) in cases {
            let flags = TraceFlags::from_bits(bits);
            assert_eq!(flags.is_sampled(), sampled, "{bits:02x}");
            assert_eq!(flags.is_random(), random, "{bits:02x}");
            assert_eq!(flags.defined().bits(), defined, "{bits:02x}");
            assert_eq!(flags.with_sampled(true).bits(), on, "{bits:02x}");
            assert_eq!(flags.with_sampled(false).bits(), off, "{bits:02x}");
        }
    }
}
