//! A small real workload for the trace viewers' tests: spans on plain
//! threads under a parent on another thread, concurrent tokio tasks and
//! concurrent futures in one task, an
//! error with an exception event, a cancelled future, attributes of every
//! kind, and a link. Runs under whatever provider the test installed.
#![allow(dead_code)]

use std::time::Duration;

use tracer::{FutureExt, KeyValue, Span, SpanData, SpanKind, Status, TraceId, in_span};

/// The traces the workload made.
pub struct Workload {
    /// `job` and everything under it.
    pub job: TraceId,
    /// `consumer`, linked to `job`.
    pub consumer: TraceId,
}

pub fn run() -> Workload {
    let job = Span::builder("job").root().kind(SpanKind::Server).entered();
    job.set_tag("job.id", 7);
    job.set_tag("ratio", 0.5);
    job.set_tag("ok", true);
    job.set_tag("tags", vec!["a", "b"]);
    let job_context = job.context().expect("the job is recorded");

    // Children whose parent is on another thread.
    std::thread::scope(|scope| {
        for worker in 0..2 {
            let parent = job_context.clone();
            scope.spawn(move || {
                let span = Span::child_of("worker", &parent).entered();
                span.set_tag("worker", worker);
                in_span("step", |step| {
                    step.add_event("progress", [KeyValue::new("percent", 50)]);
                    std::thread::sleep(Duration::from_millis(1));
                });
            });
        }
    });

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        // Concurrent siblings, on the runtime's threads.
        let fetch_a = tokio::spawn(
            async { tokio::time::sleep(Duration::from_millis(3)).await }
                .in_span(Span::builder("fetch_a").kind(SpanKind::Client).start()),
        );
        let fetch_b = tokio::spawn(
            async { tokio::time::sleep(Duration::from_millis(2)).await }
                .in_span(Span::builder("fetch_b").kind(SpanKind::Client).start()),
        );
        let _ = tokio::join!(fetch_a, fetch_b);
        // Concurrent siblings polled on this thread: they overlap inside
        // one thread's batch.
        tokio::join!(
            async { tokio::time::sleep(Duration::from_millis(3)).await }.in_span(Span::new("read_a")),
            async { tokio::time::sleep(Duration::from_millis(2)).await }.in_span(Span::new("read_b")),
        );
        // Dropped by the timeout before it finishes: `cancelled = true`.
        let slow = async { tokio::time::sleep(Duration::from_millis(200)).await }.in_span(Span::new("slow_call"));
        let _ = tokio::time::timeout(Duration::from_millis(2), slow).await;
    });
    drop(runtime);

    in_span("charge", |charge| {
        charge.add_event(
            "exception",
            [
                KeyValue::new("exception.type", "CardDeclined"),
                KeyValue::new("exception.message", "insufficient funds"),
            ],
        );
        charge.set_status(Status::error("card declined"));
    });
    drop(job);

    let consumer = Span::builder("consumer")
        .root()
        .kind(SpanKind::Consumer)
        .link(job_context.clone(), [KeyValue::new("reason", "follows")])
        .entered();
    let consumer_trace = consumer.trace_id().expect("the consumer is recorded");
    drop(consumer);

    Workload {
        job: job_context.trace_id(),
        consumer: consumer_trace,
    }
}

/// `spans` in the order a waterfall shows them: depth first, children by
/// start time, with their depths.
pub fn waterfall_order(spans: &[SpanData]) -> Vec<(&SpanData, usize)> {
    let mut tops: Vec<&SpanData> = spans
        .iter()
        .filter(|s| !s.parent_span_id.is_some_and(|p| spans.iter().any(|o| o.span_id() == p)))
        .collect();
    tops.sort_by_key(|s| s.start_time_unix_nano);
    let mut out = Vec::new();
    let mut stack: Vec<(&SpanData, usize)> = tops.into_iter().rev().map(|s| (s, 0)).collect();
    while let Some((span, depth)) = stack.pop() {
        out.push((span, depth));
        let mut kids: Vec<&SpanData> = spans
            .iter()
            .filter(|s| s.parent_span_id == Some(span.span_id()))
            .collect();
        kids.sort_by_key(|s| s.start_time_unix_nano);
        stack.extend(kids.into_iter().rev().map(|s| (s, depth + 1)));
    }
    out
}
