//! `tracing`: with `tracing-opentelemetry` into `opentelemetry_sdk`, and
//! bare, with a registry and one no-op layer. Each runs under its own
//! `Dispatch` (`dispatcher::with_default`), so they share the process.

use std::fmt;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Dispatch, Metadata, Subscriber, dispatcher, info, info_span};
use tracing_subscriber::Registry;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

use super::Contender;
use crate::shape::{Rec, Sink, Val};
use crate::{CHILDREN, Workload, chains};

fn nested(depth: usize) {
    if depth == 0 {
        return;
    }
    let span = info_span!("child");
    let _entered = span.enter();
    black_box(depth);
    nested(depth - 1);
}

fn trace(workload: Workload) {
    match workload {
        Workload::Nested | Workload::Unsampled | Workload::Threads | Workload::Deep => {
            let root = info_span!("root");
            let _entered = root.enter();
            nested(workload.children());
        }
        Workload::Flat => {
            let root = info_span!("root");
            let _entered = root.enter();
            for _ in 0..CHILDREN {
                let child = info_span!("child", s = "str", i = 42i64, b = true);
                let _entered = child.enter();
                info!("e");
            }
        }
        Workload::Off | Workload::MacroSync => {
            let root = info_span!("root");
            let _entered = root.enter();
            chains::tracing_sync::f99();
        }
        Workload::MacroAsync | Workload::Async100 => {
            use tracing::Instrument;
            super::run_async(workload, chains::tracing_async::f99().instrument(info_span!("root")));
        }
    }
}

/// Runs the workload under `dispatch`, or with no subscriber at all.
pub(super) fn run(dispatch: Option<&Dispatch>, workload: Workload, traces: usize) {
    let body = || (0..traces).for_each(|_| trace(workload));
    match dispatch {
        Some(dispatch) => dispatcher::with_default(dispatch, body),
        None => body(),
    }
}

/// `tracing` + `tracing-opentelemetry` + `opentelemetry_sdk`, configured
/// lean: no code location, thread or busy/idle attributes.
pub struct TracingOtel {
    sink: Arc<Sink>,
    provider: Option<SdkTracerProvider>,
    dispatch: Option<Dispatch>,
}

impl TracingOtel {
    /// Builds the pipeline, except for the `off` workload.
    pub fn new(workload: Workload, queue: usize) -> TracingOtel {
        let sink = Arc::new(Sink::default());
        let provider = (workload != Workload::Off).then(|| super::otel::provider(workload, queue, &sink));
        let dispatch = provider.as_ref().map(|provider| {
            let layer = tracing_opentelemetry::layer()
                .with_tracer(provider.tracer("bench"))
                .with_location(false)
                .with_threads(false)
                .with_tracked_inactivity(false)
                .with_level(false)
                .with_target(false);
            Dispatch::new(Registry::default().with(layer))
        });
        TracingOtel {
            sink,
            provider,
            dispatch,
        }
    }
}

impl Contender for TracingOtel {
    fn name(&self) -> &'static str {
        "tracing+otel"
    }

    fn run(&self, workload: Workload, traces: usize) {
        run(self.dispatch.as_ref(), workload, traces);
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

/// Bare `tracing`: a registry and one layer that only counts closed spans
/// (one relaxed atomic add, as the other contenders' counting exporters),
/// and records their shape while the check runs. For `unsampled` its
/// filter says no, `tracing`'s nearest thing to a sampler.
pub struct TracingNoop {
    sink: Arc<Sink>,
    dispatch: Option<Dispatch>,
}

impl TracingNoop {
    /// Builds the subscriber, except for the `off` workload.
    pub fn new(workload: Workload) -> TracingNoop {
        let sink = Arc::new(Sink::default());
        let dispatch = (workload != Workload::Off).then(|| {
            let layer = NoopLayer {
                sink: Arc::clone(&sink),
                enabled: workload != Workload::Unsampled,
                next_id: AtomicU64::new(1),
            };
            Dispatch::new(Registry::default().with(layer))
        });
        TracingNoop { sink, dispatch }
    }
}

impl Contender for TracingNoop {
    fn name(&self) -> &'static str {
        "tracing_noop"
    }

    fn run(&self, workload: Workload, traces: usize) {
        run(self.dispatch.as_ref(), workload, traces);
    }

    fn flush(&self) {}

    fn sink(&self) -> Option<&Sink> {
        Some(&self.sink)
    }
}

struct NoopLayer {
    sink: Arc<Sink>,
    enabled: bool,
    next_id: AtomicU64,
}

/// What the check records about a span (only while capturing).
struct Captured {
    id: u64,
    rec: Rec,
}

#[derive(Default)]
struct Fields {
    attrs: Vec<(String, Val)>,
    message: Option<String>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.attrs.push((field.name().into(), Val::Str(value.into())));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.attrs.push((field.name().into(), Val::I64(value)));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.attrs.push((field.name().into(), Val::Bool(value)));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.message = Some(format!("{value:?}"));
        } else {
            self.attrs.push((field.name().into(), Val::Other(format!("{value:?}"))));
        }
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for NoopLayer {
    fn enabled(&self, _metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        self.enabled
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if !self.sink.capturing() {
            return;
        }
        let span = ctx.span(id).expect("new span");
        // Registry ids are reused once a span closes: number spans anew.
        let own = self.next_id.fetch_add(1, Ordering::Relaxed);
        let parent = span.parent();
        let parent_id = parent
            .as_ref()
            .and_then(|p| p.extensions().get::<Captured>().map(|c| c.id))
            .unwrap_or(0);
        let trace = parent
            .and_then(|p| p.extensions().get::<Captured>().map(|c| c.rec.trace))
            .unwrap_or(u128::from(own));
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        span.extensions_mut().insert(Captured {
            id: own,
            rec: Rec {
                trace,
                id: own,
                parent: parent_id,
                name: attrs.metadata().name().into(),
                attrs: fields.attrs,
                events: Vec::new(),
            },
        });
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        if !self.sink.capturing() {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        if let Some(span) = ctx.event_span(event)
            && let Some(captured) = span.extensions_mut().get_mut::<Captured>()
        {
            captured.rec.events.push(fields.message.unwrap_or_default());
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if self.sink.capturing()
            && let Some(span) = ctx.span(&id)
            && let Some(captured) = span.extensions_mut().remove::<Captured>()
        {
            self.sink.keep([captured.rec]);
        }
        self.sink.count(1);
    }
}
