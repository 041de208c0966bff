//! `OTEL_SDK_DISABLED=true`: `init_from_env()` installs nothing, and spans
//! are not recorded.
//!
//! This binary sets the process environment, so it holds this one test.

use tracer::env::{PropagatorChoice, propagators};
use tracer::{Span, TracerProvider};

#[test]
fn sdk_disabled_installs_nothing() {
    // TODO: Audit that the environment access only happens in single-threaded code.
    unsafe { std::env::set_var("OTEL_SDK_DISABLED", "true") };
    // TODO: Audit that the environment access only happens in single-threaded code.
    unsafe { std::env::set_var("OTEL_TRACES_EXPORTER", "console") };
    // TODO: Audit that the environment access only happens in single-threaded code.
    unsafe { std::env::set_var("OTEL_PROPAGATORS", "jaeger") };
    let guard = tracer::init_from_env();
    assert!(TracerProvider::global().is_none());
    assert!(!Span::new("ignored").is_recording());
    // The propagator choice is still recorded for context propagation.
    assert_eq!(propagators(), [PropagatorChoice::Jaeger]);
    drop(guard);
    // A later explicit install still works.
    let _guard = TracerProvider::builder().install().unwrap();
    assert!(Span::new("recorded").is_recording());
}
