//! The batch processor: a bounded queue and one export thread.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

use super::{Counters, FlushError, ProcessorStats, SpanBatch, SpanProcessor};
use crate::buffer::{self, InFlightAllowance};
use crate::export::SpanExporter;
use crate::model::{Resource, SpanData};

/// Settings of a [`BatchSpanProcessor`].
///
/// ```
/// use std::time::Duration;
/// use tracer_core::processor::BatchConfig;
///
/// let config = BatchConfig::default()
///     .max_batch_size(100)
///     .export_interval(Duration::from_secs(5));
/// assert_eq!(config.max_queue_size, 2048);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchConfig {
    /// The most spans waiting for export; more are dropped and counted.
    pub max_queue_size: usize,
    /// The most spans in one export call.
    pub max_batch_size: usize,
    /// How long spans may wait before an export.
    pub export_interval: Duration,
    /// How long one export may take. It is handed to the exporter
    /// ([`SpanExporter::set_timeout`]), which abandons slower exports.
    pub export_timeout: Duration,
}

impl Default for BatchConfig {
    /// 2048 queued spans, batches of 100, an interval of 5 s and a 30 s
    /// export timeout.
    fn default() -> BatchConfig {
        BatchConfig {
            max_queue_size: 2048,
            max_batch_size: 100,
            export_interval: Duration::from_secs(5),
            export_timeout: Duration::from_secs(30),
        }
    }
}

impl BatchConfig {
    /// Sets [`max_queue_size`](Self::max_queue_size) (at least 1).
    pub fn max_queue_size(mut self, size: usize) -> BatchConfig {
        self.max_queue_size = size.max(1);
        self
    }

    /// Sets [`max_batch_size`](Self::max_batch_size) (at least 1).
    pub fn max_batch_size(mut self, size: usize) -> BatchConfig {
        self.max_batch_size = size.max(1);
        self
    }

    /// Sets [`export_interval`](Self::export_interval).
    pub fn export_interval(mut self, interval: Duration) -> BatchConfig {
        self.export_interval = interval;
        self
    }

    /// Sets [`export_timeout`](Self::export_timeout).
    pub fn export_timeout(mut self, timeout: Duration) -> BatchConfig {
        self.export_timeout = timeout;
        self
    }
}

enum Message {
    /// A thread's batch.
    Spans(SpanBatch),
    /// The provider's resource, for the exporter.
    Resource(Resource),
    Flush(SyncSender<Result<(), String>>),
    Shutdown(SyncSender<Result<(), String>>),
}

/// Queues finished spans and exports them in batches from a background
/// thread.
///
/// Handing spans over costs the application thread one channel send per
/// thread batch and never blocks. When more than `max_queue_size` spans are
/// waiting, new ones are dropped and counted in
/// [`ProcessorStats::dropped_queue_full`]. `force_flush` and `shutdown`
/// wait at most their timeout, even if the exporter hangs, and say how many
/// spans were not delivered.
///
/// ```
/// use std::time::Duration;
/// use tracer_core::export::InMemoryExporter;
/// use tracer_core::processor::{BatchConfig, BatchSpanProcessor, SpanProcessor};
///
/// let exporter = InMemoryExporter::new();
/// let processor = BatchSpanProcessor::new(
///     exporter.clone(),
///     BatchConfig::default().max_batch_size(100).export_interval(Duration::from_secs(5)),
/// );
/// processor.force_flush(Duration::from_secs(1)).unwrap();
/// assert!(exporter.spans().is_empty());
/// ```
pub struct BatchSpanProcessor {
    sender: Sender<Message>,
    counters: Arc<Counters>,
    config: BatchConfig,
    worker: Mutex<Option<JoinHandle<()>>>,
    /// The export thread, to wake it.
    waker: Thread,
    /// Queued spans at which a hand-over wakes the export thread; the
    /// export thread sets it (see [`WakeRule`]).
    wake_at: Arc<AtomicU64>,
    /// Set when `shutdown` is called: spans handed over afterwards are
    /// dropped and counted, even while a hung exporter keeps the export
    /// thread from stopping.
    shut_down: AtomicBool,
    /// Lets the buffer pool keep what this processor's queue holds, until
    /// it shuts down.
    pool_allowance: Mutex<Option<InFlightAllowance>>,
}

