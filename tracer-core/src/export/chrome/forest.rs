//! The parent/child trees of one exported batch, children by start time.
//! The scratch space is kept between batches, so a steady stream of
//! batches allocates nothing once it has seen its largest batch.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::model::SpanData;

const NONE: u32 = u32::MAX;

/// Span ids are random, so their bits are a hash already: one multiply
/// spreads them, where SipHash would cost more than the rest of the lookup.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = value.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

#[derive(Default)]
pub(super) struct Forest {
    index: HashMap<u64, u32, BuildHasherDefault<IdHasher>>,
    parent: Vec<u32>,
    /// Children of span `i`: `children[first_child[i]..first_child[i + 1]]`.
    first_child: Vec<u32>,
    children: Vec<u32>,
    /// Where the next child of each span goes, while filling `children`.
    cursor: Vec<u32>,
    roots: Vec<u32>,
}

impl Forest {
    /// Builds the trees of `batch`: a span's parent is the span of the same
    /// trace with its `parent_span_id` (itself excluded); spans whose parent
    /// is elsewhere are roots. Roots and each span's children are sorted by
    /// start time.
    pub(super) fn build(&mut self, batch: &[SpanData]) {
        let n = batch.len();
        self.index.clear();
        self.index.reserve(n);
        for (i, span) in batch.iter().enumerate() {
            self.index.insert(span.span_id().to_u64(), i as u32);
        }
        self.parent.clear();
        self.roots.clear();
        self.first_child.clear();
        self.first_child.resize(n + 1, 0);
        for (i, span) in batch.iter().enumerate() {
            let parent = span
                .parent_span_id
                .and_then(|id| self.index.get(&id.to_u64()).copied())
                .filter(|&p| p as usize != i && batch[p as usize].trace_id() == span.trace_id())
                .unwrap_or(NONE);
            self.parent.push(parent);
            if parent == NONE {
                self.roots.push(i as u32);
            } else {
                self.first_child[parent as usize + 1] += 1;
            }
        }
        for i in 0..n {
            self.first_child[i + 1] += self.first_child[i];
        }
        self.children.clear();
        self.children.resize(n - self.roots.len(), 0);
        // Fill each span's slot range from its end (`first_child[p + 1]`
        // counts down to `first_child[p]`), then sort each range.
        self.cursor.clear();
        self.cursor.extend_from_slice(&self.first_child[1..]);
        for i in (0..n).rev() {
            let parent = self.parent[i];
            if parent != NONE {
                let slot = &mut self.cursor[parent as usize];
                *slot -= 1;
                self.children[*slot as usize] = i as u32;
            }
        }
        let by_start = |a: &u32, b: &u32| {
            let (sa, sb) = (&batch[*a as usize], &batch[*b as usize]);
            (sa.start_time_unix_nano, *a).cmp(&(sb.start_time_unix_nano, *b))
        };
        for i in 0..n {
            let range = self.first_child[i] as usize..self.first_child[i + 1] as usize;
            if range.len() > 1 {
                self.children[range].sort_unstable_by(by_start);
            }
        }
        self.roots.sort_unstable_by(by_start);
    }

    /// Spans whose parent is not in the batch, by start time.
    pub(super) fn roots(&self) -> &[u32] {
        &self.roots
    }

    /// The children of span `i`, by start time.
    pub(super) fn children(&self, i: u32) -> &[u32] {
        let i = i as usize;
        &self.children[self.first_child[i] as usize..self.first_child[i + 1] as usize]
    }

    /// The index of span `i`'s parent in the batch.
    pub(super) fn parent(&self, i: u32) -> Option<u32> {
        Some(self.parent[i as usize]).filter(|&p| p != NONE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{SpanContext, SpanId, SpanKind, TraceFlags, TraceId, TraceState};

    fn span(trace: u128, id: u64, parent: Option<u64>, start: u64) -> SpanData {
        let context = SpanContext::new(
            TraceId::from_u128(trace).unwrap(),
            SpanId::from_u64(id).unwrap(),
            TraceFlags::SAMPLED,
            false,
            TraceState::empty(),
        );
        SpanData::finished(
            context,
            parent.and_then(SpanId::from_u64),
            "s",
            SpanKind::Internal,
            start,
            start + 1,
        )
    }

    #[test]
    fn children_and_roots_are_sorted_by_start() {
        let batch = [
            span(1, 3, Some(1), 30),
            span(1, 2, Some(1), 20),
            span(1, 1, None, 10),
            span(1, 4, Some(9), 5),
            // Same span id as a parent, other trace: not a child of span 1.
            span(2, 5, Some(1), 1),
            // Its own parent.
            span(1, 6, Some(6), 7),
        ];
        let mut forest = Forest::default();
        forest.build(&batch);
        assert_eq!(forest.roots(), &[4, 3, 5, 2]);
        assert_eq!(forest.children(2), &[1, 0]);
        assert_eq!(forest.children(0), &[] as &[u32]);
        assert_eq!(forest.parent(1), Some(2));
        assert_eq!(forest.parent(4), None);
        // Scratch space is reused.
        forest.build(&batch[..2]);
        assert_eq!(forest.roots(), &[1, 0]);
    }
}
