//! Samplers: which traces are recorded.
//!
//! The sampler is asked when a trace starts (a root span) and whenever a
//! span's parent is remote. Under a *local* parent the decision is
//! inherited: children of a sampled span are sampled, and children of an
//! unsampled span cost only a thread-local check and are never recorded,
//! while the trace id still propagates. A sampler that is not parent-based
//! (a closure, or your own [`Sampler`]) is also asked for each child of a
//! sampled span and may drop it.
//!
//! The default is `ParentBased(AlwaysOn)`.
//!
//! ```
//! use tracer_core::sampler::{ParentBased, TraceIdRatio};
//!
//! // Keep 10% of new traces; follow the caller's decision otherwise.
//! let sampler = ParentBased::new(TraceIdRatio::new(0.1));
//! # let _ = sampler;
//! ```

use std::fmt;

use crate::model::KeyValue;
use crate::model::RatioRule;
use crate::model::{Link, SpanKind};
use crate::model::{SpanContext, TraceFlags, TraceState};
use crate::model::{SpanId, TraceId};

/// What a sampler sees about a span that is starting.
#[derive(Debug)]
#[non_exhaustive]
pub struct SamplingParams<'a> {
    /// The trace id (new for a root span).
    pub trace_id: TraceId,
    /// The flags the new span will carry, its sampled bit aside (the
    /// decision sets or clears it): for a new trace, the random bit
    /// ([`TraceFlags::RANDOM`], as tracer's trace ids are random); under a
    /// parent, the parent's [defined](TraceFlags::defined) bits, sampled bit
    /// included. A sampler that relies on the trace id being random (as
    /// [`TraceIdRatio`] does) can check [`TraceFlags::is_random`] here.
    pub trace_flags: TraceFlags,
    /// The parent's context, if any.
    pub parent: Option<&'a SpanContext>,
    /// The span name.
    pub name: &'a str,
    /// The span kind.
    pub kind: SpanKind,
    /// Attributes given at start (through the builder).
    pub attributes: &'a [KeyValue],
    /// Links given at start.
    pub links: &'a [Link],
}

/// A sampler's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SamplingDecision {
    /// Not recorded; the context still propagates with the sampled flag off.
    Drop,
    /// Recorded and given to processors, but not flagged as sampled, so
    /// built-in processors do not export it and its children are not
    /// recorded.
    RecordOnly,
    /// Recorded, flagged sampled, exported.
    RecordAndSample,
}

/// A sampler's full answer.
#[derive(Clone, Debug)]
pub struct SamplingResult {
    /// Whether to record.
    pub decision: SamplingDecision,
    /// Attributes to add to the span.
    pub attributes: Vec<KeyValue>,
    /// A replacement trace state, if the sampler changes it.
    pub trace_state: Option<TraceState>,
}

impl SamplingResult {
    /// A plain yes or no, adding nothing.
    pub fn from_bool(sampled: bool) -> SamplingResult {
        SamplingResult {
            decision: if sampled {
                SamplingDecision::RecordAndSample
            } else {
                SamplingDecision::Drop
            },
            attributes: Vec::new(),
            trace_state: None,
        }
    }
}

/// Decides whether a span is recorded.
///
/// Any closure `Fn(TraceId, Option<SpanId>, &str) -> bool` is a sampler
/// (what other tracers set with `set_sampler(my_sampler)`):
///
/// ```
/// use tracer_core::{SpanId, TraceId};
/// use tracer_core::sampler::Sampler;
///
/// fn my_sampler(trace_id: TraceId, parent_id: Option<SpanId>, _name: &str) -> bool {
///     // Always sample under a parent; keep a tenth of new traces.
///     parent_id.is_some() || trace_id.to_u128() % 10 == 0
/// }
/// fn takes_sampler(_: impl Sampler) {}
/// takes_sampler(my_sampler);
/// ```
///
/// Implement the trait itself to see the kind, attributes and links, or to
/// add attributes:
///
/// ```
/// use tracer_core::sampler::{Sampler, SamplingParams, SamplingResult};
/// use tracer_core::SpanKind;
///
/// struct ServersOnly;
///
/// impl Sampler for ServersOnly {
///     fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult {
///         let mut result = SamplingResult::from_bool(params.kind == SpanKind::Server);
///         result.attributes.push(tracer_core::KeyValue::new("sampler", "servers-only"));
///         result
///     }
/// }
/// ```
pub trait Sampler: Send + Sync + 'static {
    /// The decision for one span.
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult;

    /// A short description, for logs.
    fn description(&self) -> String {
        "CustomSampler".to_string()
    }
}