impl BatchSpanProcessor {
    /// Starts the export thread.
    pub fn new(exporter: impl SpanExporter, config: BatchConfig) -> BatchSpanProcessor {
        let (sender, receiver) = mpsc::channel();
        let counters = Arc::new(Counters::default());
        let wake = WakeRule::new(&config);
        let wake_at = Arc::clone(&wake.at);
        let worker = Worker {
            exporter: Box::new(exporter),
            receiver,
            counters: Arc::clone(&counters),
            config,
            pending: Vec::new(),
            busy: false,
            stopped: false,
            wake,
        };
        let mut worker = worker;
        worker.exporter.set_timeout(config.export_timeout);
        let handle = std::thread::Builder::new()
            .name("tracer-batch-export".into())
            .spawn(move || {
                // It gives back the buffers it exported: it may wait for a
                // pool shard's lock, which application threads only try.
                buffer::wait_for_pool();
                worker.run()
            })
            .expect("spawn the tracer export thread");
        BatchSpanProcessor {
            sender,
            counters,
            config,
            waker: handle.thread().clone(),
            wake_at,
            worker: Mutex::new(Some(handle)),
            shut_down: AtomicBool::new(false),
            pool_allowance: Mutex::new(Some(buffer::allow_in_flight(config.max_queue_size))),
        }
    }

    /// A processor with the default [`BatchConfig`].
    pub fn with_defaults(exporter: impl SpanExporter) -> BatchSpanProcessor {
        BatchSpanProcessor::new(exporter, BatchConfig::default())
    }

    /// Reserves queue room for up to `wanted` spans; returns how many fit.
    fn reserve(&self, wanted: usize) -> usize {
        let max = self.config.max_queue_size as u64;
        let queued = &self.counters.queued;
        let mut current = queued.load(Ordering::Relaxed);
        loop {
            let take = (wanted as u64).min(max.saturating_sub(current));
            if take == 0 {
                return 0;
            }
            match queued.compare_exchange_weak(current, current + take, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return take as usize,
                Err(actual) => current = actual,
            }
        }
    }

    fn request(
        &self,
        make: impl FnOnce(SyncSender<Result<(), String>>) -> Message,
        timeout: Duration,
    ) -> Result<(), FlushError> {
        let (reply, answer) = mpsc::sync_channel(1);
        let queued = || self.counters.queued.load(Ordering::Relaxed);
        let sent = self.sender.send(make(reply));
        self.waker.unpark();
        if sent.is_err() {
            return self
                .counters
                .flush_outcome(queued(), Err("the batch processor is shut down".into()));
        }
        let answer = answer
            .recv_timeout(timeout)
            .unwrap_or_else(|_| Err(format!("timed out after {timeout:?} waiting for the exporter")));
        self.counters.flush_outcome(queued(), answer)
    }
}

impl SpanProcessor for BatchSpanProcessor {
    fn on_end(&self, span: SpanData) {
        self.on_end_batch(SpanBatch::from(vec![span]));
    }

    fn on_end_batch(&self, mut spans: SpanBatch) {
        spans.retain_sampled();
        let wanted = spans.len();
        if wanted == 0 {
            return;
        }
        self.counters.received.fetch_add(wanted as u64, Ordering::Relaxed);
        if self.shut_down.load(Ordering::Relaxed) {
            self.counters
                .dropped_queue_full
                .fetch_add(wanted as u64, Ordering::Relaxed);
            return;
        }
        let taken = self.reserve(wanted);
        if taken < wanted {
            self.counters
                .dropped_queue_full
                .fetch_add((wanted - taken) as u64, Ordering::Relaxed);
            spans.truncate(taken);
        }
        if taken == 0 {
            return;
        }
        if self.sender.send(Message::Spans(spans)).is_err() {
            // The worker has shut down.
            self.counters.queued.fetch_sub(taken as u64, Ordering::Relaxed);
            self.counters
                .dropped_queue_full
                .fetch_add(taken as u64, Ordering::Relaxed);
        } else if self.counters.queued.load(Ordering::Relaxed) >= self.wake_at.load(Ordering::Relaxed) {
            self.waker.unpark();
        }
    }

    fn set_resource(&mut self, resource: &Resource) {
        // Before any span of the provider: messages are taken in order.
        let _ = self.sender.send(Message::Resource(resource.clone()));
    }

    fn force_flush(&self, timeout: Duration) -> Result<(), FlushError> {
        self.request(Message::Flush, timeout)
    }

    fn shutdown(&self, timeout: Duration) -> Result<(), FlushError> {
        self.shut_down.store(true, Ordering::Relaxed);
        let result = self.request(Message::Shutdown, timeout);
        let handle = self.worker.lock().unwrap_or_else(|e| e.into_inner()).take();
        if result.is_ok() {
            if let Some(handle) = handle {
                let _ = handle.join();
            }
            // The queue is gone with the worker, its buffers back in the
            // pool: free them, and what the pool kept for the queue.
            drop(self.pool_allowance.lock().unwrap_or_else(|e| e.into_inner()).take());
            buffer::free_pool();
        }
        // On timeout the worker is left to finish (or hang) on its own.
        result
    }

