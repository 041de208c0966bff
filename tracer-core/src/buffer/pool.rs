//! The pool of emptied record buffers.
//!
//! Without it each hand-over leaves the thread with an empty buffer that
//! grows again record by record: several reallocations, and as many copies
//! of every record, per batch. A lock per hand-over (not per span) is the
//! price, uncontended in practice.
//!
//! One shard per group of threads ([`PoolShard`]): a buffer goes back to
//! the shard of the thread that filled it, and a thread takes from its own
//! shard first. With one shared pool, two busy threads swapped buffers, and
//! each cleared and rewrote records whose cache lines the other core held.

use std::borrow::Cow;
use std::cell::Cell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

use super::event_lists::recycle_event_list;
use crate::model::{SpanData, Status};

/// Shards of the pool. Threads beyond this many share shards.
pub(crate) const SHARDS: usize = 8;

/// Records the pool keeps at most while idle (see [`trim_pool`]), in
/// buffers of at most [`POOLED_CAPACITY`] records: 16,384 records, about
/// 7 MB. While spans flow, it may grow by the queue capacity of every batch
/// processor alive (see [`allow_in_flight`]).
pub(crate) const POOLED_RECORDS: usize = 16_384;
/// Larger buffers are freed rather than kept: room for the batch a thread
/// hands over while spans stay open above it (512 records).
pub(crate) const POOLED_CAPACITY: usize = 512;

static BUFFERS: Shards = Shards::new();

/// Records the pool may keep beyond [`POOLED_RECORDS`] while spans flow.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Whether this thread may wait for a shard's lock when it gives a
    /// buffer back (an export thread); application threads only try.
    static WAITS_FOR_POOL: Cell<bool> = const { Cell::new(false) };
}

/// A handed-back buffer, its records not yet dropped: the thread that takes
/// it empties it.
#[derive(Debug)]
pub(crate) struct FilledBuffer {
    records: Vec<SpanData>,
    /// No record owns heap memory (see `BatchSummary::owns_no_heap`).
    owns_no_heap: bool,
}

impl FilledBuffer {
    pub(crate) fn new(records: Vec<SpanData>, owns_no_heap: bool) -> FilledBuffer {
        FilledBuffer { records, owns_no_heap }
    }

    fn capacity(&self) -> usize {
        self.records.capacity()
    }

    /// The buffer, emptied: its records dropped (only those owning
    /// something, unless none does).
    pub(crate) fn into_empty(self) -> Vec<SpanData> {
        let mut records = self.records;
        if self.owns_no_heap {
            debug_assert!(
                records.iter().all(SpanData::owns_nothing),
                "a batch said to own no heap memory owns some"
            );
            // SAFETY: records owning nothing need no drop.
            unsafe { records.set_len(0) };
        } else {
            clear_records(&mut records);
        }
        records
    }
}

/// Empties `buffer`, running the drop of only those records that own
/// something: most own nothing, and their drop glue would still inspect
/// every field.
fn clear_records(buffer: &mut Vec<SpanData>) {
    let len = buffer.len();
    let records = buffer.as_mut_ptr();
    // SAFETY: the length is cleared first, so a panicking drop leaks the
    // rest rather than dropping anything twice; each record is dropped at
    // most once, in place, and records owning nothing need no drop.
    unsafe {
        buffer.set_len(0);
        for i in 0..len {
            let record = records.add(i);
            if !(*record).owns_nothing() {
                drop_owned_parts(&mut *record);
            }
        }
    }
}

