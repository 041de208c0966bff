//! Configuring a provider.

use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64};

use super::{ProviderInner, TracerProvider};
use crate::export::SpanExporter;
use crate::model::{Key, Resource, ResourceBuilder, SpanLimits, Value};
use crate::processor::{BatchConfig, BatchSpanProcessor, SimpleSpanProcessor, SpanProcessor};
use crate::sampler::{AlwaysOff, AlwaysOn, ParentBased, Sampler, TraceIdRatio};

/// Configures a [`TracerProvider`]: [`install`](ProviderBuilder::install)
/// makes it the process's, [`build`](ProviderBuilder::build) returns it
/// without installing it.
#[must_use = "a builder does nothing until `install` or `build`"]
pub struct ProviderBuilder {
    sampler: Box<dyn Sampler>,
    inherits_local_sampled: bool,
    processors: Vec<Box<dyn SpanProcessor>>,
    limits: SpanLimits,
    resource: ResourceBuilder,
}

impl Default for ProviderBuilder {
    fn default() -> ProviderBuilder {
        ProviderBuilder {
            sampler: Box::new(ParentBased::new(AlwaysOn)),
            inherits_local_sampled: true,
            processors: Vec::new(),
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
    pub fn resource_attribute(mut self, key: impl Into<Key>, value: impl Into<Value>) -> ProviderBuilder {
        self.resource = self.resource.attribute(key, value);
        self
    }

    /// The provider, built and not installed: spans report to it where it
    /// is made the default ([`TracerProvider::set_default`],
    /// [`TracerProvider::in_scope`], [`TracerProvider::scope`]). Its last
    /// handle, dropped, shuts it down.
    ///
    /// ```
    /// use tracer_core::export::InMemoryExporter;
    /// use tracer_core::TracerProvider;
    ///
    /// let exporter = InMemoryExporter::new();
    /// let provider = TracerProvider::builder()
    ///     .service_name("test")
    ///     .with_simple_exporter(exporter.clone())
    ///     .build();
    /// {
    ///     let _default = provider.set_default();
    ///     tracer_core::in_span("work", |_| {});
    /// }
    /// assert_eq!(exporter.spans_named("work").len(), 1);
    /// ```
    pub fn build(self) -> TracerProvider {
        let has_on_start = self.processors.iter().any(|p| p.wants_on_start());
        let resource = self.resource.build();
        let mut processors = self.processors;
        for processor in &mut processors {
            processor.set_resource(&resource);
        }
        let inner = |me: &std::sync::Weak<ProviderInner>| ProviderInner {
            sampler: self.sampler,
            inherits_local_sampled: self.inherits_local_sampled,
            processors,
            has_on_start,
            fast_children: self.inherits_local_sampled && !has_on_start,
            limits: self.limits,
            resource,
            processor_panics: AtomicU64::new(0),
            shut_down: AtomicBool::new(false),
            global: AtomicBool::new(false),
            me: me.clone(),
        };
        TracerProvider {
            inner: Arc::new_cyclic(inner),
        }
    }
}