    fn stats(&self) -> ProcessorStats {
        self.counters.snapshot()
    }
}

impl Drop for BatchSpanProcessor {
    fn drop(&mut self) {
        let _ = self.sender.send(Message::Shutdown(mpsc::sync_channel(1).0));
        self.waker.unpark();
    }
}

struct Worker {
    exporter: Box<dyn SpanExporter>,
    receiver: Receiver<Message>,
    counters: Arc<Counters>,
    config: BatchConfig,
    pending: Vec<SpanData>,
    /// Whether spans came since the last export interval began.
    busy: bool,
    stopped: bool,
    wake: WakeRule,
}

/// When a hand-over wakes the export thread: once `per_thread` spans are
/// queued for each thread that handed spans over since the last wake, and
/// at most at half the queue.
///
/// Below it the export thread sleeps until the interval or a flush. A wake
/// costs a futex call, an interrupt to another core and a context switch,
/// so it is rare; but every span queued since the last wake stays in
/// memory, and the threads reuse those buffers, so the count must stay
/// small enough for each thread's share to stay in its core's cache. Per
/// thread, not in total: with two threads producing, a total count would
/// wake twice as often for the same records in each core's cache.
struct WakeRule {
    /// Spans queued per producing thread: eight export batches.
    per_thread: u64,
    /// Half the queue.
    most: u64,
    /// The current threshold, read by the threads that hand spans over.
    at: Arc<AtomicU64>,
    /// The pool shards (one per group of threads) that handed spans over since the last
    /// wake, one bit each: threads that share a shard count once.
    homes: u32,
}

impl WakeRule {
    fn new(config: &BatchConfig) -> WakeRule {
        let per_thread = (config.max_batch_size as u64).saturating_mul(8).max(1);
        let most = (config.max_queue_size as u64 / 2).max(1);
        WakeRule {
            per_thread,
            most,
            at: Arc::new(AtomicU64::new(per_thread.min(most))),
            homes: 0,
        }
    }

    /// Notes spans from the thread (pool shard) `home`, an index below 8.
    fn saw(&mut self, home: usize) {
        self.homes |= 1 << home;
    }

    /// Sets the threshold from the threads seen since the last wake (before
    /// the export thread sleeps again). Spans that came while it was awake
    /// keep their thread in the count for one more round.
    fn update(&mut self) {
        if self.homes != 0 {
            let threads = u64::from(self.homes.count_ones());
            self.at.store(
                self.per_thread.saturating_mul(threads).min(self.most),
                Ordering::Relaxed,
            );
            self.homes = 0;
        }
    }
}

impl Worker {
    fn run(mut self) {
        let mut deadline = Instant::now() + self.config.export_interval;
        while !self.stopped {
            match self.receiver.try_recv() {
                Ok(message) => self.handle(message),
                Err(TryRecvError::Disconnected) => {
                    let _ = self.drain();
                    let _ = self.exporter.shutdown();
                    self.stopped = true;
                }
                Err(TryRecvError::Empty) => {
                    let now = Instant::now();
                    if now >= deadline {
                        let _ = self.drain();
                        if !std::mem::replace(&mut self.busy, false) {
                            // A quiet interval: buffers kept for a burst go,
                            // and the room pending spans took.
                            buffer::trim_pool();
                            self.pending.shrink_to(self.config.max_batch_size);
                        }
                        deadline = Instant::now() + self.config.export_interval;
                    } else {
                        self.wake.update();
                        // Woken early by a flush, a shutdown, or enough
                        // queued spans (`wake_at`); an unpark that comes
                        // before the park makes it return at once.
                        std::thread::park_timeout(deadline - now);
                    }
                }
            }
        }
    }

    fn handle(&mut self, message: Message) {
        match message {
            Message::Resource(resource) => self.exporter.set_resource(&resource),
            Message::Spans(spans) => {
                self.take(spans);
                if self.pending.len() >= self.config.max_batch_size {
                    // Failures are counted inside.
                    let _ = self.export_full_batches();
                }
            }
            Message::Flush(reply) => {
                let result = self
                    .drain()
                    .and_then(|()| self.exporter.force_flush().map_err(|e| e.to_string()));
                let _ = reply.send(result);
            }
            Message::Shutdown(reply) => {
                let result = self
                    .drain()
                    .and_then(|()| self.exporter.shutdown().map_err(|e| e.to_string()));
                let _ = reply.send(result);
                self.stopped = true;
            }
        }
    }

