//! Events and links: what a span records beside its attributes.

use std::borrow::Cow;

use super::context::SpanContext;
use super::value::{KeyValue, Value, find_value};

/// A timestamped annotation on a span.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// What happened.
    pub name: Cow<'static, str>,
    /// When, in unix nanoseconds.
    pub timestamp_unix_nano: u64,
    /// Details.
    pub attributes: Vec<KeyValue>,
    /// Attributes dropped by the per-event limit.
    pub dropped_attributes_count: u32,
}

impl Event {
    /// The attribute value for `key`.
    pub fn attribute(&self, key: &str) -> Option<&Value> {
        find_value(&self.attributes, key)
    }
}

/// A reference from a span to another span that is not its parent.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    /// The linked span.
    pub context: SpanContext,
    /// Why it is linked.
    pub attributes: Vec<KeyValue>,
    /// Attributes dropped by the per-link limit.
    pub dropped_attributes_count: u32,
}

impl Link {
    /// A link to `context` with attributes.
    pub fn new(context: SpanContext, attributes: impl IntoIterator<Item = KeyValue>) -> Link {
        Link {
            context,
            attributes: attributes.into_iter().collect(),
            dropped_attributes_count: 0,
        }
    }
}
