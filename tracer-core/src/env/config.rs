//! [`EnvConfig`]: everything the environment says, and installing it.

use std::sync::OnceLock;

use super::choice::{OtlpEnv, PropagatorChoice, SamplerChoice, TracesExporter};
use super::composite::composite_of;
use super::parse::Parser;
use crate::diag;
use crate::export::ConsoleExporter;
use crate::install::ProviderGuard;
use crate::model::SpanLimits;
use crate::processor::{BatchConfig, SimpleSpanProcessor, SpanProcessor, TailSamplingConfig, TailSamplingProcessor};
use crate::provider::{InstallError, ProviderBuilder, TracerProvider};

/// Everything the environment says, parsed and checked.
///
/// ```
/// use tracer_core::env::EnvConfig;
///
/// let config = EnvConfig::from_lookup(|n| (n == "OTEL_BSP_MAX_QUEUE_SIZE").then(|| "lots".into()));
/// assert_eq!(config.batch.max_queue_size, 2048);
/// assert!(config.warnings[0].contains("OTEL_BSP_MAX_QUEUE_SIZE"));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct EnvConfig {
    /// `OTEL_SDK_DISABLED`: install nothing.
    pub sdk_disabled: bool,
    /// `OTEL_SERVICE_NAME`.
    pub service_name: Option<String>,
    /// `OTEL_RESOURCE_ATTRIBUTES`, in order.
    pub resource_attributes: Vec<(String, String)>,
    /// `OTEL_TRACES_EXPORTER`; empty for `none`.
    pub exporters: Vec<TracesExporter>,
    /// `OTEL_EXPORTER_OTLP_*`.
    pub otlp: OtlpEnv,
    /// `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`.
    pub sampler: SamplerChoice,
    /// `OTEL_PROPAGATORS`; empty for `none`.
    pub propagators: Vec<PropagatorChoice>,
    /// `OTEL_BSP_*`.
    pub batch: BatchConfig,
    /// `OTEL_SPAN_*_COUNT_LIMIT` and friends.
    pub span_limits: SpanLimits,
    /// `TRACER_TAIL_SAMPLING_*`: when any is set, each exporter's
    /// processor sits behind a
    /// [`TailSamplingProcessor`](crate::processor::TailSamplingProcessor)
    /// with these settings.
    pub tail_sampling: Option<TailSamplingConfig>,
    /// One line per invalid value, each naming its variable.
    pub warnings: Vec<String>,
}