/// Drops, in place, the parts of a record that own something, looking at
/// each first: the record's own drop glue calls out to each field's, which
/// for the usual record (a few numbers and static strings as attributes)
/// frees nothing. Its event list is kept for this thread's next events.
///
/// # Safety
/// The record is dropped: it must not be used or dropped again.
#[inline]
unsafe fn drop_owned_parts(record: &mut SpanData) {
    // Every field named, so that a new one cannot be forgotten here.
    let SpanData {
        context,
        parent_span_id: _,
        start_time_unix_nano: _,
        end_time_unix_nano: _,
        name,
        status,
        events,
        links,
        dropped_attributes_count: _,
        dropped_events_count: _,
        dropped_links_count: _,
        kind: _,
        parent_is_remote: _,
        attributes,
    } = record;
    // SAFETY: each field is dropped once (the caller's promise), and a
    // field skipped owns nothing.
    unsafe {
        if !context.trace_state().is_empty() {
            std::ptr::drop_in_place(context);
        }
        if let Cow::Owned(_) = name {
            std::ptr::drop_in_place(name);
        }
        if let Status::Error { .. } = status {
            std::ptr::drop_in_place(status);
        }
        if events.capacity() != 0 {
            recycle_event_list(std::ptr::read(events));
        }
        if links.capacity() != 0 {
            std::ptr::drop_in_place(links);
        }
        attributes.drop_in_place();
    }
}

/// The pool shard a buffer goes back to: that of the thread that filled it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PoolShard(u8);

impl PoolShard {
    /// This thread's shard, given out round-robin on first use.
    #[inline]
    pub(crate) fn current() -> PoolShard {
        thread_local! {
            static SHARD: Cell<u8> = const { Cell::new(u8::MAX) };
        }
        static NEXT: AtomicU8 = AtomicU8::new(0);
        SHARD
            .try_with(|shard| {
                if shard.get() == u8::MAX {
                    // 256 is a multiple of SHARDS: wrapping keeps the round.
                    let next = NEXT.fetch_add(1, Ordering::Relaxed);
                    shard.set(next % SHARDS as u8);
                }
                PoolShard(shard.get())
            })
            .unwrap_or(PoolShard(0))
    }

    /// The shard's index, below [`SHARDS`].
    pub(crate) fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// The pool, in shards. Its limits are for all shards together (one count
/// of pooled records), so that sharding keeps no more memory than one pool
/// did.
pub(crate) struct Shards {
    shards: [Mutex<Vec<FilledBuffer>>; SHARDS],
    /// The pooled buffers' capacity in records, summed over the shards.
    records: AtomicUsize,
}

impl Shards {
    pub(crate) const fn new() -> Shards {
        Shards {
            shards: [const { Mutex::new(Vec::new()) }; SHARDS],
            records: AtomicUsize::new(0),
        }
    }

    fn shard(&self, home: PoolShard) -> &Mutex<Vec<FilledBuffer>> {
        &self.shards[home.index() % SHARDS]
    }

    /// Keeps `buffer` in `home`'s shard if the pool stays within `limit`
    /// records; waits for the shard's lock only if `wait`.
    pub(crate) fn keep(
        &self,
        home: PoolShard,
        buffer: FilledBuffer,
        limit: usize,
        wait: bool,
    ) -> Result<(), FilledBuffer> {
        let capacity = buffer.capacity();
        if capacity == 0 || capacity > POOLED_CAPACITY {
            return Err(buffer);
        }
        // Counted first, so that keepers racing on other shards cannot pass
        // the limit together.
        if self.records.fetch_add(capacity, Ordering::Relaxed) + capacity > limit {
            self.records.fetch_sub(capacity, Ordering::Relaxed);
            return Err(buffer);
        }
        let shard = self.shard(home);
        let locked = match wait {
            true => Some(shard.lock().unwrap_or_else(|e| e.into_inner())),
            false => shard.try_lock().ok(),
        };
        match locked {
            Some(mut buffers) => {
                buffers.push(buffer);
                Ok(())
            }
            None => {
                self.records.fetch_sub(capacity, Ordering::Relaxed);
                Err(buffer)
            }
        }
    }

    /// A pooled buffer for a thread of `home`: from its own shard, else
    /// from the next one that has one (better than a new allocation).
    /// Never waits for a lock.
    pub(crate) fn take(&self, home: PoolShard) -> Option<FilledBuffer> {
        let buffer = (0..SHARDS)
            .map(|k| &self.shards[(home.index() + k) % SHARDS])
            .find_map(|shard| shard.try_lock().ok().and_then(|mut buffers| buffers.pop()))?;
        self.records.fetch_sub(buffer.capacity(), Ordering::Relaxed);
        Some(buffer)
    }

