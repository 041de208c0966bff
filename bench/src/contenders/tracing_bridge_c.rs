//! `tracing` through tracer's bridge: the same `tracing` macros as the
//! other `tracing` contenders, recorded by `tracer::bridge::layer()` into
//! tracer's provider (the one the tracer contender uses: both export to
//! its counting exporter, one repetition at a time).

use std::sync::Arc;
use std::time::Duration;

use tracer::TracerProvider;
use tracing::Dispatch;
use tracing_subscriber::Registry;
use tracing_subscriber::layer::SubscriberExt;

use super::{Contender, tracer_c, tracing_c};
use crate::Workload;
use crate::shape::Sink;

/// `tracing` + `tracer::bridge::layer()`, configured as lean as the
/// tracing-opentelemetry contender: no code location, no target.
pub struct TracingBridge {
    sink: Arc<Sink>,
    dispatch: Option<Dispatch>,
}

impl TracingBridge {
    /// Installs (or shares) tracer's provider, except for `off`, where it
    /// takes no part.
    pub fn new(workload: Workload, queue: usize) -> TracingBridge {
        let sink = tracer_c::installed(workload, queue);
        let dispatch = sink.as_ref().map(|_| {
            let layer = tracer::bridge::layer().with_location(false).with_target(false);
            Dispatch::new(Registry::default().with(layer))
        });
        TracingBridge {
            sink: sink.unwrap_or_default(),
            dispatch,
        }
    }
}

impl Contender for TracingBridge {
    fn name(&self) -> &'static str {
        "tracing+bridge"
    }

    fn supports(&self, workload: Workload) -> bool {
        // With nothing installed it is bare `tracing`: tracing+otel's row.
        workload != Workload::Off
    }

    fn run(&self, workload: Workload, traces: usize) {
        tracing_c::run(self.dispatch.as_ref(), workload, traces);
    }

    fn flush(&self) {
        if let Some(provider) = TracerProvider::global() {
            provider.force_flush(Duration::from_secs(60)).expect("tracer flush");
        }
    }

    fn sink(&self) -> Option<&Sink> {
        Some(&self.sink)
    }
}
