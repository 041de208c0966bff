//! Configuring a tail sampler: its settings, and the builder that adds a
//! predicate and the next processor.

use std::time::Duration;

use super::TailSamplingProcessor;
use super::policy::Predicate;
use crate::model::SpanData;
use crate::processor::SpanProcessor;

/// The settings of a [`TailSamplingProcessor`], as
/// [`EnvConfig`](crate::env::EnvConfig) reads them from
/// `TRACER_TAIL_SAMPLING_*`. A predicate is given to the builder
/// ([`TailSamplingBuilder::keep_if`]).
///
/// ```
/// use std::time::Duration;
/// use tracer_core::processor::TailSamplingConfig;
///
/// let mut config = TailSamplingConfig::default();
/// config.ratio = 0.01;
/// config.slower_than = Some(Duration::from_millis(500));
/// assert!(config.keep_errors);
/// assert_eq!(config.late_span_window, Duration::from_secs(30));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct TailSamplingConfig {
    /// Keep every trace with a failed span: error status (a panic
    /// included), or `cancelled = true`. Default `true`.
    pub keep_errors: bool,
    /// Keep every trace whose local root took at least this long. Default
    /// `None`: no such rule.
    pub slower_than: Option<Duration>,
    /// The fraction of the other traces kept, chosen by trace id as
    /// [`TraceIdRatio`](crate::sampler::TraceIdRatio) chooses. Clamped to
    /// `0..=1`; default `0`: only what the rules keep.
    pub ratio: f64,
    /// The most traces held while waiting for their local root. Default
    /// 2048, at least 1.
    pub max_traces: usize,
    /// The most spans held, over all traces. Default 16,384 (about 7 MB),
    /// at least 1.
    pub max_spans: usize,
    /// How long decisions are remembered for spans that end after their
    /// trace was decided, and the longest a trace is held waiting for its
    /// root. Default 30 s.
    pub late_span_window: Duration,
    /// How many decisions are remembered for late spans, at most: set it
    /// above the traces decided in one window. Default 65,536 (512 KB).
    pub remembered_traces: usize,
}

impl Default for TailSamplingConfig {
    fn default() -> TailSamplingConfig {
        TailSamplingConfig {
            keep_errors: true,
            slower_than: None,
            ratio: 0.0,
            max_traces: 2048,
            max_spans: 16_384,
            late_span_window: Duration::from_secs(30),
            remembered_traces: 65_536,
        }
    }
}

/// Builds a [`TailSamplingProcessor`] around the next processor
/// ([`TailSamplingProcessor::builder`]).
///
/// ```
/// use std::time::Duration;
/// use tracer_core::export::InMemoryExporter;
/// use tracer_core::processor::{BatchSpanProcessor, TailSamplingProcessor};
/// use tracer_core::Value;
///
/// let tail = TailSamplingProcessor::builder(BatchSpanProcessor::with_defaults(InMemoryExporter::new()))
///     .keep_errors(true)
///     .slower_than(Duration::from_millis(500))
///     .keep_if(|spans| spans.iter().any(|s| s.attribute("user.tier") == Some(&Value::from("gold"))))
///     .ratio(0.01)
///     .max_traces(1024)
///     .max_spans(8192)
///     .late_span_window(Duration::from_secs(10))
///     .remembered_traces(100_000)
///     .build();
/// # drop(tail);
/// ```
#[must_use = "a builder does nothing until `build`"]
pub struct TailSamplingBuilder<P> {
    next: P,
    config: TailSamplingConfig,
    predicate: Option<Predicate>,
}

impl<P: SpanProcessor> TailSamplingBuilder<P> {
    pub(super) fn new(next: P) -> TailSamplingBuilder<P> {
        TailSamplingBuilder {
            next,
            config: TailSamplingConfig::default(),
            predicate: None,
        }
    }

    /// Replaces every setting (the predicate stays).
    pub fn config(mut self, config: TailSamplingConfig) -> TailSamplingBuilder<P> {
        self.config = config;
        self
    }

    /// Sets [`keep_errors`](TailSamplingConfig::keep_errors).
    pub fn keep_errors(mut self, keep: bool) -> TailSamplingBuilder<P> {
        self.config.keep_errors = keep;
        self
    }

    /// Sets [`slower_than`](TailSamplingConfig::slower_than).
    pub fn slower_than(mut self, threshold: Duration) -> TailSamplingBuilder<P> {
        self.config.slower_than = Some(threshold);
        self
    }

    /// Keeps every trace for which `predicate` returns `true`. It sees the
    /// trace's spans in this process gathered so far (the local root's
    /// batch and what was held for it), on the thread that ended the root.
    /// A predicate that panics counts as `false`.
    pub fn keep_if(
        mut self,
        predicate: impl Fn(&[SpanData]) -> bool + Send + Sync + 'static,
    ) -> TailSamplingBuilder<P> {
        self.predicate = Some(Box::new(predicate));
        self
    }

    /// Sets [`ratio`](TailSamplingConfig::ratio).
    pub fn ratio(mut self, ratio: f64) -> TailSamplingBuilder<P> {
        self.config.ratio = ratio;
        self
    }

    /// Sets [`max_traces`](TailSamplingConfig::max_traces).
    pub fn max_traces(mut self, traces: usize) -> TailSamplingBuilder<P> {
        self.config.max_traces = traces;
        self
    }

    /// Sets [`max_spans`](TailSamplingConfig::max_spans).
    pub fn max_spans(mut self, spans: usize) -> TailSamplingBuilder<P> {
        self.config.max_spans = spans;
        self
    }

    /// Sets [`late_span_window`](TailSamplingConfig::late_span_window).
    pub fn late_span_window(mut self, window: Duration) -> TailSamplingBuilder<P> {
        self.config.late_span_window = window;
        self
    }

    /// Sets [`remembered_traces`](TailSamplingConfig::remembered_traces).
    pub fn remembered_traces(mut self, traces: usize) -> TailSamplingBuilder<P> {
        self.config.remembered_traces = traces;
        self
    }

    /// The processor.
    pub fn build(self) -> TailSamplingProcessor<P> {
        TailSamplingProcessor::from_parts(self.next, self.config, self.predicate)
    }
}
