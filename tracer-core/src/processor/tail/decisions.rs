//! What a tail sampler knows without taking a lock: the decisions it made
//! recently, and which traces may have spans held.
//!
//! Both are fixed tables of atomics indexed by a hash of the trace id, so a
//! batch that holds its trace's local root is decided with a few loads and
//! one store, and no lock.
//!
//! A thread that holds spans for a trace marks the trace, then looks for a
//! decision; a thread that decides a trace without the lock stores the
//! decision, then looks for a mark. All four accesses are `SeqCst`, so at
//! least one of the two threads sees the other's write: either the holder
//! finds the decision and follows it, or the decider finds the mark and
//! collects the held spans (under the lock). No span is left held for a
//! trace that was decided.

use std::sync::atomic::AtomicU32;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::time::Duration;

use crate::clock;
use crate::model::TraceId;

/// A trace id mixed into 64 bits (one multiply), to index the tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct TraceKey(u64);

impl TraceKey {
    pub(super) fn of(trace_id: TraceId) -> TraceKey {
        let id = trace_id.to_u128();
        let folded = (id as u64) ^ ((id >> 64) as u64).rotate_left(32);
        // A folded multiply: every input bit reaches both halves.
        let product = u128::from(folded) * 0x9e37_79b9_7f4a_7c15;
        TraceKey((product as u64) ^ ((product >> 64) as u64))
    }

    fn index(self, len: usize) -> usize {
        self.0 as usize & (len - 1)
    }

    /// The bits stored with a decision, to tell its trace from others
    /// that share the slot.
    fn tag(self) -> u64 {
        self.0 >> TAG_SHIFT
    }
}

/// A coarse time: 2^20 ns (about a millisecond) a tick, wrapping every 52
/// days, which ages are read within.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Tick(u32);

impl Tick {
    /// Now, from the span clock (a counter read).
    pub(super) fn now() -> Tick {
        Tick((clock::now_unix_nanos() >> TICK_SHIFT) as u32)
    }

    /// A given tick count.
    #[cfg(test)]
    pub(super) fn at(ticks: u32) -> Tick {
        Tick(ticks)
    }

    /// Ticks from `since` to `self`.
    pub(super) fn since(self, since: Tick) -> u32 {
        self.0.wrapping_sub(since.0)
    }

    /// `window` in ticks, at most half the wrap-around (26 days).
    pub(super) fn count_in(window: Duration) -> u32 {
        let ticks = window.as_nanos() >> TICK_SHIFT;
        u32::try_from(ticks).unwrap_or(u32::MAX).min(u32::MAX / 2)
    }
}

const TICK_SHIFT: u32 = 20;

/// A stored decision: the trace's tag (30 bits), whether it was kept, that
/// the slot is in use, and when it was made.
const TAG_SHIFT: u32 = 34;
const KEEP: u64 = 1 << 33;
const IN_USE: u64 = 1 << 32;

/// Slots of [`HeldMarks`] per trace that may be held: with this many, two
/// held traces rarely share one.
const MARKS_PER_TRACE: usize = 4;

/// The size of [`HeldMarks`] for `max_traces` held traces: a power of two.
pub(super) fn marks_len(max_traces: usize) -> usize {
    max_traces
        .saturating_mul(MARKS_PER_TRACE)
        .clamp(64, 1 << 24)
        .next_power_of_two()
}

/// Decisions per set: one cache line.
const WAYS: usize = 8;

#[repr(align(64))]
struct Set([AtomicU64; WAYS]);

/// The decisions of the last window, in sets of eight chosen by the
/// trace's hash. A new decision takes its set's oldest slot (an empty or
/// stale one first), so a decision is forgotten when the window has passed
/// or when eight later ones fell in its set, whichever comes first.
pub(super) struct Decisions {
    sets: Box<[Set]>,
}

impl Decisions {
    /// Room for `remembered` decisions, rounded up to a power of two of at
    /// least one set.
    pub(super) fn new(remembered: usize) -> Decisions {
        let sets = remembered.div_ceil(WAYS).clamp(1, 1 << 21).next_power_of_two();
        Decisions {
            sets: (0..sets).map(|_| Set(Default::default())).collect(),
        }
    }

    fn set(&self, key: TraceKey) -> &[AtomicU64; WAYS] {
        &self.sets[key.index(self.sets.len())].0
    }

    /// Whether `key`'s trace was kept, if it was decided less than
    /// `window` ticks before `now`.
    #[inline]
    pub(super) fn get(&self, key: TraceKey, now: Tick, window: u32) -> Option<bool> {
        self.set(key).iter().find_map(|slot| {
            let entry = slot.load(SeqCst);
            let fresh = now.since(Tick(entry as u32)) < window;
            (entry & IN_USE != 0 && entry >> TAG_SHIFT == key.tag() && fresh).then_some(entry & KEEP != 0)
        })
    }

    /// Remembers that `key`'s trace was kept or not, at `now`: in its own
    /// slot if it has one, else in the set's oldest. Two threads storing in
    /// one set at once may pick the same slot; one decision is then
    /// forgotten early.
    #[inline]
    pub(super) fn put(&self, key: TraceKey, keep: bool, now: Tick) {
        let set = self.set(key);
        let (mut victim, mut oldest) = (0, 0);
        for (at, slot) in set.iter().enumerate() {
            let entry = slot.load(Relaxed);
            if entry & IN_USE == 0 {
                (victim, oldest) = (at, u32::MAX);
            } else if entry >> TAG_SHIFT == key.tag() {
                victim = at;
                break;
            } else if now.since(Tick(entry as u32)) > oldest {
                (victim, oldest) = (at, now.since(Tick(entry as u32)));
            }
        }
        let keep = if keep { KEEP } else { 0 };
        set[victim].store(key.tag() << TAG_SHIFT | keep | IN_USE | u64::from(now.0), SeqCst);
    }
}