impl EnvConfig {
    /// Reads the process environment. Warnings are kept in
    /// [`warnings`](Self::warnings), not printed; [`init_from_env`] and
    /// [`install`](Self::install) print them.
    ///
    /// ```
    /// let config = tracer_core::env::EnvConfig::from_env();
    /// # let _ = config;
    /// ```
    pub fn from_env() -> EnvConfig {
        EnvConfig::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup` (a name in, the value out), for
    /// tests and for configuration kept elsewhere.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> EnvConfig {
        let mut vars = Parser::new(&lookup);
        // Fields are evaluated in order, so the warnings are too.
        EnvConfig {
            sdk_disabled: vars.sdk_disabled(),
            service_name: vars.service_name(),
            resource_attributes: vars.resource_attributes(),
            exporters: vars.exporters(),
            otlp: vars.otlp(),
            sampler: vars.sampler(),
            propagators: vars.propagators(),
            batch: vars.batch(),
            span_limits: vars.span_limits(),
            tail_sampling: vars.tail_sampling(),
            warnings: vars.into_warnings(),
        }
    }

    /// Prints the warnings, then installs the provider described: sampler,
    /// limits, resource and exporters (each behind a tail sampler when
    /// `TRACER_TAIL_SAMPLING_*` asks for one). With `OTEL_SDK_DISABLED=true` it
    /// installs nothing and returns a guard that does nothing. Either way it
    /// sets the global propagator from `OTEL_PROPAGATORS` when that differs
    /// from the default (`tracecontext,baggage`, already the global one),
    /// and records the choice for [`propagators`].
    ///
    /// ```no_run
    /// let guard = tracer_core::env::EnvConfig::from_env().install().expect("first install");
    /// # drop(guard);
    /// ```
    pub fn install(self) -> Result<ProviderGuard, InstallError> {
        for warning in &self.warnings {
            diag::warn(warning);
        }
        let _ = PROPAGATORS.set(self.propagators.clone());
        // The default choice is the default global propagator: leave it, so
        // that one the application set before stays.
        if self.propagators != PropagatorChoice::DEFAULT {
            let (propagator, skipped) = composite_of(&self.propagators);
            for warning in &skipped {
                diag::warn(warning);
            }
            crate::propagation::set_global_propagator(propagator);
        }
        if self.sdk_disabled {
            return Ok(ProviderGuard::inert());
        }
        self.provider_builder().install()
    }

    /// The provider builder this configuration describes, to add to before
    /// installing: each exporter's processor sits behind a tail sampler
    /// when [`tail_sampling`](Self::tail_sampling) is set. Warnings are not
    /// printed.
    ///
    /// ```
    /// use tracer_core::env::EnvConfig;
    /// use tracer_core::export::InMemoryExporter;
    ///
    /// let builder = EnvConfig::from_lookup(|_| None)
    ///     .provider_builder()
    ///     .with_simple_exporter(InMemoryExporter::new());
    /// # drop(builder);
    /// ```
    pub fn provider_builder(&self) -> ProviderBuilder {
        let mut builder = self
            .sampler
            .apply(TracerProvider::builder())
            .span_limits(self.span_limits);
        for (key, value) in &self.resource_attributes {
            builder = builder.resource_attribute(key.clone(), value.clone());
        }
        if let Some(name) = &self.service_name {
            builder = builder.service_name(name.clone());
        }
        for exporter in &self.exporters {
            builder = match exporter {
                TracesExporter::Console => {
                    self.with_processor(builder, SimpleSpanProcessor::new(ConsoleExporter::new()))
                }
                TracesExporter::Otlp => self.with_otlp(builder),
            };
        }
        builder
    }

    /// Adds an exporter's `processor`, behind a tail sampler when
    /// `TRACER_TAIL_SAMPLING_*` asks for one.
    fn with_processor(&self, builder: ProviderBuilder, processor: impl SpanProcessor) -> ProviderBuilder {
        match &self.tail_sampling {
            Some(config) => builder.with_processor(TailSamplingProcessor::new(processor, config.clone())),
            None => builder.with_processor(processor),
        }
    }

    #[cfg(feature = "otlp")]
    fn with_otlp(&self, builder: ProviderBuilder) -> ProviderBuilder {
        match self.otlp.exporter() {
            Ok(exporter) => {
                self.with_processor(builder, crate::processor::BatchSpanProcessor::new(exporter, self.batch))
            }
            Err(e) => {
                diag::warn(&format!("OTEL_TRACES_EXPORTER=otlp: {e}; spans are not exported"));
                builder
            }
        }
    }

    #[cfg(not(feature = "otlp"))]
    fn with_otlp(&self, builder: ProviderBuilder) -> ProviderBuilder {
        // Parsing already turned `otlp` into `console` with a warning.
        builder
    }
}

/// The propagators [`EnvConfig::install`] chose, for [`propagators`].
static PROPAGATORS: OnceLock<Vec<PropagatorChoice>> = OnceLock::new();

/// The propagators to use: those recorded by [`init_from_env`] (or
/// [`EnvConfig::install`]), else `OTEL_PROPAGATORS` read now, else the
/// default `tracecontext,baggage`.
///
/// ```
/// use tracer_core::env::{propagators, PropagatorChoice};
///
/// let chosen = propagators();
/// # let _ = chosen.contains(&PropagatorChoice::TraceContext);
/// ```
pub fn propagators() -> Vec<PropagatorChoice> {
    if let Some(stored) = PROPAGATORS.get() {
        return stored.clone();
    }
    Parser::new(&|name: &str| std::env::var(name).ok()).propagators()
}

/// Configures tracing from the `OTEL_*` environment variables (see the
/// [module](super) docs), installs the provider and returns a guard that
/// flushes and shuts down at the end of `main`. Invalid values are reported
/// with a warning naming the variable, and their defaults used. If a
/// provider is already installed, says so and returns a guard that does
/// nothing.
///
/// ```no_run
/// // OTEL_SERVICE_NAME=checkout OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318
/// let _tracer = tracer_core::init_from_env();
/// // ... spans; the guard flushes when dropped at the end of `main` ...
/// ```
pub fn init_from_env() -> ProviderGuard {
    match EnvConfig::from_env().install() {
        Ok(guard) => guard,
        Err(e) => {
            diag::warn(&format!("init_from_env: {e}"));
            ProviderGuard::inert()
        }
    }
}
