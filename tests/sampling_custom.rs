//! A `Sampler` of your own: its three decisions, its attributes and its
//! trace state, for every way a root span starts (`Span::root`, a builder,
//! `#[trace(root)]`).

mod common;

use tracer::sampler::{Sampler, SamplingDecision, SamplingParams, SamplingResult};
use tracer::{KeyValue, Span, SpanKind, TraceState, Value, current_context, current_trace_id, in_span, trace};

/// Decides by the name's first word: `keep`, `drop` or `record`.
struct ByName;

impl Sampler for ByName {
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult {
        let (decision, vendor) = match params.name.split('_').next() {
            Some("drop") => (SamplingDecision::Drop, "d"),
            Some("record") => (SamplingDecision::RecordOnly, "r"),
            _ => (SamplingDecision::RecordAndSample, "k"),
        };
        let mut attributes = vec![KeyValue::new("sampler.rule", vendor)];
        if params.kind == SpanKind::Server {
            attributes.push(KeyValue::new("sampler.saw_server", true));
        }
        if let Some(given) = params.attributes.first() {
            attributes.push(KeyValue::new("sampler.saw", given.key.as_str().to_owned()));
        }
        SamplingResult {
            decision,
            attributes,
            trace_state: Some(TraceState::from_header(&format!("vendor={vendor}")).unwrap()),
        }
    }
}

fn exporter() -> &'static tracer::export::InMemoryExporter {
    common::install_with(|builder| builder.sampler(ByName))
}

#[trace(root)]
fn keep_traced_root() -> Option<tracer::TraceId> {
    in_span("keep_traced_child", |_| {});
    current_trace_id()
}

#[test]
fn a_sampled_root_carries_the_samplers_attributes_and_trace_state() {
    let exporter = exporter();

    let root = Span::root("keep_root").entered();
    let trace_id = root.trace_id().unwrap();
    in_span("keep_child", |_| {});
    drop(root);
    let built = Span::builder("keep_built")
        .root()
        .kind(SpanKind::Server)
        .attribute("given", 1)
        .start();
    let built_trace = built.trace_id().unwrap();
    drop(built);
    let traced_trace = keep_traced_root().expect("recorded");

    let spans = exporter.trace(trace_id);
    let root = common::one(&spans, "keep_root");
    let child = common::one(&spans, "keep_child");
    assert_eq!(root.parent_span_id, None);
    assert_eq!(child.parent_span_id, Some(root.span_id()));
    assert_eq!(root.attribute("sampler.rule"), Some(&Value::from("k")));
    assert_eq!(root.context.trace_state().get("vendor"), Some("k"));
    assert!(root.context.is_sampled());
    // Children inherit the root's decision and trace state; the sampler
    // is asked for them too (it is not parent-based) and keeps them.
    assert_eq!(child.context.trace_state().get("vendor"), Some("k"));

    let built = exporter.trace(built_trace);
    let built = common::one(&built, "keep_built");
    assert_eq!(built.kind, SpanKind::Server);
    assert_eq!(built.attribute("given"), Some(&Value::I64(1)));
    assert_eq!(built.attribute("sampler.saw_server"), Some(&Value::Bool(true)));
    assert_eq!(built.attribute("sampler.saw"), Some(&Value::from("given")));

    let traced = exporter.trace(traced_trace);
    let traced_root = common::one(&traced, "keep_traced_root");
    assert_eq!(traced_root.parent_span_id, None);
    assert_eq!(traced_root.attribute("sampler.rule"), Some(&Value::from("k")));
    assert_eq!(
        common::one(&traced, "keep_traced_child").parent_span_id,
        Some(traced_root.span_id())
    );
}

