//! ParentBased(TraceIdRatio): the ratio decides for new traces, within a
//! statistical tolerance; children and remote children follow the parent.

mod common;

use tracer::export::InMemoryExporter;
use tracer::sampler::{ParentBased, TraceIdRatio};
use tracer::{Span, SpanContext, SpanId, TraceFlags, TraceId, TraceState, in_span};

const RATIO: f64 = 0.25;

fn exporter() -> &'static InMemoryExporter {
    common::install_with(|builder| builder.sampler(ParentBased::new(TraceIdRatio::new(RATIO))))
}

#[test]
fn ratio_of_roots_within_tolerance_and_children_follow() {
    let exporter = exporter();
    let roots = 4000;
    let mut sampled = 0;
    for _ in 0..roots {
        let root = Span::root("ratio_root").entered();
        let recorded = root.is_recording();
        let trace_id = root.trace_id().unwrap();
        in_span("ratio_child", |child| assert_eq!(child.is_recording(), recorded));
        drop(root);
        let exported = exporter.trace(trace_id);
        assert_eq!(exported.len(), if recorded { 2 } else { 0 }, "all or nothing per trace");
        sampled += usize::from(recorded);
    }
    let fraction = sampled as f64 / roots as f64;
    // 4000 draws at p=0.25: sd ≈ 0.0068; allow 5 sd.
    assert!((fraction - RATIO).abs() < 0.035, "sampled fraction {fraction}");
}

#[test]
fn the_decision_is_a_function_of_the_trace_id() {
    let sampler = TraceIdRatio::new(RATIO);
    for _ in 0..1000 {
        let id = TraceId::random();
        assert_eq!(sampler.samples(id), sampler.samples(id));
    }
    let hits = (0..100_000).filter(|_| sampler.samples(TraceId::random())).count();
    assert!((hits as f64 / 100_000.0 - RATIO).abs() < 0.01, "{hits}");
}

#[test]
fn remote_parent_flag_decides() {
    let exporter = exporter();
    // A trace id the ratio rejects: the remote "sampled" flag still wins.
    let rejected = std::iter::repeat_with(TraceId::random)
        .find(|id| !TraceIdRatio::new(RATIO).samples(*id))
        .unwrap();
    let remote = |flags| SpanContext::new(rejected, SpanId::random(), flags, true, TraceState::empty());
    let followed = Span::child_of("remote_sampled", &remote(TraceFlags::SAMPLED));
    assert!(followed.is_recording());
    drop(followed);
    let unsampled = Span::child_of("remote_unsampled", &remote(TraceFlags::NONE));
    assert!(!unsampled.is_recording());
    assert_eq!(unsampled.trace_id(), Some(rejected), "context still propagates");
    drop(unsampled);
    let names: Vec<String> = exporter
        .trace(rejected)
        .into_iter()
        .map(|s| s.name.into_owned())
        .collect();
    assert_eq!(names, ["remote_sampled"]);
}
