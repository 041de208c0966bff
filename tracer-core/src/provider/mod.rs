//! Installation: the global tracer provider.
//!
//! A process has one provider, installed once. It holds the sampler, the
//! span processors, the span limits and the resource. Until it is installed
//! (and after it is shut down) spans are not recorded and cost a single
//! relaxed load.
//!
//! ```no_run
//! use tracer_core::export::ConsoleExporter;
//! use tracer_core::sampler::{ParentBased, TraceIdRatio};
//! use tracer_core::TracerProvider;
//!
//! let _guard = TracerProvider::builder()
//!     .service_name("checkout")
//!     .sampler(ParentBased::new(TraceIdRatio::new(0.25)))
//!     .with_simple_exporter(ConsoleExporter::new())
//!     .install()
//!     .expect("first install");
//! // ... spans ...
//! // Dropping the guard flushes and shuts down.
//! ```

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::buffer::SpanBatch;
use crate::diag;
use crate::model::{Resource, SpanData, SpanLimits};
use crate::processor::{FlushError, ProcessorStats, SpanProcessor};
use crate::sampler::Sampler;

mod builder;
mod global;

pub use builder::ProviderBuilder;
pub use global::InstallError;
pub(crate) use global::{active, get, limits, set_global};

/// The sampler, processors, limits and resource of the process.
pub struct TracerProvider {
    pub(super) sampler: Box<dyn Sampler>,
    pub(super) inherits_local_sampled: bool,
    pub(super) processors: Vec<Box<dyn SpanProcessor>>,
    pub(super) has_on_start: bool,
    /// `inherits_local_sampled && !has_on_start`, read by every child span.
    pub(super) fast_children: bool,
    pub(super) limits: SpanLimits,
    pub(super) resource: Resource,
    pub(super) processor_panics: AtomicU64,
}

/// Everything the provider's processors counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProviderStats {
    /// The sum over processors.
    pub processors: ProcessorStats,
    /// Batches lost because a processor panicked.
    pub processor_panics: u64,
}

impl TracerProvider {
    /// A builder with the defaults: `ParentBased(AlwaysOn)`, no processors,
    /// OpenTelemetry's span limits.
    pub fn builder() -> ProviderBuilder {
        ProviderBuilder::default()
    }

    /// The installed provider, if any.
    pub fn global() -> Option<&'static TracerProvider> {
        global::get()
    }

    /// The resource describing this process.
    pub fn resource(&self) -> &Resource {
        &self.resource
    }

    /// The span limits.
    pub fn limits(&self) -> &SpanLimits {
        &self.limits
    }

    pub(crate) fn sampler(&self) -> &dyn Sampler {
        &*self.sampler
    }

    /// Whether children of a sampled local parent are sampled without
    /// asking the sampler.
    #[inline]
    pub(crate) fn inherits_local_sampled(&self) -> bool {
        self.inherits_local_sampled
    }

    /// Whether a child of a sampled local span is recorded without asking
    /// the sampler or calling `on_start`: the span hot path.
    #[inline]
    pub(crate) fn fast_children(&self) -> bool {
        self.fast_children
    }

    #[inline]
    pub(crate) fn has_on_start(&self) -> bool {
        self.has_on_start
    }

    pub(crate) fn on_start(&self, span: &mut SpanData) {
        if !self.has_on_start {
            return;
        }
        for processor in self.processors.iter().filter(|p| p.wants_on_start()) {
            if catch_unwind(AssertUnwindSafe(|| processor.on_start(span))).is_err() {
                self.processor_panics.fetch_add(1, Ordering::Relaxed);
            }
        }
        // What the processors added, within the limits.
        span.apply_limits(&self.limits);
    }

    /// Gives a thread's batch to every processor. A panicking processor
    /// loses its copy of the batch (counted), not the application.
    pub(crate) fn on_end_batch(&self, batch: SpanBatch) {
        // With no processor, the batch drops: its buffer goes back to the
        // pool.
        let Some((last, rest)) = self.processors.split_last() else {
            return;
        };
        for processor in rest {
            let copy = batch.clone();
            self.guarded(|| processor.on_end_batch(copy));
        }
        self.guarded(|| last.on_end_batch(batch));
    }

    fn guarded(&self, f: impl FnOnce()) {
        if catch_unwind(AssertUnwindSafe(f)).is_err() && self.processor_panics.fetch_add(1, Ordering::Relaxed) == 0 {
            diag::warn("a span processor panicked; its batch was lost (counted in stats().processor_panics)");
        }
    }

    /// Flushes every processor, waiting at most `timeout` for each.
    pub(crate) fn flush_processors(&self, timeout: Duration) -> Result<(), FlushError> {
        self.each_processor(|p| p.force_flush(timeout))
    }

    /// Stops recording if this is the global provider, then shuts every
    /// processor down, waiting at most `timeout` for each.
    pub(crate) fn shutdown_processors(&self, timeout: Duration) -> Result<(), FlushError> {
        if global::get().is_some_and(|global| std::ptr::eq(global, self)) {
            global::deactivate();
        }
        self.each_processor(|p| p.shutdown(timeout))
    }

    fn each_processor(&self, f: impl Fn(&dyn SpanProcessor) -> Result<(), FlushError>) -> Result<(), FlushError> {
        let mut failure: Option<FlushError> = None;
        for processor in &self.processors {
            if let Err(e) = f(&**processor) {
                failure = Some(match failure {
                    None => e,
                    Some(prev) => prev.and(e),
                });
            }
        }
        failure.map_or(Ok(()), Err)
    }

    /// Counters from every processor.
    pub fn stats(&self) -> ProviderStats {
        ProviderStats {
            processors: self
                .processors
                .iter()
                .fold(ProcessorStats::default(), |sum, p| sum + p.stats()),
            processor_panics: self.processor_panics.load(Ordering::Relaxed),
        }
    }
}

impl fmt::Debug for TracerProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TracerProvider")
            .field("sampler", &self.sampler.description())
            .field("processors", &self.processors.len())
            .field("limits", &self.limits)
            .field("resource", &self.resource)
            .finish()
    }
}