#[test]
fn a_dropped_root_propagates_its_ids_and_the_samplers_trace_state() {
    let exporter = exporter();
    let root = Span::root("drop_root").entered();
    assert!(!root.is_recording());
    let trace_id = root.trace_id().expect("a dropped root still has a trace id");
    let context = current_context().expect("and a context, for propagation");
    assert_eq!(context.trace_id(), trace_id);
    assert_eq!(Some(context.span_id()), root.span_id());
    assert!(!context.is_sampled());
    assert_eq!(context.trace_state().get("vendor"), Some("d"));
    in_span("keep_under_dropped", |child| {
        assert!(!child.is_recording(), "children inherit the root's no");
        assert_eq!(current_trace_id(), Some(trace_id));
    });
    drop(root);
    assert_eq!(current_context(), None, "the root is no longer current");
    assert!(exporter.trace(trace_id).is_empty());

    // The owned form: the same context, whether or not it is entered.
    let owned = Span::root("drop_owned");
    let owned_context = owned.context().expect("a context of its own");
    assert!(!owned.is_recording());
    assert!(!owned_context.is_sampled());
    assert_eq!(owned_context.trace_state().get("vendor"), Some("d"));
    assert_ne!(owned_context.trace_id(), trace_id, "a new trace");
    let entered = owned.entered();
    assert_eq!(current_context(), Some(owned_context));
    drop(entered);
}

#[test]
fn a_record_only_root_is_recording_but_not_exported() {
    let exporter = exporter();
    let root = Span::root("record_root").entered();
    assert!(root.is_recording());
    let context = current_context().unwrap();
    assert!(!context.is_sampled(), "recorded, not flagged sampled");
    assert_eq!(context.trace_state().get("vendor"), Some("r"));
    root.set_attribute("seen", true);
    in_span("keep_under_record_only", |child| {
        assert!(!child.is_recording(), "children of an unsampled span are not made");
    });
    let trace_id = root.trace_id().unwrap();
    drop(root);
    assert!(
        exporter.trace(trace_id).is_empty(),
        "built-in processors export sampled spans only"
    );
}

/// A sampler of one's own that keeps the trait's default description.
struct Plain;

impl Sampler for Plain {
    fn should_sample(&self, _: &SamplingParams<'_>) -> SamplingResult {
        SamplingResult::from_bool(true)
    }
}

#[test]
fn samplers_describe_themselves_by_their_opentelemetry_names() {
    use tracer::sampler::{AlwaysOff, AlwaysOn, ParentBased, TraceIdRatio};
    use tracer::{SpanId, TraceId, TracerProvider};

    assert_eq!(AlwaysOn.description(), "AlwaysOnSampler");
    assert_eq!(AlwaysOff.description(), "AlwaysOffSampler");
    assert_eq!(TraceIdRatio::new(0.25).description(), "TraceIdRatioBased{0.25}");
    assert_eq!(
        ParentBased::new(TraceIdRatio::new(0.5)).description(),
        "ParentBased{root:TraceIdRatioBased{0.5}}"
    );
    let closure = |_: TraceId, _: Option<SpanId>, _: &str| true;
    assert_eq!(closure.description(), "FnSampler");
    assert_eq!(Plain.description(), "CustomSampler");
    let boxed: Box<dyn Sampler> = Box::new(AlwaysOff);
    assert_eq!(boxed.description(), "AlwaysOffSampler");
    assert_eq!(
        format!("{:?}", ParentBased::new(AlwaysOff)),
        "ParentBased{root:AlwaysOffSampler}"
    );
    // The provider shows its sampler by that name.
    let provider = TracerProvider::builder().sampler(AlwaysOn).build();
    assert!(format!("{provider:?}").contains("\"AlwaysOnSampler\""), "{provider:?}");
}

/// `ParentBased`'s override for children of a sampled local parent, through
/// the runtime: its children go through the override.
#[test]
fn parent_based_local_parent_sampled_override_decides_for_local_children() {
    use tracer::TracerProvider;
    use tracer::export::InMemoryExporter;
    use tracer::sampler::{AlwaysOff, AlwaysOn, ParentBased};

    let exporter = InMemoryExporter::new();
    let provider = TracerProvider::builder()
        .sampler(ParentBased::new(AlwaysOn).local_parent_sampled(AlwaysOff))
        .with_simple_exporter(exporter.clone())
        .build();
    provider.in_scope(|| {
        in_span("local_root", |_| {
            in_span("local_child", |child| assert!(!child.is_recording()));
            let owned = Span::new("owned_child");
            assert!(!owned.is_recording());
        })
    });
    let names: Vec<String> = exporter.spans().iter().map(|s| s.name.to_string()).collect();
    assert_eq!(names, ["local_root"]);
}
