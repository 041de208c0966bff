//! tracer, through its documented API: `Span::root(..).entered()`,
//! `in_span(..)` (the closure form of `Span::new(..).entered()`), `#[trace]`,
//! and a batch processor.

use std::hint::black_box;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tracer::export::{ExportError, SpanExporter};
use tracer::processor::{BatchConfig, BatchSpanProcessor};
use tracer::sampler::AlwaysOff;
use tracer::{FutureExt, ProviderGuard, Span, SpanData, TracerProvider, Value, in_span};

use super::Contender;
use crate::shape::{Rec, Sink, Val};
use crate::{CHILDREN, Workload, chains};

/// tracer with a [`BatchSpanProcessor`] and a counting exporter.
pub struct Tracer {
    sink: Arc<Sink>,
}

/// The counting exporter (shared with `tracer_tail`).
pub(super) struct Counting(pub(super) Arc<Sink>);

impl SpanExporter for Counting {
    fn export(&mut self, batch: &[SpanData]) -> Result<(), ExportError> {
        if self.0.capturing() {
            self.0.keep(batch.iter().map(rec));
        }
        self.0.count(batch.len());
        Ok(())
    }
}

fn rec(span: &SpanData) -> Rec {
    Rec {
        trace: span.trace_id().to_u128(),
        id: span.span_id().to_u64(),
        parent: span.parent_span_id.map_or(0, |id| id.to_u64()),
        name: span.name.to_string(),
        attrs: span
            .attributes
            .iter()
            .map(|kv| {
                let value = match &kv.value {
                    Value::String(s) => Val::Str(s.to_string()),
                    Value::I64(v) => Val::I64(*v),
                    Value::Bool(v) => Val::Bool(*v),
                    other => Val::Other(other.to_string()),
                };
                (kv.key.to_string(), value)
            })
            .collect(),
        events: span.events.iter().map(|e| e.name.to_string()).collect(),
    }
}

/// The process's one tracer provider, with its counting exporter,
/// installed by the first contender that asks (tracer, or `tracing`
/// through the bridge: both record into it, one repetition at a time).
/// `None` for the `off` workload.
pub fn installed(workload: Workload, queue: usize) -> Option<Arc<Sink>> {
    static INSTALLED: OnceLock<(Arc<Sink>, ProviderGuard)> = OnceLock::new();
    if workload == Workload::Off {
        return None;
    }
    let (sink, _guard) = INSTALLED.get_or_init(|| {
        let sink = Arc::new(Sink::default());
        let mut builder = TracerProvider::builder().with_processor(batch_processor(&sink, queue));
        if workload == Workload::Unsampled {
            builder = builder.sampler(AlwaysOff);
        }
        let guard = builder.install().expect("one tracer provider per process");
        (sink, guard)
    });
    Some(Arc::clone(sink))
}

impl Tracer {
    /// Installs the provider, except for the `off` workload.
    pub fn new(workload: Workload, queue: usize) -> Tracer {
        Tracer {
            sink: installed(workload, queue).unwrap_or_default(),
        }
    }
}

/// The batch processor both tracer contenders export through: a queue of
/// `queue` spans, exports of [`EXPORT_BATCH`](super::EXPORT_BATCH).
pub(super) fn batch_processor(sink: &Arc<Sink>, queue: usize) -> BatchSpanProcessor {
    let config = BatchConfig::default()
        .max_queue_size(queue)
        .max_batch_size(super::EXPORT_BATCH)
        .export_interval(Duration::from_secs(1));
    BatchSpanProcessor::new(Counting(Arc::clone(sink)), config)
}

/// A chain of `depth` nested children under the current span.
pub(super) fn nested(depth: usize) {
    if depth > 0 {
        in_span("child", |_| {
            // The work inside the span: it keeps the compiler from removing
            // the recursion where the span costs nothing (unsampled).
            black_box(depth);
            nested(depth - 1)
        });
    }
}

/// Runs `traces` traces of `workload` on this thread, under whichever
/// provider is in force (shared with `tracer_scoped`).
pub(super) fn run_traces(workload: Workload, traces: usize) {
    for _ in 0..traces {
        match workload {
            Workload::Nested | Workload::Unsampled | Workload::Threads | Workload::Deep => {
                let _root = Span::root("root").entered();
                nested(workload.children());
            }
            Workload::Flat => {
                let _root = Span::root("root").entered();
                for _ in 0..CHILDREN {
                    in_span("child", |child| {
                        child.set_attribute("s", "str");
                        child.set_attribute("i", 42i64);
                        child.set_attribute("b", true);
                        child.add_event("e", []);
                    });
                }
            }
            Workload::Off | Workload::MacroSync => {
                let _root = Span::root("root").entered();
                chains::tracer_sync::f99();
            }
            Workload::MacroAsync | Workload::Async100 => {
                super::run_async(workload, chains::tracer_async::f99().in_span(Span::root("root")));
            }
        }
    }
}

impl Contender for Tracer {
    fn name(&self) -> &'static str {
        "tracer"
    }

    fn run(&self, workload: Workload, traces: usize) {
        run_traces(workload, traces);
    }

    fn flush(&self) {
        if let Some(provider) = TracerProvider::global() {
            provider.force_flush(Duration::from_secs(60)).expect("tracer flush");
        }
    }

    fn sink(&self) -> Option<&Sink> {
        Some(&self.sink)
    }
}
