//! The guard of a span that is current on this thread.

use super::current::SpanRef;
use super::owned::Span;
use crate::runtime::{self, Entry, SpanState};

/// A span that is current on this thread until this guard drops; dropping
/// it finishes the span (also when a panic unwinds through it, which marks
/// the span as an error, `panicked`).
///
/// It dereferences to [`SpanRef`] for the span methods. It is not `Send`;
/// even so, do not hold it across an `.await` (see
/// [`Span::entered`](crate::Span::entered)).
///
/// ```
/// use tracer_core::{current_span_id, Span};
///
/// // Finished when the guard drops, even if the code panics.
/// {
///     let span = Span::new("user_login").entered();
///     span.set_tag("user_id", "usr_123");
///     assert_eq!(current_span_id(), span.span_id());
/// }
/// ```
#[must_use = "the span ends when this guard is dropped"]
pub struct EnteredSpan {
    span: SpanRef,
    /// Where this guard's frame was pushed (see [`Entry::depth`]).
    depth: u32,
    /// Whether this guard pushed the frame it names (see
    /// [`Entry::owns_frame`]).
    owns_frame: bool,
    panicking_at_start: bool,
}

impl EnteredSpan {
    /// The guard of what the runtime made current.
    #[inline(always)]
    pub(crate) fn from_entry(entry: Entry) -> EnteredSpan {
        EnteredSpan {
            span: SpanRef::new(entry.span_id),
            depth: entry.depth,
            owns_frame: entry.owns_frame,
            panicking_at_start: entry.panicking_at_start,
        }
    }

    /// Stops the span being current and returns it as an owned [`Span`]
    /// (still open), for example to move it to another thread.
    pub fn exit(mut self) -> Span {
        let owned = std::mem::replace(&mut self.owns_frame, false);
        let Some(span_id) = self.span.take_id() else {
            return Span::from_state(SpanState::NonRecording(None));
        };
        if !owned {
            // Nothing of its own was current: it leaves with its context.
            return Span::from_state(SpanState::NonRecording(runtime::context_of(span_id)));
        }
        Span::from_state(runtime::exit_entry(span_id))
    }

    /// Ends the span now (the same as dropping the guard).
    pub fn finish(self) {}
}

impl std::ops::Deref for EnteredSpan {
    type Target = SpanRef;
    fn deref(&self) -> &SpanRef {
        &self.span
    }
}

impl Drop for EnteredSpan {
    // Only the check is inlined: an inert guard (no provider, unsampled)
    // costs a compare.
    #[inline(always)]
    fn drop(&mut self) {
        if self.owns_frame {
            if let Some(span_id) = self.span.id() {
                runtime::end_entry(span_id, self.depth, self.panicking_at_start);
            }
        }
    }
}

impl std::fmt::Debug for EnteredSpan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("EnteredSpan").field(&self.span.id()).finish()
    }
}