    /// Takes out buffers until the pool holds at most `limit` records.
    pub(crate) fn surplus(&self, limit: usize) -> Vec<FilledBuffer> {
        let mut surplus = Vec::new();
        for shard in &self.shards {
            let mut buffers = shard.lock().unwrap_or_else(|e| e.into_inner());
            while self.records.load(Ordering::Relaxed) > limit {
                let Some(buffer) = buffers.pop() else { break };
                self.records.fetch_sub(buffer.capacity(), Ordering::Relaxed);
                surplus.push(buffer);
            }
        }
        surplus
    }

    /// The pooled capacity, in records.
    #[cfg(test)]
    pub(crate) fn pooled_records(&self) -> usize {
        self.records.load(Ordering::Relaxed)
    }
}

/// An empty buffer with room for `capacity` records (the thread's usual
/// batch: growing from less would reallocate and copy several times),
/// recycled when one is available (from this thread's shard, else from
/// another). A recycled one too small for that is freed for a new one: it
/// comes from a smaller hand-over (a lone span), and would grow record by
/// record.
pub(crate) fn recycled_buffer(capacity: usize) -> Vec<SpanData> {
    match BUFFERS.take(PoolShard::current()) {
        Some(buffer) => {
            let empty = buffer.into_empty();
            if empty.capacity() >= capacity {
                empty
            } else {
                Vec::with_capacity(capacity)
            }
        }
        None => Vec::with_capacity(capacity),
    }
}

/// Gives an emptied buffer back to `home`'s shard, or frees it when the
/// pool is full. An application thread only tries the shard's lock; an
/// export thread ([`wait_for_pool`]) waits for it (held only for a push).
pub(crate) fn give_back(home: PoolShard, buffer: FilledBuffer) {
    let wait = WAITS_FOR_POOL.try_with(Cell::get).unwrap_or(false);
    let limit = POOLED_RECORDS + IN_FLIGHT.load(Ordering::Relaxed);
    // A refused buffer is freed here, outside the lock.
    if let Err(refused) = BUFFERS.keep(home, buffer, limit, wait) {
        drop(refused.into_empty());
    }
}

/// Marks this thread as one that may wait for the pool's lock: an export
/// thread, which gives back what it exported.
pub(crate) fn wait_for_pool() {
    let _ = WAITS_FOR_POOL.try_with(|w| w.set(true));
}

/// Lets the pool grow by `records` while spans flow, until the returned
/// allowance drops: a batch processor's queue capacity. When its export
/// thread falls behind (on a busy machine it may wait milliseconds for a
/// core), threads take new buffers for the spans queued meanwhile; freeing
/// those when they come back would only make the threads allocate (and
/// page-fault) them again at the next lag. [`trim_pool`] gives the surplus
/// back once the traffic is over.
pub(crate) fn allow_in_flight(records: usize) -> InFlightAllowance {
    IN_FLIGHT.fetch_add(records, Ordering::Relaxed);
    InFlightAllowance(records)
}

/// See [`allow_in_flight`].
#[derive(Debug)]
pub(crate) struct InFlightAllowance(usize);

impl Drop for InFlightAllowance {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(self.0, Ordering::Relaxed);
    }
}

/// Frees pooled buffers beyond the pool's idle size. Called by an export
/// thread with nothing to export.
pub(crate) fn trim_pool() {
    for buffer in BUFFERS.surplus(POOLED_RECORDS) {
        drop(buffer.into_empty());
    }
}

