//! How much one span may hold.

use super::value::KeyValue;

/// How much one span may hold. What is over a limit is dropped and counted
/// in the `dropped_*` fields, which exporters pass on.
///
/// The defaults are OpenTelemetry's: 128 of each, and no limit on value
/// length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpanLimits {
    /// Attributes per span.
    pub max_attributes: u32,
    /// Events per span.
    pub max_events: u32,
    /// Links per span.
    pub max_links: u32,
    /// Attributes per event.
    pub max_attributes_per_event: u32,
    /// Attributes per link.
    pub max_attributes_per_link: u32,
    /// Longest string attribute value in bytes; longer values are cut on a
    /// character boundary. `None` means no limit.
    pub max_attribute_value_length: Option<usize>,
}

impl SpanLimits {
    /// No limits at all.
    pub(crate) const UNLIMITED: SpanLimits = SpanLimits {
        max_attributes: u32::MAX,
        max_events: u32::MAX,
        max_links: u32::MAX,
        max_attributes_per_event: u32::MAX,
        max_attributes_per_link: u32::MAX,
        max_attribute_value_length: None,
    };
}

impl SpanLimits {
    /// OpenTelemetry's defaults: 128 attributes, events and links per span,
    /// 128 attributes per event and per link, no limit on value length.
    pub(crate) const DEFAULT: SpanLimits = SpanLimits {
        max_attributes: 128,
        max_events: 128,
        max_links: 128,
        max_attributes_per_event: 128,
        max_attributes_per_link: 128,
        max_attribute_value_length: None,
    };
}

impl Default for SpanLimits {
    fn default() -> SpanLimits {
        SpanLimits::DEFAULT
    }
}

/// Keeps what fits in `max` attributes and returns how many were dropped.
pub(super) fn limit_attributes(attributes: &mut Vec<KeyValue>, limits: &SpanLimits, max: u32) -> u32 {
    let max = max as usize;
    let dropped = attributes.len().saturating_sub(max);
    attributes.truncate(max);
    if let Some(len) = limits.max_attribute_value_length {
        for kv in attributes.iter_mut() {
            kv.value.truncate(len);
        }
    }
    dropped as u32
}
