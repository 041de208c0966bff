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

use std::any::{Any, TypeId};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use crate::current::{with_batch_facts, Batch, Facts};
use crate::diag;
use crate::export::{ConsoleExporter, SpanExporter};
use crate::processor::{
    BatchConfig, BatchSpanProcessor, FlushError, ProcessorStats, SimpleSpanProcessor, SpanProcessor,
};
use crate::resource::{Resource, ResourceBuilder};
use crate::sampler::{AlwaysOff, AlwaysOn, ParentBased, Sampler, TraceIdRatio};
use crate::span::{SpanData, SpanLimits};
use crate::value::Value;

static PROVIDER: OnceLock<TracerProvider> = OnceLock::new();
/// The installed provider while it records, null otherwise: what every
/// span start checks, in one load.
static ACTIVE: AtomicPtr<TracerProvider> = AtomicPtr::new(std::ptr::null_mut());

/// How long `force_flush()` and `shutdown()` wait by default.
pub const DEFAULT_FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// The installed provider, while it records.
#[inline]
pub(crate) fn active() -> Option<&'static TracerProvider> {
    // SAFETY: the pointer is null or points into `PROVIDER`, which is set
    // once and never dropped; `Acquire` pairs with the release in `install`
    // so the provider is seen fully built.
    unsafe { ACTIVE.load(Ordering::Acquire).as_ref() }
}

/// The installed provider, also after shutdown.
pub(crate) fn get() -> Option<&'static TracerProvider> {
    PROVIDER.get()
}

/// The span limits in force.
pub(crate) fn limits() -> SpanLimits {
    PROVIDER.get().map_or_else(SpanLimits::default, |p| p.limits)
}

