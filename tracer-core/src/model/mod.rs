//! Plain data: what a span is made of, with no globals and no thread-locals.
//!
//! Ids name traces and spans; a [`SpanContext`] is what crosses process
//! boundaries; a [`SpanData`] is the record of one span, with its
//! [`Attributes`], [`Event`]s, [`Link`]s and [`Status`], kept within
//! [`SpanLimits`]; a [`Resource`] describes the process. Everything above
//! this module (the runtime, processors, exporters) builds on these types,
//! and nothing here reaches up to them.

mod context;
mod event;
mod id;
mod kind;
mod limits;
mod ratio;
mod resource;
mod span_data;
mod status;
mod trace_state;
mod value;

pub use context::{SpanContext, TraceFlags};
pub use event::{Event, Link};
pub(crate) use id::IdGenerator;
pub use id::{ParseIdError, SpanId, TraceId};
pub use kind::SpanKind;
pub use limits::SpanLimits;
pub(crate) use ratio::RatioRule;
pub use resource::{Resource, ResourceBuilder};
pub use span_data::{Attributes, SpanData};
pub use status::Status;
pub use trace_state::{TraceState, TraceStateError};
pub use value::{Array, Key, KeyValue, Value};
