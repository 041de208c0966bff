//! The spans a capture produced, and the questions a test asks of them.

use std::fmt;

use crate::model::{SpanData, SpanId, Status};

/// The spans a [`capture`](super::capture) produced, ordered by start time.
///
/// ```
/// use tracer_core::{in_span, testing};
///
/// let ((), spans) = testing::capture(|| {
///     in_span("request", |_| {
///         in_span("load", |_| {});
///         in_span("render", |_| {});
///     })
/// });
/// let request = spans.span("request");
/// assert_eq!(spans.children(request).len(), 2);
/// assert_eq!(spans.parent(spans.span("load")).map(|s| &*s.name), Some("request"));
/// print!("{spans}"); // the indented tree
/// ```
#[derive(Clone, Debug, Default)]
pub struct Captured {
    spans: Vec<SpanData>,
}

impl Captured {
    pub(super) fn new(mut spans: Vec<SpanData>) -> Captured {
        spans.sort_by(|a, b| {
            a.start_time_unix_nano
                .cmp(&b.start_time_unix_nano)
                .then_with(|| a.name.cmp(&b.name))
        });
        Captured { spans }
    }

    /// Every span, ordered by start time.
    pub fn spans(&self) -> &[SpanData] {
        &self.spans
    }

    /// How many spans there are.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether no span was recorded.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The first span named `name`, if any.
    pub fn find(&self, name: &str) -> Option<&SpanData> {
        self.spans.iter().find(|s| s.name == name)
    }

    /// The first span named `name`.
    ///
    /// # Panics
    /// When there is none; the message shows the spans there are.
    #[track_caller]
    pub fn span(&self, name: &str) -> &SpanData {
        match self.find(name) {
            Some(span) => span,
            None => panic!("no span named {name:?}; the spans are:\n{self}"),
        }
    }

    /// Every span named `name`.
    pub fn named(&self, name: &str) -> Vec<&SpanData> {
        self.spans.iter().filter(|s| s.name == name).collect()
    }

    /// The captured span with id `span_id`.
    pub fn by_id(&self, span_id: SpanId) -> Option<&SpanData> {
        self.spans.iter().find(|s| s.span_id() == span_id)
    }

    /// `span`'s parent, when it is among the captured spans.
    pub fn parent(&self, span: &SpanData) -> Option<&SpanData> {
        let parent = span.parent_span_id?;
        self.spans
            .iter()
            .find(|s| s.span_id() == parent && s.trace_id() == span.trace_id())
    }

    /// `span`'s children, by start time.
    pub fn children(&self, span: &SpanData) -> Vec<&SpanData> {
        self.spans
            .iter()
            .filter(|s| s.parent_span_id == Some(span.span_id()) && s.trace_id() == span.trace_id())
            .collect()
    }

    /// The spans whose parent was not captured (roots, and children of a
    /// remote or outside parent), by start time.
    pub fn roots(&self) -> Vec<&SpanData> {
        self.spans.iter().filter(|s| self.parent(s).is_none()).collect()
    }

    /// Checks that the first span named `child` is a child of the first
    /// span named `parent`, in the same trace.
    ///
    /// # Panics
    /// When it is not, or either is missing; the message shows the tree.
    #[track_caller]
    pub fn assert_child_of(&self, child: &str, parent: &str) {
        let child_span = self.span(child);
        let parent_span = self.span(parent);
        assert!(
            child_span.parent_span_id == Some(parent_span.span_id()) && child_span.trace_id() == parent_span.trace_id(),
            "{child:?} is not a child of {parent:?}; the spans are:\n{self}"
        );
    }

    /// The spans as an indented tree, one line per span: its name, two
    /// spaces deeper than its parent, children by start time, and
    /// ` [error: message]` after a failed span. Every line ends with `\n`.
    ///
    /// ```
    /// use tracer_core::{in_span, testing};
    ///
    /// let ((), spans) = testing::capture(|| {
    ///     in_span("checkout", |_| {
    ///         in_span("charge", |span| span.set_status(tracer_core::Status::error("card declined")));
    ///     })
    /// });
    /// assert_eq!(spans.tree(), "checkout\n  charge [error: card declined]\n");
    /// ```
    pub fn tree(&self) -> String {
        let mut out = String::new();
        for root in self.roots() {
            self.write_subtree(root, 0, &mut out);
        }
        out
    }

    fn write_subtree(&self, span: &SpanData, depth: usize, out: &mut String) {
        for _ in 0..depth {
            out.push_str("  ");
        }
        out.push_str(&span.name);
        if let Status::Error { message } = &span.status {
            out.push_str(" [error: ");
            out.push_str(message);
            out.push(']');
        }
        out.push('\n');
        for child in self.children(span) {
            self.write_subtree(child, depth + 1, out);
        }
    }
}

impl fmt::Display for Captured {
    /// The [`tree`](Captured::tree).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.tree())
    }
}

impl IntoIterator for Captured {
    type Item = SpanData;
    type IntoIter = std::vec::IntoIter<SpanData>;

    fn into_iter(self) -> Self::IntoIter {
        self.spans.into_iter()
    }
}
