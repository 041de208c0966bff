//! Flow arrows between spans written at different times: where recent spans
//! were drawn, and the arrows still waiting for their start span.
//!
//! Spans arrive children first, so an arrow from a parent in another batch
//! usually waits for the parent; an arrow to a span that arrived earlier (a
//! linked span, the parent of a task that outlived it) finds it among the
//! recent spans. Both tables are bounded, so memory stays flat.

use std::collections::HashMap;

use super::events::{FlowKind, Place};
use crate::model::{SpanId, TraceId};

/// Recent spans remembered, in a table indexed by span id (a newer span
/// takes the slot of an older one).
const RECENT: usize = 8192;

/// Spans that arrows wait for. When full, the table is emptied and those
/// arrows are left out.
const MAX_WAITING: usize = 16_384;

/// Where a span was drawn: its lane, its start, and the time inside it where
/// arrows attach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Drawn {
    pub(super) place: Place,
    pub(super) start: u64,
    pub(super) anchor: u64,
}

/// An arrow whose end is known, waiting for its start span; both ends are
/// written when it comes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Waiting {
    pub(super) kind: FlowKind,
    pub(super) place: Place,
    pub(super) at: u64,
}

type SpanKey = (TraceId, SpanId);

#[derive(Default)]
pub(super) struct Flows {
    recent: Vec<Option<(SpanKey, Drawn)>>,
    waiting: HashMap<SpanKey, Vec<Waiting>>,
    next_id: u64,
    left_out: u64,
}

impl Flows {
    fn slot(span_id: SpanId) -> usize {
        (span_id.to_u64().wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40) as usize % RECENT
    }

    /// Remembers where a span was drawn.
    pub(super) fn remember(&mut self, trace_id: TraceId, span_id: SpanId, drawn: Drawn) {
        if self.recent.is_empty() {
            self.recent = vec![None; RECENT];
        }
        self.recent[Flows::slot(span_id)] = Some(((trace_id, span_id), drawn));
    }

    /// Where a recent span was drawn.
    pub(super) fn find(&self, trace_id: TraceId, span_id: SpanId) -> Option<Drawn> {
        match self.recent.get(Flows::slot(span_id)) {
            Some(Some((key, drawn))) if *key == (trace_id, span_id) => Some(*drawn),
            _ => None,
        }
    }

    /// Keeps an arrow until its start span is drawn.
    pub(super) fn wait_for(&mut self, trace_id: TraceId, span_id: SpanId, waiting: Waiting) {
        if self.waiting.len() >= MAX_WAITING && !self.waiting.contains_key(&(trace_id, span_id)) {
            self.left_out += self.waiting.values().map(|w| w.len() as u64).sum::<u64>();
            self.waiting.clear();
        }
        self.waiting.entry((trace_id, span_id)).or_default().push(waiting);
    }

    /// The arrows that waited for this span.
    pub(super) fn take_waiting(&mut self, trace_id: TraceId, span_id: SpanId) -> Option<Vec<Waiting>> {
        if self.waiting.is_empty() {
            return None;
        }
        self.waiting.remove(&(trace_id, span_id))
    }

    /// A new flow id.
    pub(super) fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Counts an arrow that cannot be drawn.
    pub(super) fn leave_out(&mut self) {
        self.left_out += 1;
    }

    /// Arrows left out so far: dropped from a full waiting table, or that
    /// would point back in time.
    pub(super) fn left_out(&self) -> u64 {
        self.left_out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u64) -> (TraceId, SpanId) {
        (TraceId::from_u128(1).unwrap(), SpanId::from_u64(n).unwrap())
    }

    #[test]
    fn recent_spans_are_found_by_trace_and_span_id() {
        let mut flows = Flows::default();
        let drawn = Drawn {
            place: Place { pid: 1, tid: 2 },
            start: 5,
            anchor: 6,
        };
        let (trace, span) = key(7);
        assert_eq!(flows.find(trace, span), None);
        flows.remember(trace, span, drawn);
        assert_eq!(flows.find(trace, span), Some(drawn));
        assert_eq!(flows.find(TraceId::from_u128(2).unwrap(), span), None);
    }

    #[test]
    fn a_full_waiting_table_is_emptied_and_counted() {
        let mut flows = Flows::default();
        let waiting = Waiting {
            kind: FlowKind::Parent,
            place: Place { pid: 1, tid: 1 },
            at: 0,
        };
        for n in 1..=MAX_WAITING as u64 {
            let (trace, span) = key(n);
            flows.wait_for(trace, span, waiting);
        }
        assert_eq!(flows.left_out(), 0);
        let (trace, span) = key(1);
        assert_eq!(flows.take_waiting(trace, span), Some(vec![waiting]));
        let (trace, span) = key(MAX_WAITING as u64 + 1);
        flows.wait_for(trace, span, waiting);
        flows.wait_for(trace, span, waiting);
        assert_eq!(flows.left_out(), 0);
        let (trace, span) = key(MAX_WAITING as u64 + 2);
        flows.wait_for(trace, span, waiting);
        assert_eq!(flows.left_out(), MAX_WAITING as u64 + 1);
        let (trace, span) = key(2);
        assert_eq!(flows.take_waiting(trace, span), None);
    }
}
