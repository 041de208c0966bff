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

static ANCHOR: OnceLock<minstant::Anchor> = OnceLock::new();

/// The current time in unix nanoseconds, from the cheap monotonic clock.
///
/// ```
/// let before = tracer_core::clock::now_unix_nanos();
/// let after = tracer_core::clock::now_unix_nanos();
/// assert!(after >= before);
/// ```
#[inline]
pub fn now_unix_nanos() -> u64 {
    let anchor = ANCHOR.get_or_init(minstant::Anchor::new);
    minstant::Instant::now().as_unix_nanos(anchor)
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
