//! The spans held for traces whose local root has not ended yet, within
//! limits on traces and spans.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::decisions::{HeldMarks, Tick, TraceKey};
use super::policy::TraceScan;
use crate::buffer::SpanBatch;
use crate::model::{SpanData, TraceId};

/// One trace's held spans.
pub(super) struct HeldTrace {
    pub(super) spans: Vec<SpanData>,
    /// What the policy needs from them, gathered as they came.
    pub(super) scan: TraceScan,
    /// When its first spans were held.
    since: Tick,
    /// Its place in the order of arrival.
    arrival: u64,
}

/// Why a trace is decided before its local root ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cause {
    /// Room was needed: `max_traces` or `max_spans` was reached, and it was
    /// the oldest held trace.
    Limits,
    /// It was held for the whole late span window.
    Age,
    /// The processor is shutting down.
    Shutdown,
}

/// A trace taken out of the held ones, to be decided now with what it has.
pub(super) struct Forced {
    pub(super) trace_id: TraceId,
    pub(super) trace: HeldTrace,
    pub(super) cause: Cause,
}

/// The held traces, oldest first. Guarded by the processor's lock; the
/// [`HeldMarks`] it keeps up to date are read without it.
pub(super) struct HeldTraces {
    marks: Arc<HeldMarks>,
    traces: HashMap<TraceId, HeldTrace>,
    /// Trace ids by arrival: the first is the oldest.
    order: BTreeMap<u64, TraceId>,
    next_arrival: u64,
    spans: usize,
    max_traces: usize,
    max_spans: usize,
}

impl HeldTraces {
    pub(super) fn new(marks: Arc<HeldMarks>, max_traces: usize, max_spans: usize) -> HeldTraces {
        HeldTraces {
            marks,
            traces: HashMap::new(),
            order: BTreeMap::new(),
            next_arrival: 0,
            spans: 0,
            max_traces: max_traces.max(1),
            max_spans: max_spans.max(1),
        }
    }

    /// Traces held.
    pub(super) fn traces(&self) -> usize {
        self.traces.len()
    }

    /// Spans held.
    pub(super) fn spans(&self) -> usize {
        self.spans
    }

    /// Takes `trace_id`'s held spans, if any.
    pub(super) fn take(&mut self, trace_id: TraceId) -> Option<HeldTrace> {
        let trace = self.traces.remove(&trace_id)?;
        self.order.remove(&trace.arrival);
        self.spans -= trace.spans.len();
        self.marks.remove(TraceKey::of(trace_id));
        Some(trace)
    }

    /// Holds the spans of `batch` (all of `trace_id`, without its local
    /// root) until the root ends, leaving the batch empty, unless the trace
    /// is found decided: a trace held for the first time is marked first,
    /// then `decided` is asked (see the `decisions` module). A decision
    /// found is returned, and the batch is left as it was, to follow it.
    ///
    /// To stay within the limits, the oldest traces are taken out, into
    /// `forced`: this one too, if it is the oldest and alone over
    /// `max_spans`.
    pub(super) fn hold(
        &mut self,
        trace_id: TraceId,
        batch: &mut SpanBatch,
        scan: TraceScan,
        now: Tick,
        decided: impl FnOnce() -> Option<bool>,
        forced: &mut Vec<Forced>,
    ) -> Option<bool> {
        let added = batch.len();
        if let Some(trace) = self.traces.get_mut(&trace_id) {
            batch.move_into(&mut trace.spans);
            trace.scan = trace.scan.merge(scan);
        } else {
            let key = TraceKey::of(trace_id);
            self.marks.add(key);
            if let Some(keep) = decided() {
                self.marks.remove(key);
                return Some(keep);
            }
            if self.traces.len() >= self.max_traces {
                self.force_oldest(Cause::Limits, forced);
            }
            let mut spans = Vec::new();
            batch.move_into(&mut spans);
            let arrival = self.next_arrival;
            self.next_arrival += 1;
            self.order.insert(arrival, trace_id);
            let trace = HeldTrace {
                spans,
                scan,
                since: now,
                arrival,
            };
            self.traces.insert(trace_id, trace);
        }
        self.spans += added;
        while self.spans > self.max_spans {
            self.force_oldest(Cause::Limits, forced);
        }
        None
    }

    /// Takes out, into `forced`, every trace held for `window` ticks or
    /// more by `now`.
    pub(super) fn expire(&mut self, now: Tick, window: u32, forced: &mut Vec<Forced>) {
        while let Some((_, trace_id)) = self.order.first_key_value() {
            if now.since(self.traces[trace_id].since) < window {
                return;
            }
            self.force_oldest(Cause::Age, forced);
        }
    }

    /// Takes out every held trace, into `forced`.
    pub(super) fn take_all(&mut self, forced: &mut Vec<Forced>) {
        while !self.order.is_empty() {
            self.force_oldest(Cause::Shutdown, forced);
        }
    }