/// How many held traces hash to each slot: a zero proves that a trace has
/// nothing held, without the lock. Changed only under the held traces'
/// lock.
pub(super) struct HeldMarks {
    counts: Box<[AtomicU32]>,
}

impl HeldMarks {
    pub(super) fn new(len: usize) -> HeldMarks {
        HeldMarks {
            counts: (0..len).map(|_| AtomicU32::new(0)).collect(),
        }
    }

    /// Whether `key`'s trace may have spans held (or another trace of the
    /// same slot has).
    #[inline]
    pub(super) fn may_hold(&self, key: TraceKey) -> bool {
        self.counts[key.index(self.counts.len())].load(SeqCst) != 0
    }

    pub(super) fn add(&self, key: TraceKey) {
        self.counts[key.index(self.counts.len())].fetch_add(1, SeqCst);
    }

    pub(super) fn remove(&self, key: TraceKey) {
        self.counts[key.index(self.counts.len())].fetch_sub(1, SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: u128) -> TraceKey {
        TraceKey::of(TraceId::from_u128(id).unwrap())
    }

    #[test]
    fn a_decision_is_found_within_the_window_only() {
        let decisions = Decisions::new(64);
        let (kept, dropped) = (key(1), key(2));
        decisions.put(kept, true, Tick(1_000));
        decisions.put(dropped, false, Tick(1_000));
        assert_eq!(decisions.get(kept, Tick(1_000), 30), Some(true));
        assert_eq!(decisions.get(dropped, Tick(1_029), 30), Some(false));
        assert_eq!(decisions.get(dropped, Tick(1_030), 30), None, "the window has passed");
        assert_eq!(decisions.get(key(3), Tick(1_000), 30), None, "never decided");
        assert_eq!(
            decisions.get(kept, Tick(1_000), 0),
            None,
            "a zero window remembers nothing"
        );
        // A trace decided again keeps one slot, with the later decision.
        decisions.put(kept, false, Tick(2_000));
        assert_eq!(decisions.get(kept, Tick(2_000), 30), Some(false));
        // Ages are read across the wrap-around of the tick count.
        decisions.put(kept, true, Tick(u32::MAX - 4));
        assert_eq!(decisions.get(kept, Tick(5), 30), Some(true));
    }

    #[test]
    fn a_full_set_forgets_its_oldest_decision_first() {
        // One set: every trace shares it.
        let decisions = Decisions::new(WAYS);
        let keys: Vec<TraceKey> = (1..=10).map(key).collect();
        for (at, k) in keys[..8].iter().enumerate() {
            decisions.put(*k, true, Tick(100 + at as u32));
        }
        assert!(keys[..8].iter().all(|k| decisions.get(*k, Tick(110), 30) == Some(true)));
        // The ninth takes the slot of the first, the tenth that of the
        // second.
        decisions.put(keys[8], false, Tick(120));
        decisions.put(keys[9], false, Tick(121));
        let remembered: Vec<Option<bool>> = keys.iter().map(|k| decisions.get(*k, Tick(121), 30)).collect();
        let mut expected = vec![Some(true); 10];
        expected[0] = None;
        expected[1] = None;
        expected[8] = Some(false);
        expected[9] = Some(false);
        assert_eq!(remembered, expected);
    }

    #[test]
    fn sizes_round_up_to_whole_sets() {
        assert_eq!(Decisions::new(65_536).sets.len(), 8_192);
        assert_eq!(Decisions::new(100).sets.len(), 16);
        assert_eq!(Decisions::new(0).sets.len(), 1);
        assert_eq!(marks_len(2_048), 8_192);
        assert_eq!(marks_len(1), 64);
        assert_eq!(marks_len(3_000), 16_384);
        assert_eq!(marks_len(usize::MAX), 1 << 24);
    }

    #[test]
    fn marks_count_held_traces_per_slot() {
        let marks = HeldMarks::new(64);
        let a = key(1);
        let b = (2..)
            .map(key)
            .find(|k| k.index(64) != a.index(64))
            .expect("another slot");
        assert!(!marks.may_hold(a));
        marks.add(a);
        marks.add(a);
        assert!(marks.may_hold(a));
        marks.remove(a);
        assert!(marks.may_hold(a), "one of the two still held");
        marks.remove(a);
        assert!(!marks.may_hold(a));
        marks.add(b);
        assert!(!marks.may_hold(a), "a trace in another slot leaves this one clear");
    }

    #[test]
    fn windows_in_ticks() {
        assert_eq!(Tick::count_in(Duration::from_nanos(1 << 20)), 1);
        assert_eq!(Tick::count_in(Duration::from_secs(30)), 28_610);
        assert_eq!(Tick::count_in(Duration::ZERO), 0);
        assert_eq!(Tick::count_in(Duration::MAX), u32::MAX / 2);
    }

    #[test]
    fn sequential_ids_spread_over_the_slots() {
        let mut used = [false; 64];
        for id in 1..=64 {
            used[key(id).index(64)] = true;
        }
        let slots = used.iter().filter(|u| **u).count();
        assert!(slots >= 32, "64 sequential ids use {slots} of 64 slots");
    }
}
