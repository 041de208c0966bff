//! The tail sampler's paths, on batches made by hand: decided at the root,
//! held until it, followed afterwards, forced out by the limits, the window
//! and shutdown.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::test_spans::{child, root};
use super::*;
use crate::model::{SpanContext, Status, TraceFlags, TraceState};

/// Trace ids the ratio of one half keeps (low 56 bits below 2^55) and
/// drops.
const KEPT_BY_RATIO: u128 = 0x0000_0000_0000_0001_0000_0000_0000_0001;
const DROPPED_BY_RATIO: u128 = 0x0000_0000_0000_0002_00f0_0000_0000_0002;
const OTHER: u128 = 0x0000_0000_0000_0003_00f0_0000_0000_0003;

/// The next processor: records each batch it gets (span ids, and where
/// the batch's spans live in memory).
#[derive(Clone, Default)]
struct Next(Arc<Mutex<Vec<Passed>>>);

/// The span ids of a batch passed on, and the address of its spans.
type Passed = (Vec<u64>, usize);

impl Next {
    fn batches(&self) -> Vec<Vec<u64>> {
        self.0.lock().unwrap().iter().map(|(ids, _)| ids.clone()).collect()
    }
}

impl SpanProcessor for Next {
    fn on_end(&self, span: SpanData) {
        self.on_end_batch(SpanBatch::from(vec![span]));
    }

    fn on_end_batch(&self, batch: SpanBatch) {
        let ids = batch.iter().map(|s| s.span_id().to_u64()).collect();
        self.0.lock().unwrap().push((ids, batch.as_ptr() as usize));
    }

    fn stats(&self) -> ProcessorStats {
        let received: usize = self.0.lock().unwrap().iter().map(|(ids, _)| ids.len()).sum();
        ProcessorStats {
            received: received as u64,
            exported: received as u64,
            ..ProcessorStats::default()
        }
    }
}

fn sampler(
    configure: impl FnOnce(TailSamplingBuilder<Next>) -> TailSamplingBuilder<Next>,
) -> (TailSamplingProcessor<Next>, Next) {
    let next = Next::default();
    let tail = configure(TailSamplingProcessor::builder(next.clone()).ratio(0.5)).build();
    (tail, next)
}

fn failing(mut span: SpanData) -> SpanData {
    span.status = Status::error("boom");
    span
}

fn send(tail: &impl SpanProcessor, spans: Vec<SpanData>) {
    tail.on_end_batch(SpanBatch::from(spans));
}

#[test]
fn a_batch_with_its_root_is_decided_on_itself_and_passed_on_as_it_came() {
    let (tail, next) = sampler(|b| b);
    let spans = vec![
        child(DROPPED_BY_RATIO, 2, 1, 0, 5),
        failing(root(DROPPED_BY_RATIO, 1, 0, 10)),
    ];
    let batch = SpanBatch::from(spans);
    let buffer = batch.as_ptr() as usize;
    tail.on_end_batch(batch);
    send(&tail, vec![child(OTHER, 12, 11, 0, 5), root(OTHER, 11, 0, 10)]);
    send(&tail, vec![root(KEPT_BY_RATIO, 21, 0, 10)]);
    let passed = next.0.lock().unwrap().clone();
    assert_eq!(passed[0], (vec![2, 1], buffer), "the same batch, not a copy");
    assert_eq!(next.batches(), [vec![2, 1], vec![21]]);
    let stats = tail.tail_stats();
    assert_eq!((stats.kept_error, stats.kept_ratio, stats.dropped_traces), (1, 1, 1));
    assert_eq!((stats.passed_spans, stats.dropped_spans, stats.held_spans), (3, 2, 0));
}

#[test]
fn spans_before_the_root_are_held_and_go_on_with_it() {
    let (tail, next) = sampler(|b| b);
    send(&tail, vec![failing(child(DROPPED_BY_RATIO, 3, 2, 0, 5))]);
    send(&tail, vec![child(DROPPED_BY_RATIO, 2, 1, 0, 6)]);
    assert_eq!(next.batches(), Vec::<Vec<u64>>::new());
    let stats = tail.tail_stats();
    assert_eq!((stats.held_traces, stats.held_spans, stats.received_spans), (1, 2, 2));
    assert_eq!(
        tail.stats(),
        ProcessorStats {
            received: 2,
            queued: 2,
            ..ProcessorStats::default()
        }
    );
    send(&tail, vec![root(DROPPED_BY_RATIO, 1, 0, 10)]);
    assert_eq!(next.batches(), [vec![1, 3, 2]], "the root's batch, then what was held");
    let stats = tail.tail_stats();
    assert_eq!((stats.kept_error, stats.held_traces, stats.passed_spans), (1, 0, 3));
}

#[test]
fn spans_after_the_decision_follow_it() {
    let (tail, next) = sampler(|b| b);
    send(&tail, vec![failing(root(DROPPED_BY_RATIO, 1, 0, 10))]);
    send(&tail, vec![root(OTHER, 11, 0, 10)]);
    // Late: a kept trace's span goes on at once, a dropped one's is
    // dropped, failed or not.
    send(&tail, vec![child(DROPPED_BY_RATIO, 2, 1, 0, 20)]);
    send(&tail, vec![failing(child(OTHER, 12, 11, 0, 20))]);
    assert_eq!(next.batches(), [vec![1], vec![2]]);
    let stats = tail.tail_stats();
    assert_eq!((stats.followed_spans, stats.held_spans, stats.dropped_spans), (2, 0, 2));
    assert_eq!(
        (stats.kept_error, stats.dropped_traces),
        (1, 1),
        "late spans are not traces"
    );
}