/// The sampler, processors, limits and resource of the process.
pub struct TracerProvider {
    sampler: Box<dyn Sampler>,
    inherits_local_sampled: bool,
    processors: Vec<Box<dyn SpanProcessor>>,
    /// Per processor: whether it is one of tracer's own, given a batch's
    /// facts (see [`Facts`]). Another processor may change the records
    /// before it passes them on, even to one of tracer's.
    reads_facts: Vec<bool>,
    has_on_start: bool,
    /// `inherits_local_sampled && !has_on_start`, read by every child span.
    fast_children: bool,
    limits: SpanLimits,
    resource: Resource,
    processor_panics: AtomicU64,
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
        PROVIDER.get()
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
    }

    /// Gives a thread's batch to every processor. A panicking processor
    /// loses its copy of the batch (counted), not the application.
    pub(crate) fn on_end_batch(&self, batch: Batch) {
        let Some((last, rest)) = self.processors.split_last() else {
            crate::current::recycle(batch);
            return;
        };
        let Batch { records, facts } = batch;
        // Copies have their originals' facts.
        let facts_for = |index: usize| match self.reads_facts[index] {
            true => facts,
            false => Facts::default(),
        };
        for (index, processor) in rest.iter().enumerate() {
            let copy = records.clone();
            self.guarded(|| with_batch_facts(facts_for(index), || processor.on_end_batch(copy)));
        }
        self.guarded(|| with_batch_facts(facts_for(rest.len()), || last.on_end_batch(records)));
    }

    fn guarded(&self, f: impl FnOnce()) {
        if catch_unwind(AssertUnwindSafe(f)).is_err() && self.processor_panics.fetch_add(1, Ordering::Relaxed) == 0 {
            diag::warn("a span processor panicked; its batch was lost (counted in stats().processor_panics)");
        }
    }

    /// Exports everything finished so far (this thread's buffered spans
    /// included), waiting at most `timeout` per processor.
    pub fn force_flush(&self, timeout: Duration) -> Result<(), FlushError> {
        crate::current::flush_local();
        self.each_processor(|p| p.force_flush(timeout))
    }

    /// Stops recording, flushes, and shuts every processor down, waiting at
    /// most `timeout` per processor. Spans started afterwards are not
    /// recorded.
    pub fn shutdown(&self, timeout: Duration) -> Result<(), FlushError> {
        crate::current::flush_local();
        ACTIVE.store(std::ptr::null_mut(), Ordering::SeqCst);
        self.each_processor(|p| p.shutdown(timeout))
    }

    fn each_processor(&self, f: impl Fn(&dyn SpanProcessor) -> Result<(), FlushError>) -> Result<(), FlushError> {
        let mut failure: Option<FlushError> = None;
        for processor in &self.processors {
            if let Err(e) = f(&**processor) {
                failure = Some(match failure {
                    None => e,
                    Some(prev) => FlushError {
                        undelivered: prev.undelivered + e.undelivered,
                        reason: format!("{}; {}", prev.reason, e.reason),
                    },
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

/// Configures and installs the global [`TracerProvider`].
#[must_use = "a builder does nothing until `install`"]
pub struct ProviderBuilder {
    sampler: Box<dyn Sampler>,
    inherits_local_sampled: bool,
    processors: Vec<Box<dyn SpanProcessor>>,
    reads_facts: Vec<bool>,
    limits: SpanLimits,
    resource: ResourceBuilder,
}

impl Default for ProviderBuilder {
    fn default() -> ProviderBuilder {
        ProviderBuilder {
            sampler: Box::new(ParentBased::new(AlwaysOn)),
            inherits_local_sampled: true,
            processors: Vec::new(),
            reads_facts: Vec::new(),
            limits: SpanLimits::default(),
            resource: Resource::builder(),
        }
    }
}

impl ProviderBuilder {
    /// Sets the sampler: a built-in one, a closure
    /// `Fn(TraceId, Option<SpanId>, &str) -> bool`, or any [`Sampler`].
    pub fn sampler<S: Sampler>(mut self, sampler: S) -> ProviderBuilder {
        let any: &dyn Any = &sampler;
        // Samplers whose answer under a sampled local parent is always "yes"
        // let the hot path skip the call. Ratio sampling is deterministic on
        // the trace id, which children share with their parent.
        self.inherits_local_sampled = match any.downcast_ref::<ParentBased>() {
            Some(parent_based) => parent_based.inherits_local_sampled(),
            None => any.is::<AlwaysOn>() || any.is::<AlwaysOff>() || any.is::<TraceIdRatio>(),
        };
        self.sampler = Box::new(sampler);
        self
    }

    /// Adds a processor. Several may be installed; each sees every span.
    pub fn with_processor<P: SpanProcessor>(mut self, processor: P) -> ProviderBuilder {
        let own = [TypeId::of::<BatchSpanProcessor>(), TypeId::of::<SimpleSpanProcessor>()];
        self.reads_facts.push(own.contains(&TypeId::of::<P>()));
        self.processors.push(Box::new(processor));
        self
    }

    /// Adds a [`SimpleSpanProcessor`] around `exporter`.
    pub fn with_simple_exporter(self, exporter: impl SpanExporter) -> ProviderBuilder {
        self.with_processor(SimpleSpanProcessor::new(exporter))
    }

    /// Adds a [`BatchSpanProcessor`] with default settings around `exporter`.
    pub fn with_batch_exporter(self, exporter: impl SpanExporter) -> ProviderBuilder {
        self.with_processor(BatchSpanProcessor::new(exporter, BatchConfig::default()))
    }

    /// Sets the span limits.
    pub fn span_limits(mut self, limits: SpanLimits) -> ProviderBuilder {
        self.limits = limits;
        self
    }

    /// Sets `service.name`.
    pub fn service_name(mut self, name: impl Into<Value>) -> ProviderBuilder {
        self.resource = self.resource.service_name(name);
        self
    }

    /// Sets a resource attribute (`service.version`,
    /// `deployment.environment`, ...).
    pub fn resource_attribute(mut self, key: impl Into<crate::Key>, value: impl Into<Value>) -> ProviderBuilder {
        self.resource = self.resource.attribute(key, value);
        self
    }

    /// Installs the provider for the whole process. Fails if one is already
    /// installed (the new one is then dropped, and its processors shut down).
    pub fn install(self) -> Result<ProviderGuard, InstallError> {
        let has_on_start = self.processors.iter().any(|p| p.wants_on_start());
        let provider = TracerProvider {
            sampler: self.sampler,
            inherits_local_sampled: self.inherits_local_sampled,
            processors: self.processors,
            reads_facts: self.reads_facts,
            has_on_start,
            fast_children: self.inherits_local_sampled && !has_on_start,
            limits: self.limits,
            resource: self.resource.build(),
            processor_panics: AtomicU64::new(0),
        };
        PROVIDER.set(provider).map_err(|_| InstallError::AlreadyInstalled)?;
        let installed = PROVIDER
            .get()
            .map_or(std::ptr::null_mut(), |p| p as *const TracerProvider as *mut _);
        ACTIVE.store(installed, Ordering::SeqCst);
        Ok(ProviderGuard { armed: true })
    }
}

/// Why a provider could not be installed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InstallError {
    /// A provider is already installed; a process has one.
    AlreadyInstalled,
}

impl fmt::Display for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a tracer provider is already installed")
    }
}

impl std::error::Error for InstallError {}

/// Flushes and shuts the provider down when dropped (at the end of `main`).
#[must_use = "dropping the guard shuts tracing down at once"]
#[derive(Debug)]
pub struct ProviderGuard {
    armed: bool,
}

impl ProviderGuard {
    /// A guard that does nothing when dropped (nothing was installed).
    pub(crate) fn inert() -> ProviderGuard {
        ProviderGuard { armed: false }
    }

    /// The provider.
    pub fn provider(&self) -> Option<&'static TracerProvider> {
        PROVIDER.get()
    }

    /// Flushes and shuts down now, reporting what was not delivered.
    pub fn shutdown(mut self) -> Result<(), FlushError> {
        self.armed = false;
        shutdown()
    }
}

impl Drop for ProviderGuard {
    fn drop(&mut self) {
        if self.armed {
            if let Err(e) = shutdown() {
                diag::warn(&format!("shutdown: {e}"));
            }
        }
    }
}

/// Installs a provider that prints each trace as a tree on stdout
/// ([`ConsoleExporter`]). Returns a guard that flushes at the end of `main`.
/// If a provider is already installed, says so on stderr and returns a
/// guard that does nothing.
///
/// ```no_run
/// let _tracer = tracer_core::init();
/// ```
pub fn init() -> ProviderGuard {
    match TracerProvider::builder()
        .with_simple_exporter(ConsoleExporter::new())
        .install()
    {
        Ok(guard) => guard,
        Err(e) => {
            diag::warn(&format!("init: {e}"));
            ProviderGuard { armed: false }
        }
    }
}

/// Exports everything finished so far. See [`TracerProvider::force_flush`].
pub fn force_flush() -> Result<(), FlushError> {
    PROVIDER.get().map_or(Ok(()), |p| p.force_flush(DEFAULT_FLUSH_TIMEOUT))
}

/// Flushes and stops tracing. See [`TracerProvider::shutdown`].
pub fn shutdown() -> Result<(), FlushError> {
    PROVIDER.get().map_or(Ok(()), |p| p.shutdown(DEFAULT_FLUSH_TIMEOUT))
}
