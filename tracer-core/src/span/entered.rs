//! The guard of a span that is current on this thread.

use std::marker::PhantomData;

use super::current::SpanRef;
use super::methods::span_methods;
use super::owned::Span;
use crate::model::{SpanContext, SpanData, SpanId};
use crate::runtime::{self, Entry, FromEntry, SpanState};

/// A span that is current on this thread until this guard drops; dropping
/// it finishes the span (also when a panic unwinds through it, which marks
/// the span as an error, `panicked`).
///
/// It has the span methods of [`Span`] and [`SpanRef`]. It is not `Send`;
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
    // Kept whole and ended through a reference to it: split into its
    // fields, a caller kept each in a register of its own across the
    // span's body (nested100: 9 more instructions per span).
    entry: Entry,
    _not_send: PhantomData<*const ()>,
}

impl EnteredSpan {
    /// A guard of nothing: no span became current.
    #[inline(always)]
    pub(crate) fn inert() -> EnteredSpan {
        EnteredSpan::from_entry(Entry::inert())
    }

    /// The guard of a child of the unsampled span `parent` (on top of the
    /// stack): it names the parent, and pushes nothing.
    #[inline(always)]
    pub(crate) fn inherited(parent: SpanId) -> EnteredSpan {
        EnteredSpan::from_entry(Entry::inherited(parent))
    }
}

impl FromEntry for EnteredSpan {
    #[inline(always)]
    fn from_entry(entry: Entry) -> EnteredSpan {
        EnteredSpan {
            entry,
            _not_send: PhantomData,
        }
    }
}

impl EnteredSpan {
    /// A handle on the span, for code that takes a [`SpanRef`].
    pub fn span_ref(&self) -> SpanRef {
        SpanRef::new(self.entry.span_id)
    }

    fn with_data<R>(&self, f: impl FnOnce(&mut SpanData) -> R) -> Option<R> {
        runtime::with_open_record(self.entry.span_id?, f)
    }

    span_methods!();

    /// Whether the span is open and recorded.
    pub fn is_recording(&self) -> bool {
        self.entry.span_id.is_some_and(runtime::has_open_record)
    }

    /// The span's context, or `None` when there is no span.
    pub fn context(&self) -> Option<SpanContext> {
        runtime::context_of(self.entry.span_id?)
    }

    /// Stops the span being current and returns it as an owned [`Span`]
    /// (still open), for example to move it to another thread.
    pub fn exit(mut self) -> Span {
        let owned = std::mem::replace(&mut self.entry.owns_frame, false);
        let Some(span_id) = self.entry.span_id.take() else {
            return Span::from_state(SpanState::NonRecording(None));
        };
        if !owned {
            // Nothing of its own was current: it leaves with its context.
            return Span::from_state(SpanState::non_recording(runtime::context_of(span_id)));
        }
        Span::from_state(runtime::exit_entry(span_id))
    }

    /// Ends the span now (the same as dropping the guard).
    pub fn finish(self) {}
}

impl Drop for EnteredSpan {
    // Only the check is inlined: an inert guard (no provider, unsampled)
    // costs a compare.
    #[inline(always)]
    fn drop(&mut self) {
        if self.entry.owns_frame {
            runtime::end_entry(&self.entry);
        }
    }
}

impl std::fmt::Debug for EnteredSpan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("EnteredSpan").field(&self.entry.span_id).finish()
    }
}