impl<F> Sampler for F
where
    F: Fn(TraceId, Option<SpanId>, &str) -> bool + Send + Sync + 'static,
{
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult {
        let parent_id = params.parent.map(SpanContext::span_id);
        SamplingResult::from_bool(self(params.trace_id, parent_id, params.name))
    }

    fn description(&self) -> String {
        "FnSampler".to_string()
    }
}

impl Sampler for Box<dyn Sampler> {
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult {
        (**self).should_sample(params)
    }

    fn description(&self) -> String {
        (**self).description()
    }
}

/// Records every trace.
#[derive(Clone, Copy, Debug, Default)]
pub struct AlwaysOn;

impl Sampler for AlwaysOn {
    fn should_sample(&self, _: &SamplingParams<'_>) -> SamplingResult {
        SamplingResult::from_bool(true)
    }

    fn description(&self) -> String {
        "AlwaysOnSampler".to_string()
    }
}

/// Records nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct AlwaysOff;

impl Sampler for AlwaysOff {
    fn should_sample(&self, _: &SamplingParams<'_>) -> SamplingResult {
        SamplingResult::from_bool(false)
    }

    fn description(&self) -> String {
        "AlwaysOffSampler".to_string()
    }
}

/// Records a fixed fraction of traces, deterministically from the trace id,
/// so every service that sees the same trace id makes the same choice.
///
/// It compares the trace id's lower 56 bits (the bits W3C level 2 requires
/// to be random) with `ratio × 2^56`.
///
/// ```
/// use tracer_core::sampler::{Sampler, SamplingDecision, SamplingParams, TraceIdRatio};
/// use tracer_core::TraceId;
///
/// let half = TraceIdRatio::new(0.5);
/// assert_eq!(half.ratio(), 0.5);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TraceIdRatio {
    rule: RatioRule,
}

impl TraceIdRatio {
    /// Samples `ratio` of traces; values outside `0..=1` are clamped, and
    /// NaN counts as 0.
    pub fn new(ratio: f64) -> TraceIdRatio {
        TraceIdRatio {
            rule: RatioRule::new(ratio),
        }
    }

    /// The fraction sampled.
    pub fn ratio(&self) -> f64 {
        self.rule.ratio()
    }

    /// Whether `trace_id` falls in the sampled fraction.
    pub fn samples(&self, trace_id: TraceId) -> bool {
        self.rule.selects(trace_id)
    }
}

impl Sampler for TraceIdRatio {
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult {
        SamplingResult::from_bool(self.samples(params.trace_id))
    }

    fn description(&self) -> String {
        format!("TraceIdRatioBased{{{}}}", self.ratio())
    }
}

/// Follows the parent's decision, and asks `root` for new traces.
///
/// Each of the four parent cases can be given its own sampler; by default
/// sampled parents give sampled children and unsampled parents give
/// unsampled children.
pub struct ParentBased {
    root: Box<dyn Sampler>,
    remote_sampled: Option<Box<dyn Sampler>>,
    remote_not_sampled: Option<Box<dyn Sampler>>,
    local_sampled: Option<Box<dyn Sampler>>,
    local_not_sampled: Option<Box<dyn Sampler>>,
}

