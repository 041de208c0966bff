//! Building a span with a kind, attributes, links, a start time or a parent.

use std::borrow::Cow;
use std::time::SystemTime;

use smallvec::SmallVec;

use super::entered::EnteredSpan;
use super::owned::Span;
use crate::clock;
use crate::model::{Key, KeyValue, Link, SpanContext, SpanKind, Value};
use crate::runtime::{self, Parent, StartSpec};

/// Builds a span with everything OpenTelemetry's `start_span` takes: name,
/// kind, attributes, links, start time and parent.
///
/// ```
/// use tracer_core::{KeyValue, Span, SpanKind};
///
/// let span = Span::builder("my_operation")
///     .kind(SpanKind::Internal)
///     .attribute("key", "value")
///     .start();
/// span.add_event("interesting_event", [KeyValue::new("some_data", 123)]);
/// span.set_ok();
/// ```
#[must_use = "a builder does nothing until `start` or `entered`"]
pub struct SpanBuilder {
    spec: StartSpec,
}

impl SpanBuilder {
    /// A builder for a span named `name`.
    #[inline]
    pub fn new(name: impl Into<Cow<'static, str>>) -> SpanBuilder {
        SpanBuilder {
            spec: StartSpec {
                name: name.into(),
                kind: SpanKind::Internal,
                parent: Parent::Current,
                attributes: SmallVec::new(),
                links: Vec::new(),
                start_time: None,
            },
        }
    }

    /// Sets the kind.
    #[inline]
    pub fn kind(mut self, kind: SpanKind) -> SpanBuilder {
        self.spec.kind = kind;
        self
    }

    /// Adds an attribute. Samplers see the builder's attributes.
    #[inline]
    pub fn attribute(mut self, key: impl Into<Key>, value: impl Into<Value>) -> SpanBuilder {
        self.spec.attributes.push(KeyValue::new(key, value));
        self
    }

    /// Adds attributes.
    pub fn attributes(mut self, attributes: impl IntoIterator<Item = KeyValue>) -> SpanBuilder {
        self.spec.attributes.extend(attributes);
        self
    }

    /// Adds a link to another span.
    pub fn link(mut self, context: SpanContext, attributes: impl IntoIterator<Item = KeyValue>) -> SpanBuilder {
        self.spec.links.push(Link::new(context, attributes));
        self
    }

    /// Sets an explicit start time.
    pub fn start_time(mut self, time: SystemTime) -> SpanBuilder {
        self.spec.start_time = Some(clock::system_time_to_unix_nanos(time));
        self
    }

    /// Sets an explicit parent (local or remote) instead of the current span.
    pub fn parent(mut self, parent: SpanContext) -> SpanBuilder {
        self.spec.parent = Parent::Explicit(parent);
        self
    }

    /// Sets an optional explicit parent: `Some` as [`parent`](Self::parent),
    /// `None` as [`root`](Self::root).
    pub fn parent_opt(self, parent: Option<SpanContext>) -> SpanBuilder {
        match parent {
            Some(parent) => self.parent(parent),
            None => self.root(),
        }
    }

    /// Starts a new trace, ignoring the current span.
    #[inline]
    pub fn root(mut self) -> SpanBuilder {
        self.spec.parent = Parent::Root;
        self
    }

    /// Starts the span as an owned [`Span`].
    #[inline(always)]
    pub fn start(self) -> Span {
        Span::started(|out| runtime::start_into(self.spec, out))
    }

    /// Starts the span and makes it current until the guard drops.
    // Inlined, so that the builder is lent from where it was built, not
    // copied into the call.
    #[inline(always)]
    pub fn entered(mut self) -> EnteredSpan {
        let owns_nothing = self.spec.owns_nothing();
        if owns_nothing {
            // Nothing to drop: with nothing to record either, the builder
            // is forgotten.
            if runtime::tracing_off() {
                std::mem::forget(self);
                return EnteredSpan::inert();
            }
            if let Some(parent) = self.spec.unsampled_parent() {
                // A child of the unsampled span on top: nothing is made,
                // and the guard names that span.
                std::mem::forget(self);
                return EnteredSpan::inherited(parent);
            }
        }
        let entered = runtime::enter_spec(&mut self.spec);
        if owns_nothing {
            // Starting only takes from the spec: it still owns nothing, and
            // is forgotten rather than dropped.
            std::mem::forget(self);
        }
        entered
    }
}
