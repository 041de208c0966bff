//! The span clock: a TSC read, turned into wall-clock unix nanoseconds.
//!
//! Reading the time stamp counter costs about a third of `Instant::now()`.
//! One conversion, made once per process, pairs a counter value with
//! `SystemTime::now()` and measures the counter's rate against the
//! monotonic clock, so every thread converts with the same numbers and
//! timestamps from different threads stay comparable. Durations therefore
//! come from a monotonic counter while exported times are unix nanoseconds.
//!
//! The counter is used only where the kernel lists it as a clock source
//! (its rate is then constant and it runs in step on every core); elsewhere,
//! on other architectures and under Miri, times come from `SystemTime`.

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How counter values become unix nanoseconds: `base_ns` at counter value
/// `base`, then `nanos_per_tick_q52 / 2^52` nanoseconds per tick. Taken once
/// per process, so every thread converts alike.
#[derive(Clone, Copy)]
struct Conversion {
    base: u64,
    base_ns: u64,
    /// Nanoseconds per tick in 12.52 fixed point: an integer multiply and
    /// shift, where a float conversion with Rust's saturating casts costs
    /// about three times as many instructions, twice per span.
    nanos_per_tick_q52: u64,
    /// Whether the counter is read at all; otherwise every read asks
    /// `SystemTime`.
    tsc: bool,
}

static CONVERSION: OnceLock<Conversion> = OnceLock::new();

/// How long the counter's rate is measured against the monotonic clock:
/// with reads a few tens of nanoseconds apart, the rate is then right to
/// about one part in 10^5.
const CALIBRATION: Duration = Duration::from_millis(2);

/// The raw time stamp counter, where it is a usable clock.
#[inline(always)]
fn read_tsc() -> Option<u64> {
    #[cfg(all(target_arch = "x86_64", target_os = "linux", not(miri)))]
    {
        // SAFETY: `rdtsc` exists on every x86_64 CPU and has no
        // preconditions.
        Some(unsafe { core::arch::x86_64::_rdtsc() })
    }
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux", not(miri))))]
    {
        None
    }
}

/// Whether the kernel offers the TSC as a clock source: it then ticks at a
/// constant rate and in step on every core.
fn tsc_is_stable() -> bool {
    read_tsc().is_some()
        && std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/available_clocksource")
            .is_ok_and(|sources| sources.split_whitespace().any(|s| s == "tsc"))
}

impl Conversion {
    /// Measures the counter: its rate over [`CALIBRATION`] against the
    /// monotonic clock, and its value at a wall-clock reading.
    fn new() -> Conversion {
        let system = Conversion {
            base: 0,
            base_ns: 0,
            nanos_per_tick_q52: 0,
            tsc: false,
        };
        if !tsc_is_stable() {
            return system;
        }
        let (Some(start_tsc), start) = (read_tsc(), Instant::now()) else {
            return system;
        };
        let (end_tsc, elapsed) = loop {
            let elapsed = start.elapsed();
            let tsc = read_tsc().unwrap_or(start_tsc);
            if elapsed >= CALIBRATION {
                break (tsc, elapsed);
            }
            std::hint::spin_loop();
        };
        let ticks = end_tsc.wrapping_sub(start_tsc);
        if ticks == 0 {
            return system;
        }
        let nanos_per_tick_q52 = u64::try_from((elapsed.as_nanos() << 52) / u128::from(ticks)).unwrap_or(u64::MAX);
        // The counter right after the wall clock: the two are a few
        // nanoseconds apart.
        let base_ns = system_time_to_unix_nanos(SystemTime::now());
        let base = read_tsc().unwrap_or(end_tsc);
        Conversion {
            base,
            base_ns,
            nanos_per_tick_q52,
            tsc: true,
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

    /// Now, in unix nanoseconds, by this conversion.
    #[inline(always)]
    fn now(self) -> u64 {
        match read_tsc() {
            Some(tsc) if self.tsc => self.to_unix_nanos(tsc),
            _ => system_time_to_unix_nanos(SystemTime::now()),
        }
    }
}

/// The current time in unix nanoseconds, from the cheap monotonic clock.
#[inline]
pub(crate) fn now_unix_nanos() -> u64 {
    CONVERSION.get_or_init(Conversion::new).now()
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
            tsc: false,
        })
    }

    /// [`now_unix_nanos`], from this copy.
    #[inline(always)]
    pub(crate) fn now_unix_nanos(&mut self) -> u64 {
        match read_tsc() {
            Some(tsc) if self.0.tsc => self.0.to_unix_nanos(tsc),
            _ => self.copy_and_read(),
        }
    }

    /// The first read, or every read without a usable counter.
    #[cold]
    #[inline(never)]
    fn copy_and_read(&mut self) -> u64 {
        let conversion = *CONVERSION.get_or_init(Conversion::new);
        self.0 = conversion;
        conversion.now()
    }
}

/// Unix nanoseconds for a `SystemTime` (zero before 1970).
pub(crate) fn system_time_to_unix_nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(miri, ignore = "Miri's clocks do not keep real time")]
    fn tracks_the_wall_clock() {
        let before = system_time_to_unix_nanos(SystemTime::now());
        let ours = now_unix_nanos();
        let after = system_time_to_unix_nanos(SystemTime::now());
        // The rate is measured to about 1e-5 and the base paired within
        // microseconds: well inside a millisecond this soon after.
        assert!(
            ours + 1_000_000 >= before && ours <= after + 1_000_000,
            "{before} {ours} {after}"
        );
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri's clocks do not keep real time")]
    fn measures_durations_like_the_monotonic_clock() {
        let start = Instant::now();
        let first = now_unix_nanos();
        std::thread::sleep(Duration::from_millis(20));
        let second = now_unix_nanos();
        let monotonic = start.elapsed().as_nanos() as u64;
        let ours = second - first;
        // Within 2% (the sleep's own reads bracket ours).
        assert!(
            ours.abs_diff(monotonic) < monotonic / 50,
            "ours={ours} monotonic={monotonic}"
        );
    }

    #[test]
    fn fixed_point_conversion_is_exact_enough() {
        // 2.5 ticks per nanosecond over one hour of ticks.
        let conversion = Conversion {
            base: 1_000,
            base_ns: 5_000_000_000,
            nanos_per_tick_q52: (1u64 << 52) * 2 / 5,
            tsc: false,
        };
        let hour_ns = 3_600_000_000_000u64;
        let ticks = 1_000 + hour_ns * 5 / 2;
        assert!(conversion.to_unix_nanos(ticks).abs_diff(5_000_000_000 + hour_ns) <= 1);
        // A counter slightly behind the base gives a time slightly before it.
        assert_eq!(conversion.to_unix_nanos(990), 5_000_000_000 - 4);
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri's clocks do not keep real time")]
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