impl ParentBased {
    /// Parent-based, with `root` deciding for new traces.
    pub fn new(root: impl Sampler) -> ParentBased {
        ParentBased {
            root: Box::new(root),
            remote_sampled: None,
            remote_not_sampled: None,
            local_sampled: None,
            local_not_sampled: None,
        }
    }

    /// The sampler for children of a sampled remote parent.
    pub fn remote_parent_sampled(mut self, sampler: impl Sampler) -> ParentBased {
        self.remote_sampled = Some(Box::new(sampler));
        self
    }

    /// The sampler for children of an unsampled remote parent (for example
    /// `AlwaysOn`, to record even what an untrusted caller did not sample).
    pub fn remote_parent_not_sampled(mut self, sampler: impl Sampler) -> ParentBased {
        self.remote_not_sampled = Some(Box::new(sampler));
        self
    }

    /// The sampler for children of a sampled local parent.
    pub fn local_parent_sampled(mut self, sampler: impl Sampler) -> ParentBased {
        self.local_sampled = Some(Box::new(sampler));
        self
    }

    /// The sampler for children of an unsampled local parent. Note that the
    /// runtime never asks it: such children are not recorded.
    pub fn local_parent_not_sampled(mut self, sampler: impl Sampler) -> ParentBased {
        self.local_not_sampled = Some(Box::new(sampler));
        self
    }

    /// Whether every child of a sampled local parent is sampled, so that the
    /// runtime can skip the call.
    pub(crate) fn inherits_local_sampled(&self) -> bool {
        self.local_sampled.is_none()
    }
}

impl Default for ParentBased {
    fn default() -> ParentBased {
        ParentBased::new(AlwaysOn)
    }
}

impl fmt::Debug for ParentBased {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description())
    }
}

impl Sampler for ParentBased {
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult {
        let Some(parent) = params.parent else {
            return self.root.should_sample(params);
        };
        let delegate = match (parent.is_remote(), parent.is_sampled()) {
            (true, true) => &self.remote_sampled,
            (true, false) => &self.remote_not_sampled,
            (false, true) => &self.local_sampled,
            (false, false) => &self.local_not_sampled,
        };
        match delegate {
            Some(sampler) => sampler.should_sample(params),
            None => SamplingResult::from_bool(parent.is_sampled()),
        }
    }

