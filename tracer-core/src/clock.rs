//! The span clock: a TSC read, turned into wall-clock unix nanoseconds.
//!
//! Reading the time stamp counter costs about a third of `Instant::now()`.
//! One anchor, taken once per process, pairs a counter value with
//! `SystemTime::now()`, so every thread converts with the same offset and
//! timestamps from different threads stay comparable. Durations therefore
//! come from a monotonic counter while exported times are unix nanoseconds.
//! Where no stable TSC exists, `minstant` falls back to the system clock.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How counter values become unix nanoseconds: `base_ns` at counter value
/// `base`, then `nanos_per_tick` per tick. Taken once per process, so every
/// thread converts alike.
struct Conversion {
    base: u64,
    base_ns: u64,
    nanos_per_tick: f64,
}

static CONVERSION: OnceLock<Conversion> = OnceLock::new();

/// The counter value behind a `minstant::Instant` (TSC ticks; nanoseconds
/// where `minstant` falls back to the system clock).
#[inline(always)]
fn ticks(instant: minstant::Instant) -> u64 {
    // SAFETY: `minstant::Instant` is `#[repr(transparent)]` over its u64
    // counter value.
    unsafe { std::mem::transmute::<minstant::Instant, u64>(instant) }
}

impl Conversion {
    /// Reads `minstant`'s own calibration: its anchor (a counter value and
    /// the wall time then) and its ticks-to-nanoseconds ratio, recovered
    /// exactly from a long interval.
    fn new() -> Conversion {
        let anchor = minstant::Anchor::new();
        let now = minstant::Instant::now();
        const SPAN: u64 = 1 << 40;
        // SAFETY: as in `ticks`, the other way round.
        let instant = |t: u64| unsafe { std::mem::transmute::<u64, minstant::Instant>(t) };
        let nanos = instant(SPAN).duration_since(instant(0)).as_nanos();
        Conversion {
            base: ticks(now),
            base_ns: now.as_unix_nanos(&anchor),
            nanos_per_tick: nanos as f64 / SPAN as f64,
        }
    }
}

/// The current time in unix nanoseconds, from the cheap monotonic clock.
///
/// The same numbers as `minstant`'s `as_unix_nanos`, computed with signed
/// integer conversions: its unsigned `u64`/`f64` conversions cost about
/// three times as many instructions, twice per span.
///
/// ```
/// let before = tracer_core::clock::now_unix_nanos();
/// let after = tracer_core::clock::now_unix_nanos();
/// assert!(after >= before);
/// ```
#[inline]
pub fn now_unix_nanos() -> u64 {
    let conversion = CONVERSION.get_or_init(Conversion::new);
    let elapsed = ticks(minstant::Instant::now()).wrapping_sub(conversion.base) as i64;
    let nanos = (elapsed as f64 * conversion.nanos_per_tick) as i64;
    conversion.base_ns.wrapping_add_signed(nanos)
}

/// Unix nanoseconds for a `SystemTime` (zero before 1970).
pub fn system_time_to_unix_nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// The `SystemTime` for unix nanoseconds.
pub fn unix_nanos_to_system_time(nanos: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_the_wall_clock() {
        let ours = now_unix_nanos();
        let wall = system_time_to_unix_nanos(SystemTime::now());
        assert!(ours.abs_diff(wall) < 50_000_000, "ours={ours} wall={wall}");
    }

    #[test]
    fn is_monotonic_within_a_thread() {
        let mut last = now_unix_nanos();
        for _ in 0..10_000 {
            let now = now_unix_nanos();
            assert!(now >= last);
            last = now;
        }
    }
}
