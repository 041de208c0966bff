//! `opentelemetry_sdk` used directly, and the pipeline it shares with
//! `tracing-opentelemetry`: a batch processor and a counting exporter.

use std::fmt;
use std::hint::black_box;
use std::sync::Arc;

use opentelemetry::trace::{Span as _, TraceContextExt, TracerProvider as _};
use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, Sampler, SdkTracer, SdkTracerProvider, SpanData, SpanExporter,
};

use super::Contender;
use crate::shape::{Rec, Sink, Val};
use crate::{CHILDREN, Workload};

/// A counting `opentelemetry_sdk` exporter.
pub struct Counting(pub Arc<Sink>);

impl fmt::Debug for Counting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Counting")
    }
}

impl SpanExporter for Counting {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        if self.0.capturing() {
            self.0.keep(batch.iter().map(|s| {
                Rec {
                    trace: u128::from_be_bytes(s.span_context.trace_id().to_bytes()),
                    id: u64::from_be_bytes(s.span_context.span_id().to_bytes()),
                    parent: u64::from_be_bytes(s.parent_span_id.to_bytes()),
                    name: s.name.to_string(),
                    attrs: s
                        .attributes
                        .iter()
                        .map(|kv| {
                            let value = match &kv.value {
                                Value::String(v) => Val::Str(v.to_string()),
                                Value::I64(v) => Val::I64(*v),
                                Value::Bool(v) => Val::Bool(*v),
                                other => Val::Other(other.to_string()),
                            };
                            (kv.key.to_string(), value)
                        })
                        .collect(),
                    events: s.events.iter().map(|e| e.name.to_string()).collect(),
                }
            }));
        }
        self.0.count(batch.len());
        Ok(())
    }
}

/// A provider with a batch processor whose queue holds `queue` spans, and
/// the sampler the workload asks for.
pub fn provider(workload: Workload, queue: usize, sink: &Arc<Sink>) -> SdkTracerProvider {
    let config = BatchConfigBuilder::default()
        .with_max_queue_size(queue)
        .with_max_export_batch_size(super::EXPORT_BATCH)
        .build();
    let processor = BatchSpanProcessor::builder(Counting(Arc::clone(sink)))
        .with_batch_config(config)
        .build();
    let sampler = if workload == Workload::Unsampled {
        Sampler::AlwaysOff
    } else {
        Sampler::AlwaysOn
    };
    SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_sampler(sampler)
        .build()
}

/// `opentelemetry_sdk` with `Tracer::in_span`; for `off`, the global
/// tracer with no provider installed.
pub struct Otel {
    sink: Arc<Sink>,
    provider: Option<SdkTracerProvider>,
    tracer: Option<SdkTracer>,
}

impl Otel {
    /// Builds the provider, except for the `off` workload.
    pub fn new(workload: Workload, queue: usize) -> Otel {
        let sink = Arc::new(Sink::default());
        let provider = (workload != Workload::Off).then(|| provider(workload, queue, &sink));
        let tracer = provider.as_ref().map(|p| p.tracer("bench"));
        Otel { sink, provider, tracer }
    }
}

fn nested<T: opentelemetry::trace::Tracer>(tracer: &T, depth: usize)
where
    T::Span: Send + Sync + 'static,
{
    if depth == 0 {
        return;
    }
    tracer.in_span("child", |_| {
        black_box(depth);
        nested(tracer, depth - 1)
    });
}

fn trace<T: opentelemetry::trace::Tracer>(tracer: &T, workload: Workload)
where
    T::Span: Send + Sync + 'static,
{
    match workload {
        Workload::Flat => tracer.in_span("root", |cx| {
            for _ in 0..CHILDREN {
                let mut child = tracer
                    .span_builder("child")
                    .with_attributes([
                        KeyValue::new("s", "str"),
                        KeyValue::new("i", 42i64),
                        KeyValue::new("b", true),
                    ])
                    .start_with_context(tracer, &cx);
                child.add_event("e", Vec::new());
                child.end();
            }
            // Keeps `cx` (and so the root) alive to the end.
            let _ = cx.span().span_context();
        }),
        _ => tracer.in_span("root", |_| nested(tracer, workload.children())),
    }
}

impl Contender for Otel {
    fn name(&self) -> &'static str {
        "otel_sdk"
    }

    fn supports(&self, workload: Workload) -> bool {
        // It has no attribute macro.
        !workload.is_macro()
    }

    fn run(&self, workload: Workload, traces: usize) {
        match &self.tracer {
            Some(tracer) => (0..traces).for_each(|_| trace(tracer, workload)),
            None => {
                let tracer = opentelemetry::global::tracer("bench");
                (0..traces).for_each(|_| trace(&tracer, workload));
            }
        }
    }

    fn flush(&self) {
        if let Some(provider) = &self.provider {
            provider.force_flush().expect("otel flush");
        }
    }

    fn sink(&self) -> Option<&Sink> {
        Some(&self.sink)
    }
}
