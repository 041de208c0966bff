//! The layer: `tracing` spans as tracer spans, `tracing` events as span
//! events.

use std::borrow::Cow;
use std::sync::Arc;

use smallvec::SmallVec;
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Event, Level, Metadata, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::{LookupSpan, SpanRef};

use super::dropped::DroppedEvents;
use super::fields::{EventFields, SpanFields};
use super::span_pool;
use crate::model::{Event as SpanEvent, KeyValue, Link, SpanKind, Status, Value};
use crate::runtime;
use crate::runtime::{
    Parent, SharedSpan, StartSpec, current_is_local, current_recording_span, current_shared_key, current_span_id,
    enter_shared, exit_shared, is_entered_here, with_open_record,
};

/// A `tracing_subscriber` layer that records `tracing` spans as tracer
/// spans and `tracing` events as events on them, in the traces of the
/// installed [`TracerProvider`](crate::TracerProvider). Made by
/// [`layer()`](super::layer); see the [module docs](super) for what maps to
/// what.
///
/// Available with the `tracing` feature.
///
/// ```
/// use tracing_subscriber::prelude::*;
///
/// let layer = tracer_core::bridge::layer()
///     .with_location(false)          // no code.* attributes on spans
///     .with_error_events_fail_span(true); // an ERROR event marks its span as failed
/// let _default = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
/// ```
#[derive(Clone, Debug)]
pub struct BridgeLayer {
    location: bool,
    target: bool,
    error_events_fail_span: bool,
    dropped: DroppedEvents,
}

/// What the layer keeps in a `tracing` span's extensions: its tracer span.
pub(super) struct BridgedSpan(pub(super) Arc<SharedSpan>);

impl BridgeLayer {
    pub(super) fn new() -> BridgeLayer {
        BridgeLayer {
            location: true,
            target: true,
            error_events_fail_span: false,
            dropped: DroppedEvents::default(),
        }
    }

    /// Whether spans carry where they were made: `code.namespace` (the
    /// module path), `code.filepath` and `code.lineno`. On by default.
    ///
    /// ```
    /// let layer = tracer_core::bridge::layer().with_location(false);
    /// ```
    pub fn with_location(mut self, location: bool) -> BridgeLayer {
        self.location = location;
        self
    }

    /// Whether spans carry their `tracing` target as `target`. On by
    /// default. (Events always do.)
    ///
    /// ```
    /// let layer = tracer_core::bridge::layer().with_target(false);
    /// ```
    pub fn with_target(mut self, target: bool) -> BridgeLayer {
        self.target = target;
        self
    }

    /// Whether an `ERROR` event marks the span it lands on as failed: the
    /// status becomes `Error`, with the event's `error` field (what
    /// `#[instrument(err)]` records) or else its message as the message.
    /// Off by default: an error that was logged may have been handled.
    ///
    /// ```
    /// let layer = tracer_core::bridge::layer().with_error_events_fail_span(true);
    /// ```
    pub fn with_error_events_fail_span(mut self, fail: bool) -> BridgeLayer {
        self.error_events_fail_span = fail;
        self
    }

    /// A handle on the number of events this layer dropped because they
    /// happened outside any span. Take it before giving the layer to the
    /// subscriber.
    ///
    /// ```
    /// let layer = tracer_core::bridge::layer();
    /// let dropped = layer.dropped_events();
    /// assert_eq!(dropped.count(), 0);
    /// ```
    pub fn dropped_events(&self) -> DroppedEvents {
        self.dropped.clone()
    }

    /// The attributes every span starts with: where it was made, and its
    /// target.
    fn metadata_attributes(&self, metadata: &'static Metadata<'static>, attributes: &mut SmallVec<[KeyValue; 8]>) {
        if self.location {
            if let Some(module) = metadata.module_path() {
                attributes.push(KeyValue::new("code.namespace", module));
            }
            if let Some(file) = metadata.file() {
                attributes.push(KeyValue::new("code.filepath", file));
            }
            if let Some(line) = metadata.line() {
                attributes.push(KeyValue::new("code.lineno", i64::from(line)));
            }
        }
        if self.target {
            attributes.push(KeyValue::new("target", metadata.target()));
        }
    }
}