/// Frees every pooled buffer: tracing has stopped (a batch processor shut
/// down), and what the pool kept would otherwise stay until the process
/// ends.
pub(crate) fn free_pool() {
    for buffer in BUFFERS.surplus(0) {
        drop(buffer.into_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An emptied buffer with room for `capacity` records.
    fn empty(capacity: usize) -> FilledBuffer {
        FilledBuffer::new(Vec::with_capacity(capacity), true)
    }

    /// The capacities of the buffers in `home`'s shard.
    fn capacities(shards: &Shards, home: PoolShard) -> Vec<usize> {
        let buffers = shards.shard(home).lock().unwrap();
        buffers.iter().map(FilledBuffer::capacity).collect()
    }

    #[test]
    fn the_pool_keeps_buffers_within_one_record_limit_over_all_shards() {
        let shards = Shards::new();
        assert!(shards.keep(PoolShard(0), empty(100), 250, true).is_ok());
        assert!(shards.keep(PoolShard(5), empty(100), 250, true).is_ok());
        // A third would pass the limit, in any shard; so would an unused or
        // outsized one.
        assert_eq!(
            shards.keep(PoolShard(3), empty(100), 250, true).unwrap_err().capacity(),
            100
        );
        assert!(shards.keep(PoolShard(3), empty(0), 250, true).is_err());
        assert!(
            shards
                .keep(PoolShard(3), empty(POOLED_CAPACITY + 1), usize::MAX, true)
                .is_err()
        );
        assert_eq!(shards.pooled_records(), 200);
        assert_eq!(shards.take(PoolShard(5)).map(|b| b.capacity()), Some(100));
        assert_eq!(shards.pooled_records(), 100);
        // A thread's shard that is in use is not waited for.
        let busy = shards.shard(PoolShard(4)).lock().unwrap();
        assert!(shards.keep(PoolShard(4), empty(50), 250, false).is_err());
        drop(busy);
        assert_eq!(shards.pooled_records(), 100);
    }

    #[test]
    fn a_thread_takes_buffers_from_its_own_shard_first_then_from_others() {
        let shards = Shards::new();
        let keep = |home: PoolShard, capacity: usize| shards.keep(home, empty(capacity), usize::MAX, true).unwrap();
        keep(PoolShard(2), 20);
        keep(PoolShard(5), 50);
        keep(PoolShard(5), 51);
        let capacity = |buffer: Option<FilledBuffer>| buffer.map(|b| b.capacity());
        assert_eq!(capacity(shards.take(PoolShard(5))), Some(51));
        assert_eq!(capacity(shards.take(PoolShard(5))), Some(50));
        // Its own shard is empty: the next shard that has one gives it.
        assert_eq!(capacity(shards.take(PoolShard(5))), Some(20));
        assert_eq!(capacity(shards.take(PoolShard(5))), None);
        // A shard being used by another thread is skipped, not waited for.
        keep(PoolShard(1), 10);
        keep(PoolShard(3), 30);
        let busy = shards.shard(PoolShard(1)).lock().unwrap();
        assert_eq!(capacity(shards.take(PoolShard(1))), Some(30));
        drop(busy);
        assert_eq!(capacity(shards.take(PoolShard(1))), Some(10));
        assert_eq!(shards.pooled_records(), 0);
    }

    #[test]
    fn trimming_leaves_the_whole_pool_at_the_limit() {
        let shards = Shards::new();
        for home in [PoolShard(0), PoolShard(0), PoolShard(0), PoolShard(7), PoolShard(7)] {
            shards.keep(home, empty(100), usize::MAX, true).unwrap();
        }
        let surplus = shards.surplus(250);
        assert_eq!(surplus.len(), 3);
        assert_eq!(shards.pooled_records(), 200);
        assert_eq!(
            capacities(&shards, PoolShard(0)).len() + capacities(&shards, PoolShard(7)).len(),
            2
        );
        assert!(shards.surplus(250).is_empty());
    }

    #[test]
    fn each_thread_keeps_one_shard_and_threads_are_spread_over_the_shards() {
        let mine = PoolShard::current();
        assert_eq!(PoolShard::current(), mine);
        let shards: Vec<PoolShard> = (0..SHARDS)
            .map(|_| std::thread::spawn(PoolShard::current).join().unwrap())
            .collect();
        // Other tests' threads take shards meanwhile, so the round is not
        // contiguous, but consecutive threads never all share one shard.
        assert!(shards.iter().any(|h| *h != shards[0]));
        assert!(shards.iter().all(|h| h.index() < SHARDS));
    }
}
