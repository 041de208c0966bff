//! Trace and span identifiers.
//!
//! A [`TraceId`] names a whole trace (128 bits) and a [`SpanId`] names one
//! span inside it (64 bits). Both are random, never all zero (the W3C value
//! for "invalid"), and print as lowercase hex of fixed width, exactly as they
//! appear in a `traceparent` header.

use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;
use std::str::FromStr;

use rand::Rng;
use rand::rngs::SmallRng;

/// A 128-bit trace identifier, never zero.
///
/// ```
/// use tracer_core::TraceId;
///
/// let id: TraceId = "4bf92f3577b34da6a3ce929d0e0e4736".parse().unwrap();
/// assert_eq!(id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// assert!("00000000000000000000000000000000".parse::<TraceId>().is_err());
/// ```
// Two halves, not a `u128`: 8-byte alignment keeps span contexts, and so
// every `Span` and each future holding one, free of 16-byte padding.
// `high` first, so that the derived order is the number's.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceId {
    high: u64,
    /// Never both zero.
    low: u64,
}

/// A 64-bit span identifier, never zero.
///
/// ```
/// use tracer_core::SpanId;
///
/// let id = SpanId::from_u64(0xb7ad6b7169203331).unwrap();
/// assert_eq!(id.to_string(), "b7ad6b7169203331");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpanId(NonZeroU64);

/// Why a hex id could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseIdError {
    /// The text is not exactly 32 (trace) or 16 (span) characters long.
    Length,
    /// A character is not lowercase hex (`0-9`, `a-f`).
    Character,
    /// Every digit is zero, which W3C reserves for "invalid".
    Zero,
}

impl fmt::Display for ParseIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParseIdError::Length => "id has the wrong length",
            ParseIdError::Character => "id is not lowercase hex",
            ParseIdError::Zero => "id is all zeros",
        })
    }
}

impl std::error::Error for ParseIdError {}

/// Parses fixed-width lowercase hex, as W3C trace context requires.
fn parse_hex(text: &str, width: usize) -> Result<u128, ParseIdError> {
    if text.len() != width {
        return Err(ParseIdError::Length);
    }
    let mut value = 0u128;
    for byte in text.bytes() {
        let digit = match byte {
            b'0'..=b'9' => byte - b'0',
            b'a'..=b'f' => byte - b'a' + 10,
            _ => return Err(ParseIdError::Character),
        };
        value = (value << 4) | u128::from(digit);
    }
    Ok(value)
}

impl TraceId {
    /// A new random trace id from this thread's generator.
    pub fn random() -> TraceId {
        with_rng(|rng| {
            loop {
                let value = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
                if let Some(id) = TraceId::from_u128(value) {
                    return id;
                }
            }
        })
    }

    /// The id for `value`, or `None` for zero.
    pub const fn from_u128(value: u128) -> Option<TraceId> {
        if value == 0 {
            return None;
        }
        Some(TraceId {
            high: (value >> 64) as u64,
            low: value as u64,
        })
    }

    /// The id as a number.
    pub const fn to_u128(self) -> u128 {
        ((self.high as u128) << 64) | self.low as u128
    }

    /// The id as 16 big-endian bytes, the order used on the wire.
    pub const fn to_bytes(self) -> [u8; 16] {
        self.to_u128().to_be_bytes()
    }

    /// The id from 16 big-endian bytes, or `None` if they are all zero.
    pub const fn from_bytes(bytes: [u8; 16]) -> Option<TraceId> {
        TraceId::from_u128(u128::from_be_bytes(bytes))
    }

    /// Parses 32 lowercase hex characters.
    pub fn from_hex(text: &str) -> Result<TraceId, ParseIdError> {
        TraceId::from_u128(parse_hex(text, 32)?).ok_or(ParseIdError::Zero)
    }
}

impl SpanId {
    /// A new random span id from this thread's generator.
    pub fn random() -> SpanId {
        with_rng(|rng| {
            loop {
                if let Some(id) = SpanId::from_u64(rng.next_u64()) {
                    return id;
                }
            }
        })
    }

    /// The id for `value`, or `None` for zero.
    pub const fn from_u64(value: u64) -> Option<SpanId> {
        match NonZeroU64::new(value) {
            Some(v) => Some(SpanId(v)),
            None => None,
        }
    }

    /// The id as a number.
    pub const fn to_u64(self) -> u64 {
        self.0.get()
    }

    /// The id as 8 big-endian bytes, the order used on the wire.
    pub const fn to_bytes(self) -> [u8; 8] {
        self.0.get().to_be_bytes()
    }

    /// The id from 8 big-endian bytes, or `None` if they are all zero.
    pub const fn from_bytes(bytes: [u8; 8]) -> Option<SpanId> {
        SpanId::from_u64(u64::from_be_bytes(bytes))
    }

    /// Parses 16 lowercase hex characters.
    pub fn from_hex(text: &str) -> Result<SpanId, ParseIdError> {
        SpanId::from_u64(parse_hex(text, 16)? as u64).ok_or(ParseIdError::Zero)
    }
}

