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
/// `base`, then `nanos_per_tick_q52 / 2^52` nanoseconds per tick. Taken once
/// per process, so every thread converts alike.
#[derive(Clone, Copy)]
struct Conversion {
    base: u64,
    base_ns: u64,
    /// Nanoseconds per tick in 12.52 fixed point (off by under a nanosecond
    /// a day): an integer multiply and shift, where a float conversion with Rust's saturating casts costs
    /// about three times as many instructions, twice per span.
    nanos_per_tick_q52: u64,
    /// Whether `ticks` reads the TSC directly (`minstant` found it stable);
    /// otherwise it asks `minstant`, which falls back to the system clock.
    direct_tsc: bool,
}

static CONVERSION: OnceLock<Conversion> = OnceLock::new();

/// The counter value behind a `minstant::Instant` (TSC ticks; nanoseconds
/// where `minstant` falls back to the system clock).
#[inline(always)]
fn minstant_ticks(instant: minstant::Instant) -> u64 {
    // SAFETY: `minstant::Instant` is `#[repr(transparent)]` over its u64
    // counter value.
    unsafe { std::mem::transmute::<minstant::Instant, u64>(instant) }
}

/// The raw TSC. `minstant` adds two loads and branches per read to decide
/// what `Conversion::new` decides once.
#[inline(always)]
fn read_tsc() -> Option<u64> {
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    {
        // SAFETY: `rdtsc` exists on every x86_64 CPU and has no preconditions.
        Some(unsafe { core::arch::x86_64::_rdtsc() })
    }
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
    {
        None
    }
}

impl Conversion {
    /// Reads `minstant`'s own calibration: its anchor (a counter value and
    /// the wall time then) and its ticks-to-nanoseconds ratio, recovered
    /// exactly from a long interval.
    fn new() -> Conversion {
        let anchor = minstant::Anchor::new();
        let now = minstant::Instant::now();
        // Taken right after `now`: the two differ by a few nanoseconds.
        let tsc = read_tsc().filter(|_| minstant::is_tsc_available());
        // Five days of ticks at 3 GHz: the ratio to 15 significant digits.
        const SPAN: u64 = 1 << 50;
        // SAFETY: as in `minstant_ticks`, the other way round.
        let instant = |t: u64| unsafe { std::mem::transmute::<u64, minstant::Instant>(t) };
        let nanos = instant(SPAN).duration_since(instant(0)).as_nanos();
        let nanos_per_tick_q52 = u64::try_from((nanos << 52) / u128::from(SPAN)).unwrap_or(u64::MAX);
        Conversion {
            base: tsc.unwrap_or_else(|| minstant_ticks(now)),
            base_ns: now.as_unix_nanos(&anchor),
            nanos_per_tick_q52,
            direct_tsc: tsc.is_some(),
        }
    }

    #[inline(always)]
    fn ticks(self) -> u64 {
        match read_tsc() {
            Some(tsc) if self.direct_tsc => tsc,
            _ => minstant_ticks(minstant::Instant::now()),
        }
    }

    #[inline(always)]
    fn to_unix_nanos(self, ticks: u64) -> u64 {
        // Signed: a counter read on another core may be a little behind
        // `base`.
        let elapsed = i128::from(ticks.wrapping_sub(self.base) as i64);
        let nanos = (elapsed * i128::from(self.nanos_per_tick_q52)) >> 52;
        self.base_ns.wrapping_add_signed(nanos as i64)
    }
}

/// The current time in unix nanoseconds, from the cheap monotonic clock.
///
/// The same numbers as `minstant`'s `as_unix_nanos`, to the nanosecond,
/// for a fraction of its instructions.
///
/// ```
/// let before = tracer_core::clock::now_unix_nanos();
/// let after = tracer_core::clock::now_unix_nanos();
/// assert!(after >= before);
/// ```
#[inline]
pub fn now_unix_nanos() -> u64 {
    let conversion = CONVERSION.get_or_init(Conversion::new);
    conversion.to_unix_nanos(conversion.ticks())
}

/// A thread's copy of the conversion, kept beside its span stack: a read
/// then needs no global load and no initialisation check, only the flag
/// that it was copied from a TSC conversion.
#[derive(Clone, Copy)]
pub(crate) struct LocalClock(Conversion);

impl LocalClock {
    /// Not yet copied: the first read copies the process's conversion.
    pub(crate) const fn new() -> LocalClock {
        LocalClock(Conversion {
            base: 0,
            base_ns: 0,
            nanos_per_tick_q52: 0,
            direct_tsc: false,
        })
    }

    /// [`now_unix_nanos`], from this copy.
    #[inline(always)]
    pub(crate) fn now_unix_nanos(&mut self) -> u64 {
        match read_tsc() {
            Some(tsc) if self.0.direct_tsc => self.0.to_unix_nanos(tsc),
            _ => self.copy_and_read(),
        }
    }

    /// The first read, or every read without a stable TSC (then through
    /// `minstant`, as [`now_unix_nanos`] does).
    #[cold]
    #[inline(never)]
    fn copy_and_read(&mut self) -> u64 {
        let conversion = *CONVERSION.get_or_init(Conversion::new);
        self.0 = conversion;
        conversion.to_unix_nanos(conversion.ticks())
    }
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
    fn agrees_with_minstant() {
        let anchor = minstant::Anchor::new();
        let theirs = minstant::Instant::now().as_unix_nanos(&anchor);
        let ours = now_unix_nanos();
        // Two calibrations of the TSC to unix time (minstant's anchor, made
        // just now, and ours, made once per process) agree to within the
        // error of pairing a TSC read with a wall-clock read: microseconds,
        // more if a thread is preempted between the two. So "read later" need
        // not mean "later" by a few microseconds (this failed one run in
        // four with other tests running alongside).
        assert!(ours.abs_diff(theirs) < 5_000_000, "ours={ours} theirs={theirs}");
    }

    #[test]
    fn fixed_point_conversion_is_exact_enough() {
        // 2.5 ticks per nanosecond over one hour of ticks.
        let conversion = Conversion {
            base: 1_000,
            base_ns: 5_000_000_000,
            nanos_per_tick_q52: (1u64 << 52) * 2 / 5,
            direct_tsc: false,
        };
        let hour_ns = 3_600_000_000_000u64;
        let ticks = 1_000 + hour_ns * 5 / 2;
        assert!(conversion.to_unix_nanos(ticks).abs_diff(5_000_000_000 + hour_ns) <= 1);
        // A counter slightly behind the base gives a time slightly before it.
        assert_eq!(conversion.to_unix_nanos(990), 5_000_000_000 - 4);
    }

    #[test]
    fn local_copy_reads_the_same_clock() {
        let mut local = LocalClock::new();
        let first = local.now_unix_nanos();
        let shared = now_unix_nanos();
        let second = local.now_unix_nanos();
        assert!(first <= shared && shared <= second, "{first} {shared} {second}");
        assert!(second - first < 5_000_000);
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