    fn description(&self) -> String {
        format!("ParentBased{{root:{}}}", self.root.description())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params<'a>(trace_id: TraceId, parent: Option<&'a SpanContext>) -> SamplingParams<'a> {
        SamplingParams {
            trace_id,
            trace_flags: parent.map_or(TraceFlags::RANDOM, |p| p.trace_flags().defined()),
            parent,
            name: "op",
            kind: SpanKind::Internal,
            attributes: &[],
            links: &[],
        }
    }

    #[test]
    fn ratio_is_deterministic_and_bounded() {
        let none = TraceIdRatio::new(0.0);
        let all = TraceIdRatio::new(1.0);
        for _ in 0..1000 {
            let id = TraceId::random();
            assert!(!none.samples(id));
            assert!(all.samples(id));
        }
        let half = TraceIdRatio::new(0.5);
        let id = TraceId::from_u128(0x1234_5678).unwrap();
        assert_eq!(half.samples(id), half.samples(id));
        assert_eq!(TraceIdRatio::new(f64::NAN).ratio(), 0.0);
        assert_eq!(TraceIdRatio::new(7.0).ratio(), 1.0);
    }

    /// The rule, with literal ids: the trace id's right-most 7 bytes (the
    /// random part under W3C Level 2), read as a number, below
    /// `ratio × 2^56`. The 9 bytes before them play no part, so services
    /// configured alike, and other SDKs' consistent sampling, decide alike.
    #[test]
    fn the_ratio_reads_the_right_most_seven_bytes_of_the_trace_id() {
        let cases: [(f64, u128, bool); 10] = [
            (0.5, 0x0000_0000_0000_0000_007f_ffff_ffff_ffff, true),
            (0.5, 0x0000_0000_0000_0000_0080_0000_0000_0000, false),
            // The first 9 bytes set, the last 7 small: sampled.
            (0.5, 0xffff_ffff_ffff_ffff_ff00_0000_0000_0001, true),
            // The first 9 bytes clear, the last 7 large: not sampled.
            (0.5, 0x0000_0000_0000_0000_00ff_ffff_ffff_ffff, false),
            (0.25, 0x0000_0000_0000_0000_003f_ffff_ffff_ffff, true),
            (0.25, 0x0000_0000_0000_0000_0040_0000_0000_0000, false),
            (0.25, 0x4bf9_2f35_77b3_4da6_a300_0000_0000_0001, true),
            (1.0, 0x0000_0000_0000_0000_00ff_ffff_ffff_ffff, true),
            (0.0, 0x0000_0000_0000_0000_0000_0000_0000_0001, false),
            (0.001, 0x0000_0000_0000_0000_0000_0000_0000_0001, true),
        ];
        for (ratio, id, expected) in cases {
            let sampler = TraceIdRatio::new(ratio);
            let trace_id = TraceId::from_u128(id).unwrap();
            assert_eq!(sampler.samples(trace_id), expected, "{ratio} {id:032x}");
            let decision = sampler.should_sample(&params(trace_id, None)).decision;
            let sampled = decision == SamplingDecision::RecordAndSample;
            assert_eq!(sampled, expected, "{ratio} {id:032x}");
        }
    }

    /// The runtime never asks about children of an unsampled local parent
    /// (they are not recorded); asked directly, the override decides.
    #[test]
    fn parent_based_local_parent_not_sampled_override_decides_when_asked() {
        let parent = SpanContext::new(
            TraceId::from_u128(0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c).unwrap(),
            SpanId::from_u64(0x00f0_67aa_0ba9_02b7).unwrap(),
            TraceFlags::default(),
            false,
            TraceState::empty(),
        );
        let decide = |sampler: &ParentBased| {
            sampler
                .should_sample(&params(parent.trace_id(), Some(&parent)))
                .decision
        };
        assert_eq!(decide(&ParentBased::new(AlwaysOn)), SamplingDecision::Drop);
        assert_eq!(
            decide(&ParentBased::new(AlwaysOff).local_parent_not_sampled(AlwaysOn)),
            SamplingDecision::RecordAndSample
        );
    }

    #[test]
    fn parent_based_follows_remote_flag() {
        let sampler = ParentBased::new(AlwaysOff);
        let trace_id = TraceId::random();
        let remote = |flags| SpanContext::new(trace_id, SpanId::random(), flags, true, TraceState::empty());
        let yes = remote(TraceFlags::SAMPLED);
        let no = remote(TraceFlags::NONE);
        let d = |p| sampler.should_sample(&params(trace_id, p)).decision;
        assert_eq!(d(Some(&yes)), SamplingDecision::RecordAndSample);
        assert_eq!(d(Some(&no)), SamplingDecision::Drop);
        assert_eq!(d(None), SamplingDecision::Drop);
        // A sampled remote parent's "yes" can be overridden, for a public
        // endpoint that does not trust its callers.
        let distrusting = ParentBased::new(AlwaysOn).remote_parent_sampled(AlwaysOff);
        assert_eq!(
            distrusting.should_sample(&params(trace_id, Some(&yes))).decision,
            SamplingDecision::Drop
        );
        assert_eq!(
            distrusting.should_sample(&params(trace_id, None)).decision,
            SamplingDecision::RecordAndSample
        );
        let trusting = ParentBased::new(AlwaysOff).remote_parent_not_sampled(AlwaysOn);
        assert_eq!(
            trusting.should_sample(&params(trace_id, Some(&no))).decision,
            SamplingDecision::RecordAndSample
        );
    }
}