    /// Takes a thread's batch. A batch of at least [`DIRECT_EXPORT_MIN`]
    /// spans is exported as it came, in chunks of at most `max_batch_size`,
    /// straight from the thread's buffer: no copy. Smaller ones join the
    /// pending spans, to be exported together. Either way the emptied buffer
    /// goes back to the threads for reuse.
    fn take(&mut self, mut spans: SpanBatch) {
        self.busy = true;
        self.wake.saw(spans.pool_shard());
        if spans.len() >= DIRECT_EXPORT_MIN {
            for chunk in spans.chunks(self.config.max_batch_size) {
                // Failures are counted inside.
                let _ = export(&mut *self.exporter, &self.counters, chunk);
            }
        } else {
            spans.move_into(&mut self.pending);
        }
        // Dropped at once, its buffer back to its thread: the sooner a
        // thread reuses it, the likelier its cache lines are still on that
        // thread's core.
        drop(spans);
    }

    /// Takes every message already queued, then exports all pending spans.
    fn drain(&mut self) -> Result<(), String> {
        let mut later = Vec::new();
        while let Ok(message) = self.receiver.try_recv() {
            match message {
                Message::Spans(spans) => self.take(spans),
                other => later.push(other),
            }
        }
        let mut result = self.export_full_batches();
        if !self.pending.is_empty() {
            if let Err(e) = self.export(self.pending.len()) {
                result = Err(e);
            }
        }
        // Control messages that raced with this drain are answered in turn.
        for message in later {
            match message {
                Message::Flush(reply) => {
                    let _ = reply.send(result.clone());
                }
                Message::Shutdown(reply) => {
                    let shut = self.exporter.shutdown().map_err(|e| e.to_string());
                    let _ = reply.send(result.clone().and(shut));
                    self.stopped = true;
                }
                Message::Resource(resource) => self.exporter.set_resource(&resource),
                Message::Spans(..) => unreachable!("spans were taken above"),
            }
        }
        result
    }

    /// Exports pending spans in batches of `max_batch_size`, as long as a
    /// whole batch is pending.
    fn export_full_batches(&mut self) -> Result<(), String> {
        let mut result = Ok(());
        while self.pending.len() >= self.config.max_batch_size {
            if let Err(e) = self.export(self.config.max_batch_size) {
                result = Err(e);
            }
        }
        result
    }

    /// Exports the first `count` pending spans, then drops them.
    fn export(&mut self, count: usize) -> Result<(), String> {
        let result = export(&mut *self.exporter, &self.counters, &self.pending[..count]);
        self.pending.drain(..count);
        result
    }
}

/// Batches at least this large are exported as they arrive rather than
/// copied into the pending spans: large enough for an efficient export.
const DIRECT_EXPORT_MIN: usize = 32;

/// Exports `spans` and counts the outcome.
fn export(exporter: &mut dyn SpanExporter, counters: &Counters, spans: &[SpanData]) -> Result<(), String> {
    let result = exporter.export(spans);
    counters.record_export(spans.len(), &result);
    counters.retries.store(exporter.retries(), Ordering::Relaxed);
    counters.queued.fetch_sub(spans.len() as u64, Ordering::Relaxed);
    result.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(batch: usize, queue: usize) -> WakeRule {
        WakeRule::new(&BatchConfig::default().max_batch_size(batch).max_queue_size(queue))
    }

    fn at(rule: &WakeRule) -> u64 {
        rule.at.load(Ordering::Relaxed)
    }

    #[test]
    fn wake_threshold_is_per_producing_thread() {
        let mut rule = rule(100, 1_000_000);
        assert_eq!(at(&rule), 800, "eight export batches before any thread is seen");
        rule.saw(0);
        rule.saw(3);
        rule.saw(3);
        assert_eq!(at(&rule), 800, "unchanged until the export thread is about to sleep");
        rule.update();
        assert_eq!(at(&rule), 1_600, "two threads handed spans over");
        rule.update();
        assert_eq!(at(&rule), 1_600, "a wake with nothing handed over changes nothing");
        rule.saw(5);
        rule.update();
        assert_eq!(at(&rule), 800, "back to one thread");
    }

    #[test]
    fn wake_threshold_stays_within_half_the_queue() {
        let mut rule = rule(512, 10_000);
        assert_eq!(at(&rule), 4_096);
        for home in 0..8 {
            rule.saw(home);
        }
        rule.update();
        assert_eq!(at(&rule), 5_000);
        assert_eq!(at(&self::rule(512, 2_048)), 1_024, "a small queue caps even one thread");
    }
}
