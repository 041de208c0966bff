//! The count of `tracing` events that no span could take.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A handle on the number of `tracing` events the bridge dropped because
/// they happened outside any span: no span was current (neither a
/// `tracing` span the layer sees nor a tracer span), the event was an
/// explicit root (`parent: None`), or its explicit parent is filtered out
/// of the layer. Events inside a span that is not sampled are not counted:
/// they are inside a span, which records nothing.
///
/// Available with the `tracing` feature.
///
/// ```
/// use tracing_subscriber::prelude::*;
///
/// let layer = tracer_core::bridge::layer();
/// let dropped = layer.dropped_events();
/// let subscriber = tracing_subscriber::registry().with(layer);
/// tracing::subscriber::with_default(subscriber, || tracing::info!("no span here"));
/// assert_eq!(dropped.count(), 1);
/// ```
#[derive(Clone, Debug, Default)]
pub struct DroppedEvents(Arc<AtomicU64>);

impl DroppedEvents {
    /// Events dropped so far.
    ///
    /// ```
    /// let dropped = tracer_core::bridge::layer().dropped_events();
    /// assert_eq!(dropped.count(), 0);
    /// ```
    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    pub(super) fn add_one(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}
