//! tracer with its provider made the thread's default
//! (`TracerProvider::set_default`) instead of installed: the same batch
//! processor, counting exporter and code as the `tracer` contender. It runs
//! in a process of its own: once a process sets a default, every span
//! start there looks at its thread's default first, which would change
//! what the `tracer` contender measures.

use std::sync::Arc;
use std::time::Duration;

use tracer::TracerProvider;
use tracer::sampler::AlwaysOff;

use super::Contender;
use super::tracer_c::{batch_processor, run_traces};
use crate::Workload;
use crate::shape::Sink;

/// tracer under a default provider.
pub struct TracerScoped {
    sink: Arc<Sink>,
    provider: TracerProvider,
}

impl TracerScoped {
    /// Builds the provider (not installed).
    pub fn new(workload: Workload, queue: usize) -> TracerScoped {
        let sink = Arc::new(Sink::default());
        let mut builder = TracerProvider::builder().with_processor(batch_processor(&sink, queue));
        if workload == Workload::Unsampled {
            builder = builder.sampler(AlwaysOff);
        }
        TracerScoped {
            sink,
            provider: builder.build(),
        }
    }
}

/// Whether it takes part in `workload`: every one with a provider.
pub fn supports(workload: Workload) -> bool {
    workload != Workload::Off
}

impl Contender for TracerScoped {
    fn name(&self) -> &'static str {
        "tracer_scoped"
    }

    fn supports(&self, workload: Workload) -> bool {
        supports(workload)
    }

    fn run(&self, workload: Workload, traces: usize) {
        // One default per call, on the calling thread (each thread of the
        // `threads` workload sets its own).
        self.provider.in_scope(|| run_traces(workload, traces));
    }

    fn flush(&self) {
        self.provider
            .force_flush(Duration::from_secs(60))
            .expect("tracer flush");
    }

    fn sink(&self) -> Option<&Sink> {
        Some(&self.sink)
    }
}
