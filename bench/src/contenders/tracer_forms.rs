//! tracer through each of its other documented ways of making a span, on
//! the same provider, batch processor and counting exporter as the
//! `tracer` contender (which uses `in_span` and `#[trace]`):
//!
//! - `tracer_entered`: `Span::new("child").entered()`, the guard form;
//! - `tracer_builder`: `Span::builder("child").kind(..).attribute(..).entered()`;
//! - `tracer_in_scope`: `Span::new("child")`, then `span.in_scope(|| ..)`;
//! - `tracer_future`: `future.in_span(Span::new("child"))` at every level of
//!   the async chain (where `tracer` uses `#[trace] async fn`), 100
//!   generated `async fn`s as for the macro chains.
//!
//! The root of each trace is `Span::root("root").entered()`, as for
//! `tracer`. On flat100_attrs each child gets the workload's three
//! attributes and one event through the form's handle (the builder form
//! gives the first attribute to the builder).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use tracer::{FutureExt, Span, SpanKind, TracerProvider};

use super::Contender;
use super::tracer_c::installed;
use crate::shape::Sink;
use crate::{CHILDREN, Workload, chains};

/// A way of making a span.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `Span::new(..).entered()`.
    Entered,
    /// `Span::builder(..).kind(..).attribute(..).entered()`.
    Builder,
    /// `Span::new(..)` then `in_scope`.
    InScope,
    /// `future.in_span(Span::new(..))`.
    Future,
}

impl Form {
    /// The contender's name.
    pub fn name(self) -> &'static str {
        match self {
            Form::Entered => "tracer_entered",
            Form::Builder => "tracer_builder",
            Form::InScope => "tracer_in_scope",
            Form::Future => "tracer_future",
        }
    }

    /// Whether the form takes part in `workload`: the sync forms in every
    /// sync workload but the macro one, the future form in the async one.
    pub fn supports(self, workload: Workload) -> bool {
        match self {
            Form::Future => workload.is_async(),
            _ => !workload.is_macro(),
        }
    }
}

/// tracer through one [`Form`].
pub struct TracerForm {
    form: Form,
    sink: Arc<Sink>,
}

impl TracerForm {
    /// Installs the provider (shared with `tracer`), except for `off`.
    pub fn new(form: Form, workload: Workload, queue: usize) -> TracerForm {
        TracerForm {
            form,
            sink: installed(workload, queue).unwrap_or_default(),
        }
    }
}

/// A chain of `depth` children, each made with `form`: one function per
/// form, so that each recursion is as tight as the other contenders'.
fn nested(form: Form, depth: usize) {
    match form {
        Form::Entered => nested_entered(depth),
        Form::Builder => nested_builder(depth),
        Form::InScope => nested_in_scope(depth),
        Form::Future => unreachable!("the future form runs the async chain"),
    }
}

fn nested_entered(depth: usize) {
    if depth == 0 {
        return;
    }
    let _child = Span::new("child").entered();
    black_box(depth);
    nested_entered(depth - 1);
}

fn nested_builder(depth: usize) {
    if depth == 0 {
        return;
    }
    let _child = Span::builder("child")
        .kind(SpanKind::Internal)
        .attribute("depth", depth as i64)
        .entered();
    black_box(depth);
    nested_builder(depth - 1);
}

fn nested_in_scope(depth: usize) {
    if depth == 0 {
        return;
    }
    let child = Span::new("child");
    child.in_scope(|| {
        black_box(depth);
        nested_in_scope(depth - 1);
    });
}

/// The flat100_attrs children, each made with `form`.
fn flat(form: Form) {
    for _ in 0..CHILDREN {
        match form {
            Form::Entered => {
                let child = Span::new("child").entered();
                child.set_attribute("s", "str");
                child.set_attribute("i", 42i64);
                child.set_attribute("b", true);
                child.add_event("e", []);
            }
            Form::Builder => {
                let child = Span::builder("child")
                    .kind(SpanKind::Internal)
                    .attribute("s", "str")
                    .entered();
                child.set_attribute("i", 42i64);
                child.set_attribute("b", true);
                child.add_event("e", []);
            }
            Form::InScope => {
                let child = Span::new("child");
                child.in_scope(|| {
                    child.set_attribute("s", "str");
                    child.set_attribute("i", 42i64);
                    child.set_attribute("b", true);
                    child.add_event("e", []);
                });
            }
            Form::Future => unreachable!("the future form runs the async chain"),
        }
    }
}

impl Contender for TracerForm {
    fn name(&self) -> &'static str {
        self.form.name()
    }

    fn supports(&self, workload: Workload) -> bool {
        self.form.supports(workload)
    }

    fn run(&self, workload: Workload, traces: usize) {
        for _ in 0..traces {
            match workload {
                Workload::MacroAsync | Workload::Async100 => {
                    super::run_async(
                        workload,
                        chains::tracer_in_span_async::f99().in_span(Span::root("root")),
                    );
                }
                Workload::Flat => {
                    let _root = Span::root("root").entered();
                    flat(self.form);
                }
                _ => {
                    let _root = Span::root("root").entered();
                    nested(self.form, workload.children());
                }
            }
        }
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
