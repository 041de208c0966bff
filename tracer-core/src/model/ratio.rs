//! The trace-id ratio rule: whether a trace id falls in a fixed fraction of
//! all trace ids.
//!
//! The head sampler ([`TraceIdRatio`](crate::sampler::TraceIdRatio)) and the
//! tail sampler ([`TailSamplingProcessor`](crate::processor::TailSamplingProcessor))
//! both use it, so that every service configured with the same ratio makes
//! the same choice for the same trace, whichever of the two it runs.

use super::id::TraceId;

/// The trace id bits compared: the lower 56, which W3C Trace Context level
/// 2 requires to be random.
const RATIO_BITS: u32 = 56;

/// Selects a trace when its id's lower 56 bits are below `ratio × 2^56`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct RatioRule {
    ratio: f64,
    threshold: u64,
}

impl RatioRule {
    /// The rule for `ratio`; values outside `0..=1` are clamped, and NaN
    /// counts as 0.
    pub(crate) fn new(ratio: f64) -> RatioRule {
        let ratio = if ratio.is_nan() { 0.0 } else { ratio.clamp(0.0, 1.0) };
        let threshold = (ratio * (1u64 << RATIO_BITS) as f64) as u64;
        RatioRule { ratio, threshold }
    }

    /// The fraction selected, after clamping.
    pub(crate) fn ratio(self) -> f64 {
        self.ratio
    }

    /// Whether `trace_id` falls in the selected fraction.
    #[inline]
    pub(crate) fn selects(self, trace_id: TraceId) -> bool {
        let low = (trace_id.to_u128() as u64) & ((1u64 << RATIO_BITS) - 1);
        low < self.threshold
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(value: u128) -> TraceId {
        TraceId::from_u128(value).unwrap()
    }

    #[test]
    fn compares_the_low_56_bits_with_the_ratio() {
        let half = RatioRule::new(0.5);
        // 2^55 is the threshold for one half.
        assert!(half.selects(id(0x7f_ffff_ffff_ffff)));
        assert!(!half.selects(id(0x80_0000_0000_0000)));
        // Bits above the lower 56 play no part.
        assert!(half.selects(id(0xffff_ffff_ffff_ffff_ff00_0000_0000_0001)));
        assert!(!RatioRule::new(0.0).selects(id(1)));
        assert!(RatioRule::new(1.0).selects(id(0xff_ffff_ffff_ffff)));
    }

    #[test]
    fn clamps_the_ratio() {
        assert_eq!(RatioRule::new(f64::NAN).ratio(), 0.0);
        assert_eq!(RatioRule::new(-1.0).ratio(), 0.0);
        assert_eq!(RatioRule::new(7.0).ratio(), 1.0);
    }
}
