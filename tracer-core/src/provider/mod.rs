//! The tracer provider: the sampler, the span processors, the span limits
//! and the resource that spans are recorded with.
//!
//! A process usually has one provider, installed once for the whole process
//! ([`ProviderBuilder::install`]). Until it is installed (and after it is
//! shut down) spans are not recorded and cost a single relaxed load.
//!
//! A provider can also be built without installing it
//! ([`ProviderBuilder::build`]) and made the default for one thread, one
//! closure or one future (`set_default`, `in_scope`, `scope`): what a test
//! does to see only its own spans. A span reports to the provider it started
//! under, wherever it ends.
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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
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
pub(crate) use global::{Active, active, get, global_recording, limits, mark_scopes_used, scopes_used, set_global};

/// How long `force_flush()` and `shutdown()` wait by default.
pub const DEFAULT_FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// The sampler, processors, limits and resource that spans are recorded
/// with: the process's, once installed, or one made the default for a
/// thread, a closure or a future.
///
/// A handle: clones share one provider (its processors, its stats, its
/// shutdown).
///
/// ```
/// use tracer_core::export::InMemoryExporter;
/// use tracer_core::{Span, TracerProvider};
///
/// let exporter = InMemoryExporter::new();
/// let provider = TracerProvider::builder()
///     .with_simple_exporter(exporter.clone())
///     .build();
/// provider.in_scope(|| drop(Span::new("only_here")));
/// assert_eq!(exporter.spans()[0].name, "only_here");
/// ```
#[derive(Clone)]
pub struct TracerProvider {
    pub(crate) inner: Arc<ProviderInner>,
}

/// What a [`TracerProvider`] handle shares: what the runtime reads on every
/// span start.
pub(crate) struct ProviderInner {
    pub(super) sampler: Box<dyn Sampler>,
    pub(super) inherits_local_sampled: bool,
    pub(super) processors: Vec<Box<dyn SpanProcessor>>,
    pub(super) has_on_start: bool,
    /// `inherits_local_sampled && !has_on_start`, read by every child span.
    pub(super) fast_children: bool,
    pub(super) limits: SpanLimits,
    pub(super) resource: Resource,
    pub(super) processor_panics: AtomicU64,
    /// Set by `shutdown`: spans started afterwards are not recorded.
    pub(super) shut_down: AtomicBool,
    /// Whether this is the installed provider, which spans refer to
    /// without holding a handle.
    pub(super) global: AtomicBool,
    /// Itself, for the handles that spans started under it keep.
    pub(super) me: Weak<ProviderInner>,
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
        &self.inner.resource
    }

    /// The span limits.
    pub fn limits(&self) -> &SpanLimits {
        &self.inner.limits
    }

    /// Counters from every processor.
    pub fn stats(&self) -> ProviderStats {
        self.inner.stats()
    }

    /// Whether `shutdown` was called: spans started under it are not
    /// recorded.
    pub fn is_shut_down(&self) -> bool {
        self.inner.is_shut_down()
    }

    /// Whether `self` and `other` are handles of the same provider.
    pub fn same_as(&self, other: &TracerProvider) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Flushes every processor, waiting at most `timeout` for each.
    pub(crate) fn flush_processors(&self, timeout: Duration) -> Result<(), FlushError> {
        self.inner.each_processor(|p| p.force_flush(timeout))
    }

    /// Stops recording, then shuts every processor down, waiting at most
    /// `timeout` for each.
    pub(crate) fn shutdown_processors(&self, timeout: Duration) -> Result<(), FlushError> {
        self.inner.shut_down.store(true, Ordering::SeqCst);
        if self.inner.global.load(Ordering::Relaxed) {
            global::deactivate();
        }
        self.inner.each_processor(|p| p.shutdown(timeout))
    }
}

impl ProviderInner {
    pub(crate) fn sampler(&self) -> &dyn Sampler {
        &*self.sampler
    }

    /// The span limits.
    #[inline]
    pub(crate) fn limits(&self) -> &SpanLimits {
        &self.limits
    }

    #[inline]
    pub(crate) fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::Relaxed)
    }

    /// A handle for an owned span to keep, so that it reports here wherever
    /// it ends: `None` for the installed provider, which needs none.
    #[inline]
    pub(crate) fn owner_handle(&self) -> Option<TracerProvider> {
        if self.global.load(Ordering::Relaxed) {
            return None;
        }
        Some(self.handle())
    }

    /// A new handle of this provider.
    #[cold]
    #[inline(never)]
    fn handle(&self) -> TracerProvider {
        TracerProvider {
            // Whoever lends `&self` keeps a handle alive (a default's is
            // the thread's state's), so the count is not zero.
            inner: self.me.upgrade().expect("a provider in use has a handle"),
        }
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
    fn stats(&self) -> ProviderStats {
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
            .field("sampler", &self.inner.sampler.description())
            .field("processors", &self.inner.processors.len())
            .field("limits", &self.inner.limits)
            .field("resource", &self.inner.resource)
            .finish()
    }
}

impl Drop for ProviderInner {
    /// The last handle of a provider that was not shut down: its
    /// processors flush and stop, as at shutdown.
    fn drop(&mut self) {
        if !self.is_shut_down() {
            if let Err(e) = self.each_processor(|p| p.shutdown(DEFAULT_FLUSH_TIMEOUT)) {
                diag::warn(&format!("provider dropped: {e}"));
            }
        }
    }
}
