//! `crate = path`, for crates that re-export `tracer` under another path.
use crate::common;

mod reexport {
    pub use ::tracer as tracing_lib;
}

use common::{one, traced};
use tracer::trace;

#[trace(crate = crate::trace_crate_path::reexport::tracing_lib, kind = Server)]
fn through_reexport() -> Result<(), String> {
    Err("failed".into())
}

#[trace(crate = ::tracer)]
async fn absolute() {}

#[test]
fn generated_code_uses_the_given_path() {
    let (_, spans) = traced(|| {
        let _ = through_reexport();
        futures_executor::block_on(absolute());
    });
    let span = one(&spans, "through_reexport");
    assert_eq!(span.kind, tracer::SpanKind::Server);
    assert_eq!(span.status, tracer::Status::error("failed"));
    one(&spans, "absolute");
}

mod renamed_dependency {
    // No `tracer` in scope under its own name: only the re-export.
    #[allow(unused_imports)]
    use crate::trace_crate_path::reexport::tracing_lib as tracer_alias;

    #[crate::trace_crate_path::reexport::tracing_lib::trace(crate = crate::trace_crate_path::reexport::tracing_lib)]
    pub fn inner() -> u8 {
        4
    }
}

#[test]
fn works_with_the_attribute_reached_through_the_reexport() {
    let (value, spans) = traced(renamed_dependency::inner);
    assert_eq!(value, 4);
    one(&spans, "inner");
}

/// A stand-in runtime: everything from the real one, with `enter_fn`
/// counting its calls, to show the generated code goes through the path.
mod counting {
    pub mod __private {
        use std::sync::atomic::{AtomicUsize, Ordering};

        pub use ::tracer::__private::*;

        pub static ENTERED: AtomicUsize = AtomicUsize::new(0);

        // Called only by instrumented code.
        #[cfg_attr(not(feature = "enabled"), allow(dead_code))]
        pub fn enter_fn(name: &'static str, kind: SpanKind, root: bool) -> EnteredSpan {
            ENTERED.fetch_add(1, Ordering::SeqCst);
            ::tracer::__private::enter_fn(name, kind, root)
        }
    }
}

#[trace(crate = crate::trace_crate_path::counting)]
fn counted() -> u8 {
    1
}

#[test]
fn the_runtime_is_reached_through_the_given_path() {
    use std::sync::atomic::Ordering;
    let before = counting::__private::ENTERED.load(Ordering::SeqCst);
    let (_, spans) = traced(|| (counted(), counted()));
    assert_eq!(counting::__private::ENTERED.load(Ordering::SeqCst), before + 2);
    assert_eq!(spans.iter().filter(|s| s.name == "counted").count(), 2);
}
