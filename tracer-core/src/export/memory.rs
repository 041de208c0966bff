use std::sync::{Arc, Mutex, MutexGuard};

use super::{ExportError, SpanExporter};
use crate::model::SpanData;
use crate::model::TraceId;

/// Keeps exported spans in memory, for tests. Clones share one store, so
/// keep a clone to read what the processor exported.
///
/// ```
/// use tracer_core::export::{InMemoryExporter, SpanExporter};
///
/// let exporter = InMemoryExporter::new();
/// let mut sink = exporter.clone();
/// sink.export(&[]).unwrap();
/// assert!(exporter.spans().is_empty());
/// ```
#[derive(Clone, Default)]
pub struct InMemoryExporter {
    spans: Arc<Mutex<Vec<SpanData>>>,
}

impl InMemoryExporter {
    /// An empty store.
    pub fn new() -> InMemoryExporter {
        InMemoryExporter::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<SpanData>> {
        self.spans.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every span exported so far, in export order.
    pub fn spans(&self) -> Vec<SpanData> {
        self.lock().clone()
    }

    /// The spans of one trace, in export order.
    pub fn trace(&self, trace_id: TraceId) -> Vec<SpanData> {
        self.lock()
            .iter()
            .filter(|s| s.trace_id() == trace_id)
            .cloned()
            .collect()
    }

    /// The spans called `name`.
    pub fn spans_named(&self, name: &str) -> Vec<SpanData> {
        self.lock().iter().filter(|s| s.name == name).cloned().collect()
    }

    /// Removes and returns every span.
    pub fn take(&self) -> Vec<SpanData> {
        std::mem::take(&mut *self.lock())
    }

    /// Forgets every span.
    pub fn reset(&self) {
        self.lock().clear();
    }
}

impl SpanExporter for InMemoryExporter {
    fn export(&mut self, batch: &[SpanData]) -> Result<(), ExportError> {
        self.lock().extend_from_slice(batch);
        Ok(())
    }
}

impl std::fmt::Debug for InMemoryExporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InMemoryExporter")
            .field("spans", &self.lock().len())
            .finish()
    }
}