#[test]
fn with_no_window_late_spans_are_decided_alone() {
    let (tail, next) = sampler(|b| b.late_span_window(Duration::ZERO));
    send(&tail, vec![failing(root(DROPPED_BY_RATIO, 1, 0, 10))]);
    send(&tail, vec![child(DROPPED_BY_RATIO, 2, 1, 0, 20)]);
    send(&tail, vec![child(KEPT_BY_RATIO, 22, 21, 0, 20)]);
    assert_eq!(
        next.batches(),
        [vec![1], vec![22]],
        "each late span by the policy alone"
    );
    let stats = tail.tail_stats();
    assert_eq!((stats.forced_by_age, stats.kept_ratio, stats.dropped_traces), (2, 1, 1));
    assert_eq!(stats.held_traces, 0);
}

#[test]
fn the_oldest_held_trace_is_decided_with_what_it_has_when_a_limit_is_reached() {
    let (tail, next) = sampler(|b| b.max_traces(2).max_spans(3));
    send(&tail, vec![failing(child(DROPPED_BY_RATIO, 2, 1, 0, 5))]);
    send(&tail, vec![child(OTHER, 12, 11, 0, 5)]);
    // A third trace: the first is decided, and kept for its error.
    send(&tail, vec![child(KEPT_BY_RATIO, 22, 21, 0, 5)]);
    assert_eq!(next.batches(), [vec![2]]);
    // Two more spans: over three held, the oldest (OTHER) goes, dropped.
    send(
        &tail,
        vec![child(KEPT_BY_RATIO, 23, 21, 0, 5), child(KEPT_BY_RATIO, 24, 21, 0, 5)],
    );
    let stats = tail.tail_stats();
    assert_eq!((stats.forced_by_limits, stats.spans_forced_by_limits), (2, 2));
    assert_eq!((stats.kept_error, stats.dropped_traces, stats.held_spans), (1, 1, 3));
    // Their roots follow the decisions made without them.
    send(&tail, vec![root(DROPPED_BY_RATIO, 1, 0, 10)]);
    send(&tail, vec![failing(root(OTHER, 11, 0, 10))]);
    assert_eq!(next.batches(), [vec![2], vec![1]]);
    assert_eq!(tail.tail_stats().followed_spans, 2);
}

#[test]
fn a_batch_of_several_traces_is_split_by_trace() {
    let (tail, next) = sampler(|b| b);
    send(
        &tail,
        vec![
            child(KEPT_BY_RATIO, 22, 21, 0, 5),
            child(DROPPED_BY_RATIO, 2, 1, 0, 5),
            root(KEPT_BY_RATIO, 21, 0, 10),
        ],
    );
    assert_eq!(next.batches(), [vec![22, 21]]);
    let stats = tail.tail_stats();
    assert_eq!((stats.kept_ratio, stats.held_traces, stats.held_spans), (1, 1, 1));
}

#[test]
fn shutdown_decides_what_is_held_and_unsampled_spans_take_no_part() {
    let (tail, next) = sampler(|b| b);
    send(&tail, vec![child(KEPT_BY_RATIO, 22, 21, 0, 5)]);
    send(&tail, vec![child(DROPPED_BY_RATIO, 2, 1, 0, 5)]);
    let mut unsampled = root(OTHER, 11, 0, 10);
    unsampled.context = SpanContext::new(
        unsampled.trace_id(),
        unsampled.span_id(),
        TraceFlags::NONE,
        false,
        TraceState::empty(),
    );
    send(&tail, vec![unsampled]);
    tail.shutdown(Duration::from_secs(1)).unwrap();
    assert_eq!(next.batches(), [vec![22]]);
    let stats = tail.tail_stats();
    assert_eq!(
        (stats.forced_at_shutdown, stats.kept_ratio, stats.dropped_traces),
        (2, 1, 1)
    );
    assert_eq!((stats.received_spans, stats.held_spans), (2, 0));
    assert_eq!(
        tail.stats(),
        ProcessorStats {
            received: 2,
            exported: 1,
            sampled_out: 1,
            ..ProcessorStats::default()
        }
    );
}

#[test]
fn a_root_decided_while_its_trace_was_being_held_collects_the_held_spans() {
    let (tail, next) = sampler(|b| b);
    send(&tail, vec![child(DROPPED_BY_RATIO, 2, 1, 0, 5)]);
    // The root's thread checked for held spans just before they were held:
    // it decides on its own batch, then finds the mark.
    let trace_id = TraceId::from_u128(DROPPED_BY_RATIO).unwrap();
    let batch = SpanBatch::from(vec![failing(root(DROPPED_BY_RATIO, 1, 0, 10))]);
    let (_, scan) = policy::scan(&batch, true).unwrap();
    tail.decide_at_root(trace_id, TraceKey::of(trace_id), scan, batch, Tick::now());
    assert_eq!(next.batches(), [vec![2], vec![1]]);
    let stats = tail.tail_stats();
    assert_eq!((stats.kept_error, stats.followed_spans, stats.held_traces), (1, 1, 0));
}

#[test]
fn dropping_the_processor_decides_what_is_held() {
    let (tail, next) = sampler(|b| b);
    send(&tail, vec![child(KEPT_BY_RATIO, 22, 21, 0, 5)]);
    drop(tail);
    assert_eq!(next.batches(), [vec![22]]);
}