    fn force_oldest(&mut self, cause: Cause, forced: &mut Vec<Forced>) {
        if let Some((_, trace_id)) = self.order.first_key_value() {
            let trace_id = *trace_id;
            let trace = self.take(trace_id).expect("an ordered trace is held");
            forced.push(Forced { trace_id, trace, cause });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::decisions::marks_len;
    use super::super::test_spans::child;
    use super::*;

    fn batch(trace: u128, spans: u64) -> SpanBatch {
        SpanBatch::from((1..=spans).map(|id| child(trace, id + 1, 1, 0, 1)).collect::<Vec<_>>())
    }

    /// Held traces within the limits, and the marks they keep.
    fn held(max_traces: usize, max_spans: usize) -> (Arc<HeldMarks>, HeldTraces) {
        let marks = Arc::new(HeldMarks::new(marks_len(max_traces)));
        (Arc::clone(&marks), HeldTraces::new(marks, max_traces, max_spans))
    }

    fn id(trace: u128) -> TraceId {
        TraceId::from_u128(trace).unwrap()
    }

    /// Which traces were forced, how many spans each, and why.
    fn summary(forced: &[Forced]) -> Vec<(u128, usize, Cause)> {
        forced
            .iter()
            .map(|f| (f.trace_id.to_u128(), f.trace.spans.len(), f.cause))
            .collect()
    }

    fn hold(held: &mut HeldTraces, trace: u128, spans: u64, at: u32) -> Vec<Forced> {
        let mut forced = Vec::new();
        let mut batch = batch(trace, spans);
        let outcome = held.hold(
            id(trace),
            &mut batch,
            TraceScan::default(),
            Tick::at(at),
            || None,
            &mut forced,
        );
        assert_eq!(outcome, None);
        assert!(batch.is_empty(), "the spans moved into the held trace");
        forced
    }

    #[test]
    fn spans_of_one_trace_gather_until_taken() {
        let (marks, mut held) = held(4, 100);
        assert!(hold(&mut held, 7, 3, 0).is_empty());
        assert!(hold(&mut held, 7, 2, 0).is_empty());
        assert_eq!((held.traces(), held.spans()), (1, 5));
        assert!(marks.may_hold(TraceKey::of(id(7))));
        let trace = held.take(id(7)).expect("held");
        assert_eq!(trace.spans.len(), 5);
        assert_eq!((held.traces(), held.spans()), (0, 0));
        assert!(!marks.may_hold(TraceKey::of(id(7))));
        assert!(held.take(id(7)).is_none());
    }

    #[test]
    fn the_oldest_trace_makes_room_when_a_limit_is_reached() {
        let (marks, mut held) = held(2, 10);
        assert!(hold(&mut held, 1, 2, 0).is_empty());
        assert!(hold(&mut held, 2, 2, 0).is_empty());
        // A third trace: the first goes.
        assert_eq!(summary(&hold(&mut held, 3, 2, 0)), [(1, 2, Cause::Limits)]);
        // More spans of a held trace do not reorder it: over the span
        // limit, the oldest, trace 2, goes; then trace 3 itself.
        assert_eq!(summary(&hold(&mut held, 3, 7, 0)), [(2, 2, Cause::Limits)]);
        assert_eq!((held.traces(), held.spans()), (1, 9));
        assert_eq!(summary(&hold(&mut held, 3, 2, 0)), [(3, 11, Cause::Limits)]);
        assert_eq!((held.traces(), held.spans()), (0, 0));
        // A batch over the span limit on its own is forced at once.
        assert_eq!(summary(&hold(&mut held, 4, 12, 0)), [(4, 12, Cause::Limits)]);
        assert!(!marks.may_hold(TraceKey::of(id(4))));
    }

    #[test]
    fn traces_held_for_the_window_expire_oldest_first() {
        let (_, mut held) = held(8, 100);
        hold(&mut held, 1, 1, 100);
        hold(&mut held, 2, 1, 150);
        hold(&mut held, 1, 1, 190);
        let mut forced = Vec::new();
        held.expire(Tick::at(199), 100, &mut forced);
        assert_eq!(summary(&forced), []);
        // Counted from its first spans, not its last.
        held.expire(Tick::at(200), 100, &mut forced);
        assert_eq!(summary(&forced), [(1, 2, Cause::Age)]);
        held.take_all(&mut forced);
        assert_eq!(summary(&forced[1..]), [(2, 1, Cause::Shutdown)]);
        assert_eq!(held.traces(), 0);
    }

    #[test]
    fn a_trace_decided_meanwhile_is_not_held() {
        let (marks, mut held) = held(4, 100);
        let mut batch = batch(9, 3);
        let mut forced = Vec::new();
        let key = TraceKey::of(id(9));
        let outcome = held.hold(
            id(9),
            &mut batch,
            TraceScan::default(),
            Tick::at(0),
            // Asked once the trace is marked.
            || Some(marks.may_hold(key)),
            &mut forced,
        );
        assert_eq!(outcome, Some(true));
        assert_eq!(batch.len(), 3, "left to follow the decision");
        assert_eq!((held.traces(), held.spans()), (0, 0));
        assert!(!marks.may_hold(key));
    }
}
