//! The runtime's own diagnostics (export failures, bad configuration).
//!
//! They go to the `log` facade under target `tracer` when the `log` feature
//! is on, and to stderr otherwise. The runtime never panics to report them.

/// Reports a problem the user should see once.
pub(crate) fn warn(message: &str) {
    #[cfg(feature = "log")]
    {
        log::warn!(target: "tracer", "{message}");
    }
    #[cfg(not(feature = "log"))]
    {
        eprintln!("tracer: {message}");
    }
}
