//! The contenders: each runs every workload with its own idiomatic API and
//! delivers its spans to a counting exporter (a [`Sink`]).

use std::future::Future;
use std::task::{Context, Poll, Waker};

use crate::Workload;
use crate::shape::Sink;
use tracer_forms::Form;

mod baseline;
mod fastrace_c;
mod otel;
mod tracer_c;
mod tracer_forms;
mod tracer_scoped;
mod tracer_tail;
mod tracing_bridge_c;
mod tracing_c;

/// Room for every span of one timed repetition in the batch processors'
/// queues (tracer's and opentelemetry_sdk's), so that none is dropped
/// however far the producer runs ahead of the export thread. The default
/// of 2048 loses spans under this load.
pub fn queue_size(spans_per_rep: usize) -> usize {
    (spans_per_rep + 4096).next_power_of_two()
}

/// Spans per export call in the batch processors.
pub const EXPORT_BATCH: usize = 512;

/// One contender, set up for one workload.
pub trait Contender: Sync {
    /// Its name in the table.
    fn name(&self) -> &'static str;
    /// Whether it takes part in `workload`.
    fn supports(&self, workload: Workload) -> bool {
        let _ = workload;
        true
    }
    /// Runs `traces` traces of `workload` on this thread.
    fn run(&self, workload: Workload, traces: usize);
    /// Delivers every finished span to the exporter, and waits for it.
    fn flush(&self);
    /// Where its spans are counted; `None` for the no-tracing baseline.
    fn sink(&self) -> Option<&Sink>;
    /// Whether attributes keep their types (fastrace's are strings).
    fn typed(&self) -> bool {
        true
    }
    /// Spans a sampling policy dropped on purpose so far (tail sampling):
    /// the harness counts them with the delivered ones.
    fn sampled_out(&self) -> u64 {
        0
    }
}

/// Rounds of register-only work per level of the no-tracing loop (see
/// `baseline::WORK`).
pub fn set_baseline_work(work: u64) {
    baseline::WORK.store(work, std::sync::atomic::Ordering::Relaxed);
}

/// Every contender, set up for `workload`, in the table's order, but
/// `tracer_tail` and `tracer_scoped`, which need a process of their own
/// (one tracer provider per process, and a process that sets a default
/// provider changes every span start; see [`by_name`]).
pub fn all(workload: Workload, queue: usize) -> Vec<Box<dyn Contender>> {
    vec![
        Box::new(tracer_c::Tracer::new(workload, queue)),
        Box::new(tracer_forms::TracerForm::new(Form::Entered, workload, queue)),
        Box::new(tracer_forms::TracerForm::new(Form::Builder, workload, queue)),
        Box::new(tracer_forms::TracerForm::new(Form::InScope, workload, queue)),
        Box::new(tracer_forms::TracerForm::new(Form::Future, workload, queue)),
        Box::new(fastrace_c::Fastrace::new(workload)),
        Box::new(tracing_c::TracingOtel::new(workload, queue)),
        Box::new(tracing_bridge_c::TracingBridge::new(workload, queue)),
        Box::new(otel::Otel::new(workload, queue)),
        Box::new(tracing_c::TracingNoop::new(workload)),
        Box::new(baseline::Baseline),
    ]
}

/// The contenders' names, in the table's order.
pub const NAMES: [&str; 13] = [
    "tracer",
    "tracer_entered",
    "tracer_builder",
    "tracer_in_scope",
    "tracer_future",
    "tracer_scoped",
    "tracer_tail",
    "fastrace",
    "tracing+otel",
    "tracing+bridge",
    "otel_sdk",
    "tracing_noop",
    "baseline",
];

/// Runs one async chain's trace for `workload`: polled by [`block_on`] for
/// macro_async; for async100, on this thread's current-thread tokio
/// runtime, with the chain's innermost function waiting once.
pub fn run_async<F: Future>(workload: Workload, future: F) -> F::Output {
    thread_local! {
        static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime");
    }
    if workload != Workload::Async100 {
        return block_on(future);
    }
    crate::chains_leaf::WAITS.set(true);
    let output = RUNTIME.with(|runtime| runtime.block_on(future));
    crate::chains_leaf::WAITS.set(false);
    output
}

/// Polls `future` to completion on this thread (the macro_async workload
/// never waits, so a no-op waker suffices).
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
    }
}

/// Whether the contender `name` takes part in `workload`, without setting
/// it up.
pub fn takes_part(name: &str, workload: Workload) -> bool {
    match name {
        // No attribute macro.
        "otel_sdk" => !workload.is_macro(),
        "tracer_tail" => tracer_tail::WORKLOADS.contains(&workload),
        "tracer_scoped" => tracer_scoped::supports(workload),
        "tracer_entered" => Form::Entered.supports(workload),
        "tracer_builder" => Form::Builder.supports(workload),
        "tracer_in_scope" => Form::InScope.supports(workload),
        "tracer_future" => Form::Future.supports(workload),
        _ => true,
    }
}

/// One contender by name, set up for `workload`.
pub fn by_name(name: &str, workload: Workload, queue: usize) -> Option<Box<dyn Contender>> {
    Some(match name {
        "tracer" => Box::new(tracer_c::Tracer::new(workload, queue)),
        "tracer_tail" => Box::new(tracer_tail::TracerTail::new(queue)),
        "tracer_scoped" => Box::new(tracer_scoped::TracerScoped::new(workload, queue)),
        "tracer_entered" => Box::new(tracer_forms::TracerForm::new(Form::Entered, workload, queue)),
        "tracer_builder" => Box::new(tracer_forms::TracerForm::new(Form::Builder, workload, queue)),
        "tracer_in_scope" => Box::new(tracer_forms::TracerForm::new(Form::InScope, workload, queue)),
        "tracer_future" => Box::new(tracer_forms::TracerForm::new(Form::Future, workload, queue)),
        "fastrace" => Box::new(fastrace_c::Fastrace::new(workload)),
        "tracing+otel" => Box::new(tracing_c::TracingOtel::new(workload, queue)),
        "tracing+bridge" => Box::new(tracing_bridge_c::TracingBridge::new(workload, queue)),
        "otel_sdk" => Box::new(otel::Otel::new(workload, queue)),
        "tracing_noop" => Box::new(tracing_c::TracingNoop::new(workload)),
        "baseline" => Box::new(baseline::Baseline),
        _ => return None,
    })
}