impl FromStr for TraceId {
    type Err = ParseIdError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        TraceId::from_hex(text)
    }
}

impl FromStr for SpanId {
    type Err = ParseIdError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        SpanId::from_hex(text)
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.to_u128())
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({self})")
    }
}

impl fmt::LowerHex for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({self})")
    }
}

impl fmt::LowerHex for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A fast per-thread generator: wyrand, seeded once per thread from the OS
/// through `rand`.
///
/// The span hot path keeps one of these inside its own thread-local state so
/// that a new id costs no extra thread-local lookup. wyrand is one add and
/// one 64×64→128 multiply per id (xoshiro256++ takes four loads, four
/// stores and a dozen operations), and its output passes BigCrush and
/// PractRand; ids need to be unique and unpredictable enough to sample on,
/// not secret.
#[derive(Default)]
pub(crate) struct IdGenerator {
    /// 0 until [`seed`](IdGenerator::seed)ed. Not checked per id: the
    /// owner seeds it before first use (a thread's state, on its first
    /// borrow).
    state: u64,
}

impl IdGenerator {
    /// Unseeded: call [`seed`](IdGenerator::seed) before use.
    pub(crate) const fn new() -> IdGenerator {
        IdGenerator { state: 0 }
    }

    /// Seeds it from the OS, unless it is seeded already.
    #[cold]
    pub(crate) fn seed(&mut self) {
        while self.state == 0 {
            self.state = rand::make_rng::<SmallRng>().next_u64();
        }
    }

    #[inline(always)]
    fn next_u64(&mut self) -> u64 {
        debug_assert_ne!(self.state, 0, "an unseeded id generator");
        self.state = self.state.wrapping_add(0xa076_1d64_78bd_642f);
        let product = u128::from(self.state) * u128::from(self.state ^ 0xe703_7ed1_a0b4_28db);
        (product >> 64) as u64 ^ product as u64
    }

    #[inline(always)]
    pub(crate) fn span_id(&mut self) -> SpanId {
        match SpanId::from_u64(self.next_u64()) {
            Some(id) => id,
            None => self.nonzero_span_id(),
        }
    }

    /// The one time in 2^64 that the generator gives 0.
    #[cold]
    fn nonzero_span_id(&mut self) -> SpanId {
        loop {
            if let Some(id) = SpanId::from_u64(self.next_u64()) {
                return id;
            }
        }
    }

    #[inline]
    pub(crate) fn trace_id(&mut self) -> TraceId {
        loop {
            let value = (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64());
            if let Some(id) = TraceId::from_u128(value) {
                return id;
            }
        }
    }
}

thread_local! {
    // For ids made outside the span hot path (`TraceId::random()`).
    static STANDALONE: Cell<Option<SmallRng>> = const { Cell::new(None) };
}

fn with_rng<T>(f: impl FnOnce(&mut SmallRng) -> T) -> T {
    STANDALONE.with(|cell| {
        let mut rng = cell.take().unwrap_or_else(rand::make_rng::<SmallRng>);
        let out = f(&mut rng);
        cell.set(Some(rng));
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_width() {
        let trace = TraceId::from_u128(1).unwrap();
        assert_eq!(trace.to_string(), "00000000000000000000000000000001");
        let span = SpanId::from_u64(0xab).unwrap();
        assert_eq!(span.to_string(), "00000000000000ab");
        assert_eq!(span.to_string().parse::<SpanId>(), Ok(span));
        assert_eq!(trace.to_string().parse::<TraceId>(), Ok(trace));
    }

    #[test]
    fn rejects_bad_hex() {
        assert_eq!(SpanId::from_hex("00000000000000AB"), Err(ParseIdError::Character));
        assert_eq!(SpanId::from_hex("ab"), Err(ParseIdError::Length));
        assert_eq!(SpanId::from_hex("0000000000000000"), Err(ParseIdError::Zero));
        assert_eq!(
            TraceId::from_hex("0000000000000000000000000000000g"),
            Err(ParseIdError::Character)
        );
    }

    #[test]
    fn random_ids_differ() {
        let mut ids = IdGenerator::new();
        ids.seed();
        let a = ids.span_id();
        let b = ids.span_id();
        assert_ne!(a, b);
        assert_ne!(TraceId::random(), TraceId::random());
        assert_ne!(ids.trace_id().to_u128() >> 64, 0, "high half is random too");
    }

    #[test]
    fn generators_on_different_threads_differ() {
        let ids = || {
            let mut generator = IdGenerator::new();
            generator.seed();
            (0..64).map(|_| generator.span_id()).collect::<Vec<_>>()
        };
        let here = ids();
        let there = std::thread::spawn(ids).join().unwrap();
        assert!(here.iter().all(|id| !there.contains(id)));
        let mut unique = here.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), here.len());
    }

    #[test]
    fn bytes_are_big_endian() {
        let span = SpanId::from_u64(0x0102030405060708).unwrap();
        assert_eq!(span.to_bytes(), [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(SpanId::from_bytes(span.to_bytes()), Some(span));
    }
}
