//! fastrace with its `enable` feature: `Span::root` plus `LocalSpan`, its
//! `#[trace]`, and a counting reporter.

use std::borrow::Cow;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use fastrace::collector::{Config, Reporter, SpanContext, SpanId, SpanRecord, TraceId};
use fastrace::future::FutureExt;
use fastrace::local::LocalSpan;
use fastrace::{Event, Span};

use super::Contender;
use crate::shape::{Rec, Sink, Val};
use crate::{CHILDREN, Workload, chains};

/// fastrace with a counting reporter (none for the `off` workload).
pub struct Fastrace {
    sink: Arc<Sink>,
    sampled: bool,
}

struct Counting(Arc<Sink>);

impl Reporter for Counting {
    fn report(&mut self, spans: Vec<SpanRecord>) {
        if self.0.capturing() {
            self.0.keep(spans.iter().map(|s| {
                Rec {
                    trace: s.trace_id.0,
                    id: s.span_id.0,
                    parent: s.parent_id.0,
                    name: s.name.to_string(),
                    // fastrace properties are strings.
                    attrs: s
                        .properties
                        .iter()
                        .map(|(k, v)| (k.to_string(), Val::Str(v.to_string())))
                        .collect(),
                    events: s.events.iter().map(|e| e.name.to_string()).collect(),
                }
            }));
        }
        self.0.count(spans.len());
    }
}

impl Fastrace {
    /// Sets the reporter, except for the `off` workload.
    pub fn new(workload: Workload) -> Fastrace {
        let sink = Arc::new(Sink::default());
        if workload != Workload::Off {
            // fastrace drops spans when a thread's command queue (10,240
            // entries) fills between two collector cycles. Synchronous
            // spans take one entry per trace, so its default 1 s cycle is
            // kept; async spans take one entry each, so for the async chains it
            // cycles every millisecond (at 5 ms it still lost spans).
            let config = if workload.is_async() {
                Config::default().report_interval(Duration::from_millis(1))
            } else {
                Config::default()
            };
            fastrace::set_reporter(Counting(Arc::clone(&sink)), config);
        }
        Fastrace {
            sink,
            sampled: workload != Workload::Unsampled,
        }
    }

    /// A new trace; the parent span id 0 marks the root.
    fn root(&self) -> Span {
        Span::root(
            "root",
            SpanContext::new(TraceId::random(), SpanId(0)).sampled(self.sampled),
        )
    }
}

fn nested(depth: usize) {
    if depth == 0 {
        return;
    }
    let _span = LocalSpan::enter_with_local_parent("child");
    black_box(depth);
    nested(depth - 1);
}

impl Contender for Fastrace {
    fn name(&self) -> &'static str {
        "fastrace"
    }

    fn typed(&self) -> bool {
        false
    }

    fn run(&self, workload: Workload, traces: usize) {
        for _ in 0..traces {
            match workload {
                Workload::Nested | Workload::Unsampled | Workload::Threads | Workload::Deep => {
                    let root = self.root();
                    let _guard = root.set_local_parent();
                    nested(workload.children());
                }
                Workload::Flat => {
                    let root = self.root();
                    let _guard = root.set_local_parent();
                    for _ in 0..CHILDREN {
                        let (s, i, b) = ("str", 42i64, true);
                        let _child = LocalSpan::enter_with_local_parent("child").with_properties(|| {
                            [
                                ("s", Cow::Borrowed(s)),
                                ("i", Cow::Owned(i.to_string())),
                                ("b", Cow::Owned(b.to_string())),
                            ]
                        });
                        LocalSpan::add_event(Event::new("e"));
                    }
                }
                Workload::Off | Workload::MacroSync => {
                    let root = self.root();
                    let _guard = root.set_local_parent();
                    chains::fastrace_sync::f99();
                }
                Workload::MacroAsync | Workload::Async100 => {
                    super::run_async(workload, chains::fastrace_async::f99().in_span(self.root()));
                }
            }
        }
    }

    fn flush(&self) {
        fastrace::flush();
        // An async root finished during the last collector cycle is reported
        // only by the next one (found by the span check: exactly the last
        // trace of each repetition was missing); a second flush delivers it.
        fastrace::flush();
    }

    fn sink(&self) -> Option<&Sink> {
        Some(&self.sink)
    }
}
