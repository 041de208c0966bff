//! The thread-local runtime: the hot path of every span.
//!
//! Each thread owns a stack of the spans that are current on it, and a
//! buffer of span records. Starting an entered span writes its record
//! straight into the buffer (field by field: the ~400-byte record is never
//! moved) and pushes its index on the stack; finishing it stamps the end
//! time and pops it. Per span, nothing here takes a lock, touches an atomic
//! shared with other threads, or allocates. A child of an unsampled local
//! span is decided by one thread-local read and makes nothing.
//!
//! Finished records are handed to the processors as one
//! [`SpanBatch`](crate::processor::SpanBatch) when the thread's stack
//! becomes empty (a local root finished, or a future's poll returned), or
//! when the buffer grows past [`LOCAL_BATCH_LIMIT`](hand_over::LOCAL_BATCH_LIMIT). A thread that exits
//! hands over what it still holds. The thread continues with a recycled
//! buffer (see [`buffer`](crate::buffer)).
//!
//! An owned [`Span`](crate::Span) may finish on another thread, so its
//! record cannot start in this thread's buffer. `Span::new` under a sampled
//! local parent keeps what its record is made from instead ([`started`]),
//! and the record is written where the span goes first: into the buffer
//! when it is entered or finished, into a box of its own when it is changed.
//!
//! The records in a thread's buffer are all for one provider: the installed
//! one, or the thread's default while one is set, which comes with a stack
//! and buffer of its own ([`provider_scope`]).
//!
//! Three kinds of entry can be current:
//! - a record in this thread's buffer (an [`EnteredSpan`](crate::EnteredSpan));
//! - an owned [`Span`](crate::Span) that is current only for the duration
//!   of `Span::in_scope` or one `poll` of an instrumented future;
//! - a bare [`SpanContext`](crate::SpanContext): a span that was sampled
//!   out (kept so that its trace id still propagates), or a context
//!   attached with [`attach`](crate::attach);
//! - a shared span ([`shared`]): an owned span behind a lock, which any
//!   thread may enter and change, for the `tracing` bridge.
//!
//! # The borrow rule
//!
//! **No user code runs while a span's record is borrowed.** A record is
//! reached in two ways: through the thread's state (its buffer, or an
//! owned span current for a scope, through the pointer its stack frame
//! holds), and through the owned [`Span`](crate::Span) that holds it. Both
//! hand out `&mut SpanData` to code of this crate only, for the length of
//! one change (setting an attribute, adding an event), and every value the
//! change needs is computed first: `Into<Value>` conversions, `Display` of
//! an error, a new name. A sampler, a processor, a `Drop` or a conversion
//! of the user's runs before or after, never during, so the two ways never
//! overlap. The thread's state is also borrowed through one flag
//! ([`cell`]), which refuses a re-entrant borrow from a sampler or
//! processor instead of aliasing. Debug builds check the rule where it is
//! relied on ([`record_borrow`]).

mod cell;
mod end;
mod enter;
mod hand_over;
mod lookup;
mod owned;
mod owned_record;
mod provider_scope;
mod record_borrow;
mod scope;
mod shared;
mod shared_context;
mod stack;
mod start;
mod started;
mod state;

pub(crate) use end::{end_entry, exit_entry};
pub(crate) use enter::{Entry, FromEntry, enter_child, enter_new, enter_spec, enter_started, enter_state};
pub(crate) use hand_over::flush_local;
pub(crate) use lookup::{
    context_of, current_context, current_span_id, current_trace_id, has_open_record, with_open_record,
};
#[cfg(feature = "tracing")]
pub(crate) use lookup::{current_is_local, current_recording_span};
pub(crate) use owned::{SpanState, finish_owned};
pub(crate) use provider_scope::{
    current_default, enter_default, enter_default_unless_current, leave_defaults_from, with_limits,
};
#[cfg(feature = "tracing")]
pub(crate) use provider_scope::{limits, recording_possible};
pub(crate) use record_borrow::RecordBorrow;
pub(crate) use scope::{ScopeGuard, attach, detach};
#[cfg(feature = "tracing")]
pub(crate) use shared::{SharedSpan, current_shared_key, enter_shared, exit_shared, is_entered_here};
pub(crate) use stack::unsampled_top;
pub(crate) use start::{
    Parent, StartSpec, start_child_into, start_child_on_into, start_into, start_root_into, tracing_off,
};
