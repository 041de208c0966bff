//! Compile tests for `#[trace]`.
//!
//! - `tests/ui/*.rs`: argument and item validation, one file per error,
//!   with its expected diagnostics in the `.stderr` next to it;
//! - `tests/ui/pass/*.rs`: hygiene, programs that must build under
//!   `#![deny(warnings)]` and whose `main` checks the spans recorded.
//!
//! Regenerate the diagnostics with `TRYBUILD=overwrite cargo test -p tracer-macros --test ui`
//! and review them.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    // Their `main`s check what the spans record, which needs the feature.
    #[cfg(feature = "enabled")]
    cases.pass("tests/ui/pass/*.rs");
}