/// The tracer span of a `tracing` span the layer saw.
pub(super) fn bridged<S>(span: &SpanRef<'_, S>) -> Option<Arc<SharedSpan>>
where
    S: for<'a> LookupSpan<'a>,
{
    span.extensions()
        .get::<BridgedSpan>()
        .map(|bridged| Arc::clone(&bridged.0))
}

/// Where a new `tracing` span's tracer span hangs.
///
/// Its nearest ancestor that this layer sees (a filtered-out one is
/// skipped) is its parent. When that ancestor is current on this thread,
/// tracer's current span is the parent instead: the same span, or a tracer
/// span started inside it (`#[trace]` code calling `#[instrument]` code),
/// which `tracing` does not know. With no ancestor, a contextual span is a
/// child of tracer's current span, if any.
fn parent_of<S>(attributes: &Attributes<'_>, span: &SpanRef<'_, S>) -> Parent
where
    S: for<'a> LookupSpan<'a>,
{
    if attributes.is_root() {
        return Parent::Root;
    }
    let contextual = attributes.is_contextual();
    let ancestor = span.parent();
    // The usual case, the ancestor entered last on this thread: no look
    // into its extensions.
    if contextual
        && ancestor
            .as_ref()
            .map(|a| a.id().into_u64())
            .is_some_and(|id| current_shared_key() == Some(id))
    {
        return Parent::Current;
    }
    let Some(ancestor) = ancestor.as_ref().and_then(bridged) else {
        return if contextual { Parent::Current } else { Parent::Root };
    };
    if contextual && is_entered_here(&ancestor) {
        return Parent::Current;
    }
    match ancestor.context() {
        Some(context) => Parent::Explicit(context.clone()),
        None if contextual => Parent::Current,
        None => Parent::Root,
    }
}

impl<S> Layer<S> for BridgeLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        // With no provider there is nothing to record, nor to propagate.
        if !runtime::recording_possible() {
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        let metadata = attributes.metadata();
        let mut fields = SpanFields::default();
        self.metadata_attributes(metadata, &mut fields.attributes);
        // The user's `Debug` and `Display` run here, before any record is
        // touched.
        attributes.record(&mut fields);
        let status = fields.status();
        let parent = parent_of(attributes, &span);
        // A sampler sees the attributes when it is asked: for a root or
        // under a remote parent. A child of a local span follows its
        // parent's decision, and starts on the fast path without them.
        let sampler_asked = match &parent {
            Parent::Root => true,
            Parent::Current => !current_is_local(),
            Parent::Explicit(context) => context.is_remote(),
        };
        let name = fields.name.take().unwrap_or(Cow::Borrowed(metadata.name()));
        let kind = fields.kind.unwrap_or(SpanKind::Internal);
        let shared = if matches!(parent, Parent::Current) && !sampler_asked {
            // A child of the current span, as `Span::new` starts it: its
            // fields go into its record below.
            SharedSpan::start_child(name, kind, id.into_u64())
        } else {
            let spec = StartSpec {
                name,
                kind,
                parent,
                attributes: if sampler_asked {
                    fields.attributes.drain(..).collect()
                } else {
                    SmallVec::new()
                },
                links: Vec::new(),
                start_time: None,
            };
            SharedSpan::start(spec, id.into_u64())
        };
        if status.is_some() || !fields.attributes.is_empty() {
            let limits = runtime::limits();
            // Drained in place: the inline attributes are not moved.
            let attributes = fields.attributes.drain(..);
            shared.with_record(|data| {
                for kv in attributes {
                    data.put_attribute(kv, &limits);
                }
                if let Some(status) = status {
                    data.set_status(status);
                }
            });
        }
        span.extensions_mut().insert(BridgedSpan(span_pool::shared(shared)));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(shared) = ctx.span(id).as_ref().and_then(bridged) else {
            return;
        };
        if !shared.is_recording() {
            return;
        }
        let mut fields = SpanFields::default();
        values.record(&mut fields);
        let limits = runtime::limits();
        shared.with_record(|data| fields.apply(data, &limits));
    }

    fn on_follows_from(&self, id: &Id, follows: &Id, ctx: Context<'_, S>) {
        let Some(shared) = ctx.span(id).as_ref().and_then(bridged) else {
            return;
        };
        let Some(follows) = ctx.span(follows).as_ref().and_then(bridged) else {
            return;
        };
        let Some(context) = follows.context().cloned() else {
            return;
        };
        let link = Link::new(context, []);
        let limits = runtime::limits();
        shared.with_record(|data| data.add_link(link, &limits));
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            if let Some(bridged) = span.extensions().get::<BridgedSpan>() {
                enter_shared(&bridged.0);
            }
        }
    }

    fn on_exit(&self, id: &Id, _ctx: Context<'_, S>) {
        // By the `tracing` id: no look-up in the registry.
        drop(exit_shared(id.into_u64()));
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let bridged = span.extensions_mut().remove::<BridgedSpan>();
        // Outside the extensions' lock: finishing may hand spans over.
        if let Some(BridgedSpan(shared)) = bridged {
            shared.finish();
            span_pool::recycle(shared);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let explicit = match event.parent() {
            Some(parent) => match ctx.span(parent).as_ref().and_then(bridged) {
                Some(shared) => Some(shared),
                // Filtered out of this layer: no span of ours to take it.
                None => return self.dropped.add_one(),
            },
            None if event.is_root() => return self.dropped.add_one(),
            None => None,
        };
        let recording = match &explicit {
            Some(shared) => shared.is_recording(),
            None => match current_recording_span() {
                Some(_) => true,
                // Inside a span that records nothing: not dropped.
                None if current_span_id().is_some() => false,
                None => return self.dropped.add_one(),
            },
        };
        if !recording {
            return;
        }
        let (span_event, status) = self.span_event(event);
        let limits = runtime::limits();
        let add = |data: &mut crate::model::SpanData| {
            if let Some(status) = status {
                data.set_status(status);
            }
            crate::buffer::add_event(data, span_event, &limits);
        };
        match explicit {
            Some(shared) => {
                shared.with_record(add);
            }
            None => {
                // Looked up again: the fields' `Debug` ran in between.
                if let Some(span_id) = current_recording_span() {
                    with_open_record(span_id, add);
                }
            }
        }
    }
}

