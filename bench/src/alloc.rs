//! A global allocator that counts allocations while asked to.
//!
//! Counting is off during the timed runs (one relaxed load per allocation
//! then), so it does not tax allocation-heavy contenders' times.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The system allocator, counting allocations (on every thread) while
/// [`start`] is in force.
pub struct Counting;

static ON: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
/// Bytes allocated minus bytes freed while counting (wrapping: frees of
/// memory allocated before counting started are subtracted too).
static LIVE: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded to `System` unchanged.
unsafe impl GlobalAlloc for Counting {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ON.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            LIVE.fetch_add(layout.size() as u64, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if ON.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            LIVE.fetch_add(layout.size() as u64, Ordering::Relaxed);
        }
        unsafe { System.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // A reallocation is an allocation the program asked for.
        if ON.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            LIVE.fetch_add((new_size as u64).wrapping_sub(layout.size() as u64), Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ON.load(Ordering::Relaxed) {
            LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        }
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Resets the count and starts counting.
pub fn start() {
    ALLOCATIONS.store(0, Ordering::SeqCst);
    LIVE.store(0, Ordering::SeqCst);
    ON.store(true, Ordering::SeqCst);
}

/// Stops counting and returns the allocations since [`start`].
pub fn stop() -> u64 {
    ON.store(false, Ordering::SeqCst);
    ALLOCATIONS.load(Ordering::SeqCst)
}

/// Bytes allocated and not yet freed since [`start`] (memory freed that was
/// allocated before counting started counts negative).
pub fn live_bytes() -> i64 {
    LIVE.load(Ordering::Relaxed) as i64
}

#[cfg(test)]
mod tests {
    use std::hint::black_box;

    use super::{live_bytes, start, stop};

    // One test only: `start` and `stop` switch one global counter, so two
    // tests would reset or stop each other's counts. The other tests
    // allocate on their threads meanwhile, so it asserts lower bounds (and
    // the exact standstill after `stop`), never exact counts: it cannot
    // flake, and what it counts dwarfs what other threads add meanwhile.
    #[test]
    fn counts_allocations_and_live_bytes() {
        const ROUNDS: u64 = 20_000;
        start();
        for _ in 0..ROUNDS {
            black_box(Box::new(black_box(7u64)));
        }
        let allocs = stop();
        assert!(allocs >= ROUNDS, "{allocs} allocations counted, at least {ROUNDS} made");

        start();
        for _ in 0..ROUNDS {
            black_box(vec![0u8; 64]);
        }
        let zeroed = stop();
        assert!(
            zeroed >= ROUNDS,
            "{zeroed} zeroed allocations counted, at least {ROUNDS} made"
        );

        // Each round reallocates twice: up to 64 bytes and back down to 16.
        let mut v: Vec<u8> = Vec::with_capacity(16);
        start();
        for _ in 0..ROUNDS {
            v.reserve_exact(64);
            v.shrink_to(16);
            black_box(&v);
        }
        let reallocs = stop();
        assert!(
            reallocs >= 2 * ROUNDS,
            "{reallocs} reallocations counted, at least {} made",
            2 * ROUNDS
        );

        // Nothing counts once stopped.
        for _ in 0..1000 {
            black_box(Box::new(black_box(7u64)));
        }
        assert_eq!(stop(), reallocs);

        // Live bytes: 64 MiB held, then freed, within 16 MiB of others' churn.
        const BIG: usize = 64 << 20;
        const SLACK: i64 = 16 << 20;
        start();
        let held = black_box(vec![1u8; BIG]);
        let with = live_bytes();
        assert!(with >= BIG as i64 - SLACK, "{with} live bytes while holding {BIG}");
        drop(held);
        let without = live_bytes();
        assert!(
            with - without >= BIG as i64 - SLACK,
            "{with} live bytes, then {without} after freeing {BIG}"
        );
        stop();
    }
}
