//! tracer with tail sampling: a `TailSamplingProcessor` keeping every
//! failed trace and 1% of the rest, in front of the batch processor and
//! counting exporter of the `tracer` contender, on the same spans. It runs
//! in a process of its own (a process installs one tracer provider), on
//! nested100 and threads.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tracer::processor::TailSamplingProcessor;
use tracer::{ProviderGuard, Span, Status, TracerProvider};

use super::Contender;
use super::tracer_c::{batch_processor, nested};
use crate::shape::Sink;
use crate::{CHILDREN, Workload};

/// The fraction of traces kept besides the failed ones.
const RATIO: f64 = 0.01;

/// The workloads it takes part in.
pub const WORKLOADS: [Workload; 2] = [Workload::Nested, Workload::Threads];

/// tracer, tail sampling in front of a [`tracer::processor::BatchSpanProcessor`].
pub struct TracerTail {
    sink: Arc<Sink>,
    /// Traces run while capturing, to fail every other one.
    captured_traces: AtomicUsize,
    _guard: ProviderGuard,
}

impl TracerTail {
    /// Installs the provider.
    pub fn new(queue: usize) -> TracerTail {
        let sink = Arc::new(Sink::default());
        let tail = TailSamplingProcessor::builder(batch_processor(&sink, queue))
            .keep_errors(true)
            .ratio(RATIO)
            .build();
        let guard = TracerProvider::builder()
            .with_processor(tail)
            .install()
            .expect("one tracer provider per process");
        TracerTail {
            sink,
            captured_traces: AtomicUsize::new(0),
            _guard: guard,
        }
    }
}

impl Contender for TracerTail {
    fn name(&self) -> &'static str {
        "tracer_tail"
    }

    fn supports(&self, workload: Workload) -> bool {
        WORKLOADS.contains(&workload)
    }

    fn run(&self, workload: Workload, traces: usize) {
        debug_assert!(self.supports(workload));
        for _ in 0..traces {
            let root = Span::root("root").entered();
            nested(CHILDREN);
            // The check before timing sees the traces kept: every other
            // one fails there, and is delivered whole. Timed traces do not
            // fail: 1% of them is kept.
            if self.sink.capturing() && self.captured_traces.fetch_add(1, Ordering::Relaxed).is_multiple_of(2) {
                root.set_status(Status::error("checked"));
            }
        }
    }

    fn flush(&self) {
        if let Some(provider) = TracerProvider::global() {
            provider.force_flush(Duration::from_secs(60)).expect("tracer flush");
        }
    }

    fn sink(&self) -> Option<&Sink> {
        Some(&self.sink)
    }

    fn sampled_out(&self) -> u64 {
        TracerProvider::global().map_or(0, |p| p.stats().processors.sampled_out)
    }
}