impl BridgeLayer {
    /// The span event for `event`, and the status it sets, if any.
    fn span_event(&self, event: &Event<'_>) -> (SpanEvent, Option<Status>) {
        // A `log` record through `tracing-log` has the record's own level
        // and target in its fields.
        let normalized = event.normalized_metadata();
        let metadata = normalized.as_ref().unwrap_or_else(|| event.metadata());
        let level = *metadata.level();
        let target: Value = match &normalized {
            Some(log) => Value::from(log.target().to_owned()),
            None => Value::from(event.metadata().target()),
        };
        let mut fields = EventFields {
            attributes: vec![KeyValue::new("level", level.as_str()), KeyValue::new("target", target)],
            ..EventFields::default()
        };
        // The user's `Debug` and `Display` run here, before any record is
        // touched.
        event.record(&mut fields);
        let status = (self.error_events_fail_span && level == Level::ERROR).then(|| {
            let message = fields
                .error
                .clone()
                .or_else(|| fields.message.clone())
                .unwrap_or_default();
            Status::error(message)
        });
        let name = match fields.message {
            Some(message) => Cow::Owned(message),
            None => Cow::Borrowed(event.metadata().name()),
        };
        let span_event = SpanEvent {
            name,
            timestamp_unix_nano: crate::clock::now_unix_nanos(),
            attributes: fields.attributes,
            dropped_attributes_count: 0,
        };
        (span_event, status)
    }
}
