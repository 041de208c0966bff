//! What a processor counts.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::FlushError;

use crate::export::ExportError;

/// Counters kept by a processor. Every span handed to a processor ends up
/// in exactly one of `exported`, `dropped_queue_full`, `failed`,
/// `rejected` or `sampled_out`, or is still `queued`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcessorStats {
    /// Spans received (sampled ones only).
    pub received: u64,
    /// Spans waiting to be exported.
    pub queued: u64,
    /// Spans the exporter accepted.
    pub exported: u64,
    /// Spans dropped because the queue was full or the processor was shut
    /// down.
    pub dropped_queue_full: u64,
    /// Spans in batches whose export failed.
    pub failed: u64,
    /// Spans the backend rejected in a partial success.
    pub rejected: u64,
    /// Export attempts that were retried.
    pub retries: u64,
    /// Spans a sampling policy chose not to keep: dropped on purpose, not
    /// lost (a [`TailSamplingProcessor`](super::TailSamplingProcessor)'s
    /// dropped traces; 0 for the other processors).
    pub sampled_out: u64,
}

impl std::ops::Add for ProcessorStats {
    type Output = ProcessorStats;
    fn add(self, o: ProcessorStats) -> ProcessorStats {
        ProcessorStats {
            received: self.received + o.received,
            queued: self.queued + o.queued,
            exported: self.exported + o.exported,
            dropped_queue_full: self.dropped_queue_full + o.dropped_queue_full,
            failed: self.failed + o.failed,
            rejected: self.rejected + o.rejected,
            retries: self.retries + o.retries,
            sampled_out: self.sampled_out + o.sampled_out,
        }
    }
}

/// The shared counters behind [`ProcessorStats`].
#[derive(Default, Debug)]
pub(crate) struct Counters {
    pub(crate) received: AtomicU64,
    pub(crate) queued: AtomicU64,
    pub(crate) exported: AtomicU64,
    pub(crate) dropped_queue_full: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) rejected: AtomicU64,
    pub(crate) retries: AtomicU64,
    reported_failure: AtomicBool,
    /// `failed` and `rejected` when the last flush reported them.
    failed_at_flush: AtomicU64,
    rejected_at_flush: AtomicU64,
    /// Why the last export failed.
    last_failure: Mutex<Option<String>>,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> ProcessorStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ProcessorStats {
            received: get(&self.received),
            queued: get(&self.queued),
            exported: get(&self.exported),
            dropped_queue_full: get(&self.dropped_queue_full),
            failed: get(&self.failed),
            rejected: get(&self.rejected),
            retries: get(&self.retries),
            sampled_out: 0,
        }
    }

    /// Counts the outcome of exporting `count` spans, and reports the first
    /// failure on stderr so a broken exporter is noticed, without flooding.
    pub(crate) fn record_export(&self, count: usize, result: &Result<(), ExportError>) {
        let count = count as u64;
        match result {
            Ok(()) => {
                self.exported.fetch_add(count, Ordering::Relaxed);
            }
            Err(ExportError::PartialSuccess { rejected, .. }) => {
                let rejected = (*rejected).min(count);
                self.rejected.fetch_add(rejected, Ordering::Relaxed);
                self.exported.fetch_add(count - rejected, Ordering::Relaxed);
            }
            Err(_) => {
                self.failed.fetch_add(count, Ordering::Relaxed);
            }
        }
        if let Err(error) = result {
            *self.last_failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(error.to_string());
            if !self.reported_failure.swap(true, Ordering::Relaxed) {
                crate::diag::warn(&format!(
                    "span export failed ({count} spans): {error}; further failures are only counted"
                ));
            }
        }
    }

    /// What a flush or shutdown reports: `answer` is how its own export
    /// went, `queued` the spans it leaves waiting. The spans that failed or
    /// were rejected since the previous flush count as not delivered, also
    /// those exported in the background before this flush.
    pub(crate) fn flush_outcome(&self, queued: u64, answer: Result<(), String>) -> Result<(), FlushError> {
        let failed = self.failed.load(Ordering::Relaxed);
        let rejected = self.rejected.load(Ordering::Relaxed);
        let failed = failed - self.failed_at_flush.swap(failed, Ordering::Relaxed).min(failed);
        let rejected = rejected - self.rejected_at_flush.swap(rejected, Ordering::Relaxed).min(rejected);
        if answer.is_ok() && queued == 0 && failed == 0 && rejected == 0 {
            return Ok(());
        }
        let reason = answer.err().unwrap_or_else(|| {
            let last = self.last_failure.lock().unwrap_or_else(|e| e.into_inner()).clone();
            last.unwrap_or_else(|| "spans were not delivered".to_string())
        });
        Err(FlushError {
            queued,
            failed,
            rejected,
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_add_field_by_field() {
        let stats = |base: u64| ProcessorStats {
            received: base + 1,
            queued: base + 2,
            exported: base + 3,
            dropped_queue_full: base + 4,
            failed: base + 5,
            rejected: base + 6,
            retries: base + 7,
            sampled_out: base + 8,
        };
        let sum = stats(10) + stats(20);
        assert_eq!(
            sum,
            ProcessorStats {
                received: 32,
                queued: 34,
                exported: 36,
                dropped_queue_full: 38,
                failed: 40,
                rejected: 42,
                retries: 44,
                sampled_out: 46,
            }
        );
    }
}
